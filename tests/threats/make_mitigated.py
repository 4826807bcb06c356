"""Write the missing mitigated fixtures of the catalog's threats, one per mitigation set.

Usage: python tests/threats/make_mitigated.py [THREAT ...]   (every threat by default)

Each mitigation set of a threat is shown, on its own, by one fixture in tests/threats/<ID>/:
`mitigated.yaml` shows one set (the example the threat's reference page prints) and every
other set has `mitigated-<its controls joined by +>.yaml`. A fixture is named by its controls,
not by its position, so a set added to, moved in or dropped from the catalog leaves the other
fixtures valid. For each set no fixture shows, this writes one: the set's base with the set's
controls added to the finding's target and a first line saying which set it shows. The base is
`vulnerable-<controls>.yaml` when the directory has one (a variant of the design where the
set's `when` holds; its first line names the target: "# <ID> fires on `<target>`: ..."), else
vulnerable.yaml. A set not offered on vulnerable.yaml and without a base is not written: this
says which `vulnerable-<controls>.yaml` to write first. It never overwrites a file. Read every
file it writes and move a control to where a team would declare it (the engine also credits
the evidence path and `system.controls`); tests/test_catalog.py checks each fixture mitigates
the finding with exactly its set.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from tmcode.catalog.load import Catalog, load_catalog
from tmcode.engine import check
from tmcode.model.load import load_model
from tmcode.report import Finding

FIXTURES = Path(__file__).resolve().parent
TODAY = dt.date(2026, 11, 26)
COMMAND = "python tests/threats/make_mitigated.py"


def mitigation_sets(catalog: Catalog, threat: str) -> list[frozenset[str]]:
    """The threat's mitigation sets, in catalog order."""
    return [frozenset(s.all) for s in catalog.threats[threat].threat.mitigations]


def set_name(controls: Iterable[str]) -> str:
    """How a set is written in file names and messages: its controls, sorted, joined by +."""
    return "+".join(sorted(controls))


def fixture_name(controls: Iterable[str]) -> str:
    """The file that shows the set when mitigated.yaml shows another one."""
    return f"mitigated-{set_name(controls)}.yaml"


def base_name(controls: Iterable[str]) -> str:
    """The vulnerable variant a set's fixture is written from when vulnerable.yaml cannot show it."""
    return f"vulnerable-{set_name(controls)}.yaml"


def named_set(path: Path) -> frozenset[str] | None:
    """The set a `mitigated-` or `vulnerable-<controls>.yaml` file is named after, else None."""
    for prefix in ("mitigated-", "vulnerable-"):
        if path.name.startswith(prefix):
            return frozenset(path.name.removeprefix(prefix).removesuffix(".yaml").split("+"))
    return None


def bases(directory: Path) -> list[Path]:
    """Every `vulnerable-<controls>.yaml` of one threat."""
    return sorted(directory.glob("vulnerable-*.yaml"))


def base_of(path: Path) -> Path:
    """The vulnerable fixture a mitigated fixture must equal in everything but its controls."""
    named = named_set(path)
    if named is not None:
        base = path.with_name(base_name(named))
        if base.exists():
            return base
    return path.with_name("vulnerable.yaml")


def mitigated_fixtures(directory: Path) -> list[Path]:
    """Every mitigated fixture of one threat, mitigated.yaml first."""
    return sorted(directory.glob("mitigated*.yaml"), key=lambda p: (p.name != "mitigated.yaml", p))


_FIRES_ON = re.compile(r"# [A-Z]+-[0-9]+ fires on `([^`]+)`: ")


def stated_target(base: Path) -> str | None:
    """The target a base's first line names (`# <ID> fires on `<target>`: why`), if it does."""
    found = _FIRES_ON.match(base.read_text().split("\n", 1)[0])
    return found.group(1) if found else None


def target_of(path: Path) -> str:
    """The address the threat fires on: a base's stated target, else what expected.yaml names.

    ``path`` is a threat's directory or one of its fixtures (a mitigated fixture's target is its
    base's).
    """
    if path.is_dir():
        path = path / "vulnerable.yaml"
    base = base_of(path) if path.name.startswith("mitigated") else path
    if base.name != "vulnerable.yaml":
        target = stated_target(base)
        if target is None:
            raise SystemExit(f"{base}: its first line must be `# <ID> fires on `<target>`: why`")
        return target
    return str(yaml.safe_load((base.parent / "expected.yaml").read_text())["target"])


