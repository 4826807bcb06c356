"""Write the missing mitigated fixtures of the catalog's threats, one per mitigation set.

Usage: python tests/threats/make_mitigated.py [THREAT ...]   (every threat by default)

Each mitigation set of a threat is shown, on its own, by one fixture in tests/threats/<ID>/:
`mitigated.yaml` shows one set (the example the threat's reference page prints) and every
other set has `mitigated-<its controls joined by +>.yaml`. A fixture is named by its controls,
not by its position, so a set added to, moved in or dropped from the catalog leaves the other
fixtures valid. For each set no fixture shows, this writes one: vulnerable.yaml with the set's
controls added to the finding's target and a first line saying which set it shows. It never
overwrites a file. Read every file it writes and move a control to where a team would declare
it (the engine also credits the evidence path and `system.controls`); tests/test_catalog.py
checks each fixture mitigates the finding with exactly its set.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable
from pathlib import Path

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


def named_set(path: Path) -> frozenset[str] | None:
    """The set a `mitigated-<controls>.yaml` file is named after (None for mitigated.yaml)."""
    if path.name == "mitigated.yaml":
        return None
    return frozenset(path.name.removeprefix("mitigated-").removesuffix(".yaml").split("+"))


def mitigated_fixtures(directory: Path) -> list[Path]:
    """Every mitigated fixture of one threat, mitigated.yaml first."""
    return sorted(directory.glob("mitigated*.yaml"), key=lambda p: (p.name != "mitigated.yaml", p))


def target_of(directory: Path) -> str:
    """The address the threat fires on in the vulnerable fixture."""
    return str(yaml.safe_load((directory / "expected.yaml").read_text())["target"])


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
    """Write vulnerable.yaml plus the set's controls on the target to ``name``; never overwrite."""
    path = directory / name
    if path.exists():
        raise SystemExit(f"{path} exists: this never overwrites a fixture")
    target = target_of(directory)
    vulnerable = directory / "vulnerable.yaml"
    location = load_model(vulnerable, known_controls=frozenset(catalog.controls)).location(target)
    if location.line is None or location.column is None:
        raise SystemExit(f"{threat}: `{target}` is not written in vulnerable.yaml")
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
    target = target_of(directory)
    shown: set[frozenset[str]] = set()
    for path in mitigated_fixtures(directory):
        named = named_set(path)
        shown |= set(satisfied(catalog, path, threat, target)) if named is None else {named}
    return [s for s in mitigation_sets(catalog, threat) if s not in shown]


def main(argv: list[str]) -> int:
    """Write the missing fixtures and say, for each, which sets it satisfies."""
    catalog = load_catalog([])
    threats = argv or sorted(catalog.threats)
    unknown = [t for t in threats if t not in catalog.threats]
    if unknown:
        raise SystemExit(f"unknown threat(s): {', '.join(unknown)}")
    problems = 0
    for threat in threats:
        sets = mitigation_sets(catalog, threat)
        if not sets:  # drift threats: settled when model and repository agree, no controls
            continue
        directory = FIXTURES / threat
        has_main = (directory / "mitigated.yaml").exists()
        for controls in missing_sets(catalog, directory, threat):
            name = fixture_name(controls) if has_main else "mitigated.yaml"
            has_main = True
            path = write_fixture(catalog, directory, threat, controls, name)
            target = target_of(path.parent)
            got = satisfied(catalog, path, threat, target)
            ok = got == [controls]
            problems += not ok
            shown = ", ".join(set_name(s) for s in got) or "no set"
            print(
                f"{'wrote' if ok else 'CHECK'} {path.relative_to(FIXTURES.parent.parent)}: "
                f"satisfies {shown}"
            )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