def finding(catalog: Catalog, path: Path, threat: str, target: str) -> Finding | None:
    """The threat's finding on the target in one fixture, if it applies there."""
    loaded = load_model(path, known_controls=frozenset(catalog.controls))
    report = check([loaded], catalog, today=TODAY)
    found = [f for f in report.findings if f.threat == threat and f.target == target]
    return found[0] if found else None


def satisfied(catalog: Catalog, path: Path, threat: str, target: str) -> list[frozenset[str]]:
    """The sets the finding's control state shows satisfied in one fixture."""
    found = finding(catalog, path, threat, target)
    if found is None:
        return []
    return [frozenset(s.all) for s in found.controls if s.satisfied]


def _value_at(node: yaml.Node, line: int, column: int) -> yaml.Node | None:
    """The node written at (line, column), or the value of the key written there."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if (key.start_mark.line, key.start_mark.column) == (line, column):
                return value
            found = _value_at(value, line, column)
            if found is not None:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            if (item.start_mark.line, item.start_mark.column) == (line, column):
                return item
            found = _value_at(item, line, column)
            if found is not None:
                return found
    return None


def _after(text: str, node: yaml.Node) -> int:
    """The offset of the first line after the node's last line."""
    at = node.end_mark.index
    start = text.rfind("\n", 0, at) + 1
    if not text[start:at].strip():  # a block node ends where the next line's indent ends
        return start
    end = text.find("\n", at - 1)
    return len(text) if end < 0 else end + 1


def _control_id(item: yaml.Node) -> str:
    """The id of one item of a `controls` list: `id` or `{id, status, evidence}`."""
    if isinstance(item, yaml.MappingNode):
        return next((str(v.value) for k, v in item.value if k.value == "id"), "")
    return str(item.value)


def add_controls(text: str, line: int, column: int, controls: list[str]) -> str:
    """Add controls to the element whose key (or list item) is written at line and column."""
    root = yaml.compose(text)
    node = _value_at(root, line - 1, column - 1) if root is not None else None
    if not isinstance(node, yaml.MappingNode):
        raise SystemExit(f"no mapping at line {line}, column {column}: add the controls by hand")
    present = {k.value: v for k, v in node.value}
    if "controls" in present:
        listed = present["controls"]
        assert isinstance(listed, yaml.SequenceNode)
        have = {_control_id(i) for i in listed.value}
        add = [c for c in controls if c not in have]
        if not add:
            return text
        if listed.flow_style:
            at = text.rindex("]", 0, listed.end_mark.index)
            joined = ", ".join(add)
            return text[:at] + (f", {joined}" if listed.value else joined) + text[at:]
        indent = " " * listed.value[0].start_mark.column
        at = _after(text, listed.value[-1])
        return text[:at] + "".join(f"{indent[:-2]}- {c}\n" for c in add) + text[at:]
    written = f"controls: [{', '.join(controls)}]"
    if node.flow_style:
        at = text.rindex("}", 0, node.end_mark.index)
        return text[:at] + f", {written}" + text[at:]
    indent = " " * node.value[0][0].start_mark.column
    at = _after(text, node.value[-1][1])
    return text[:at] + f"{indent}{written}\n" + text[at:]


def write_fixture(
    catalog: Catalog, directory: Path, threat: str, controls: frozenset[str], name: str
) -> Path:
    """Write the set's base plus its controls on the target to ``name``; never overwrite."""
    path = directory / name
    if path.exists():
        raise SystemExit(f"{path} exists: this never overwrites a fixture")
    vulnerable = base_of(path)
    target = target_of(path)
    location = load_model(vulnerable, known_controls=frozenset(catalog.controls)).location(target)
    if location.line is None or location.column is None:
        raise SystemExit(f"{threat}: `{target}` is not written in {vulnerable.name}")
    ordered = [c for s in catalog.threats[threat].threat.mitigations for c in s.all]
    written = sorted(controls, key=ordered.index)
    text = add_controls(vulnerable.read_text(), location.line, location.column, written)
    body = text.split("\n")
    while body and body[0].startswith("#"):
        body.pop(0)
    head = f"# {threat} is mitigated on `{target}` by one set on its own: {' + '.join(written)}."
    path.write_text("\n".join([head, *body]))
    return path


def missing_sets(catalog: Catalog, directory: Path, threat: str) -> list[frozenset[str]]:
    """The threat's sets that no fixture in ``directory`` shows yet."""
    shown: set[frozenset[str]] = set()
    for path in mitigated_fixtures(directory):
        named = named_set(path)
        shown |= (
            set(satisfied(catalog, path, threat, target_of(path))) if named is None else {named}
        )
    return [s for s in mitigation_sets(catalog, threat) if s not in shown]


def offered(catalog: Catalog, path: Path, threat: str, target: str) -> list[frozenset[str]]:
    """The sets the finding on the target offers in one fixture (those whose `when` holds)."""
    found = finding(catalog, path, threat, target)
    return [frozenset(s.all) for s in found.controls] if found is not None else []


def _plain(node: Any) -> Any:
    """A condition as plain dicts and lists (the catalog reader's own types do not dump)."""
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_plain(v) for v in node]
    return node


def set_condition(catalog: Catalog, threat: str, controls: frozenset[str]) -> str:
    """The `when` of the threat's set with these controls, written on one flow-style line."""
    for control_set in catalog.threats[threat].threat.mitigations:
        if frozenset(control_set.all) == controls and control_set.when is not None:
            when = _plain(control_set.when)
            return str(
                yaml.safe_dump(when, default_flow_style=True, sort_keys=False, width=10**6)
            ).strip()
    return "none"


def needs_base(catalog: Catalog, directory: Path, threat: str, controls: frozenset[str]) -> str:
    """Why the set needs a `vulnerable-<controls>.yaml` written first, or '' if it does not."""
    if (directory / base_name(controls)).exists():
        return ""
    if controls in offered(catalog, directory / "vulnerable.yaml", threat, target_of(directory)):
        return ""
    return (
        f"{set_name(controls)} is not offered on vulnerable.yaml (its `when`: "
        f"{set_condition(catalog, threat, controls)}): write {threat}/{base_name(controls)}"
        f" first, a variant where it holds and {threat} fires open, its first line "
        f"`# {threat} fires on `<target>`: why`"
    )


def write_missing(catalog: Catalog, directory: Path, threat: str) -> list[tuple[bool, str]]:
    """Write the fixtures of the threat's sets no fixture shows; (ok, what happened) for each."""
    done: list[tuple[bool, str]] = []
    has_main = (directory / "mitigated.yaml").exists()
    for controls in missing_sets(catalog, directory, threat):
        first = needs_base(catalog, directory, threat, controls)
        if first:
            done.append((False, f"WRITE {first}"))
            continue
        based = (directory / base_name(controls)).exists()
        name = fixture_name(controls) if has_main or based else "mitigated.yaml"
        has_main = has_main or not based
        path = write_fixture(catalog, directory, threat, controls, name)
        got = satisfied(catalog, path, threat, target_of(path))
        ok = got == [controls]
        shown = ", ".join(set_name(s) for s in got) or "no set"
        done.append((ok, f"{'wrote' if ok else 'CHECK'} {threat}/{path.name}: satisfies {shown}"))
    return done


def main(argv: list[str]) -> int:
    """Write the missing fixtures and say, for each, which sets it satisfies."""
    catalog = load_catalog([])
    threats = argv or sorted(catalog.threats)
    unknown = [t for t in threats if t not in catalog.threats]
    if unknown:
        raise SystemExit(f"unknown threat(s): {', '.join(unknown)}")
    problems = 0
    for threat in threats:
        if not mitigation_sets(catalog, threat):  # drift threats: no controls, no set fixtures
            continue
        for ok, line in write_missing(catalog, FIXTURES / threat, threat):
            problems += not ok
            print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
