"""The catalog: loads, is covered by fixtures, cites real ids, covers the standards."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import CONTRACT, REFERENCE, ROOT
from threats.make_mitigated import (
    COMMAND,
    add_controls,
    base_name,
    base_of,
    bases,
    finding,
    fixture_name,
    missing_sets,
    mitigated_fixtures,
    mitigation_sets,
    named_set,
    offered,
    set_condition,
    set_name,
    stated_target,
    target_of,
    write_fixture,
    write_missing,
)
from tmcode.catalog.coverage import coverage
from tmcode.catalog.load import Catalog, _load_threat, load_catalog
from tmcode.catalog.schema import ControlSet
from tmcode.discover import discover_repository
from tmcode.engine import check
from tmcode.model.load import load_model
from tmcode.report import Status

FIXTURES = ROOT / "tests" / "threats"
ATLAS = REFERENCE / "atlas" / "ATLAS.yaml"
TODAY = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_catalog_has_at_least_35_threats(catalog) -> None:
    assert len(catalog.threats) >= 35


def test_every_threat_has_both_fixtures(catalog) -> None:
    missing = [
        f"{tid}/{name}"
        for tid in catalog.threats
        for name in ("vulnerable.yaml", "mitigated.yaml", "expected.yaml")
        if not (FIXTURES / tid / name).is_file()
    ]
    assert not missing, missing
    orphans = sorted(
        p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name not in catalog.threats
    )
    assert not orphans, orphans


def _fixture_ids() -> list[str]:
    return sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def _findings(catalog, path: Path, threat: str, target: str):
    # A repository (drift) threat compares the model with the fixture repository beside it.
    repo = path.with_name(path.stem + "-repo")
    report = check(
        [load_model(path, known_controls=frozenset(catalog.controls))],
        catalog,
        today=TODAY,
        repository=discover_repository(repo) if repo.is_dir() else None,
    )
    return [f for f in report.findings if f.threat == threat and f.target == target]


@pytest.mark.parametrize("tid", _fixture_ids())
def test_threat_fires_on_its_vulnerable_fixture(catalog, tid: str) -> None:
    expected = yaml.safe_load((FIXTURES / tid / "expected.yaml").read_text())
    found = _findings(catalog, FIXTURES / tid / "vulnerable.yaml", tid, expected["target"])
    assert [f.status for f in found] == [Status.open], found


@pytest.mark.parametrize("tid", _fixture_ids())
def test_threat_is_mitigated_on_its_mitigated_fixture(catalog, tid: str) -> None:
    expected = yaml.safe_load((FIXTURES / tid / "expected.yaml").read_text())
    found = _findings(catalog, FIXTURES / tid / "mitigated.yaml", tid, expected["target"])
    if catalog.threats[tid].threat.target == "repository":
        # Drift has no controls: it is settled when the model and the repository agree.
        assert found == [], found
        assert (FIXTURES / tid / "mitigated-repo").is_dir()
        return
    assert all(f.status is Status.mitigated for f in found), found
    if found:
        assert any(s.satisfied for s in found[0].controls)


def _design(path: Path) -> Any:
    """The model in a fixture with every `controls` list taken out."""

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k != "controls"}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return strip(yaml.safe_load(path.read_text()))


def _base_problems(catalog: Catalog, directory: Path, threat: str) -> list[str]:
    """Why a `vulnerable-<controls>.yaml` is not a base its set's fixture can be written from."""
    sets = mitigation_sets(catalog, threat)
    problems: list[str] = []
    for base in bases(directory):
        where = f"{threat}/{base.name}"
        named = named_set(base)
        if named not in sets:
            problems.append(f"{where}: the catalog has no set {set_name(named or [])}: delete it")
            continue
        if not (directory / fixture_name(named)).exists():
            problems.append(
                f"{where}: no {fixture_name(named)} is written from it; "
                f"run `{COMMAND} {threat}` and read the file it writes"
            )
        target = stated_target(base)
        if target is None:
            problems.append(
                f"{where}: its first line must be `# {threat} fires on `<target>`: why`"
            )
            continue
        found = finding(catalog, base, threat, target)
        if found is None or found.status is not Status.open:
            problems.append(f"{where}: {threat} does not fire open on `{target}`")
        elif named not in offered(catalog, base, threat, target):
            problems.append(
                f"{where}: {threat} on `{target}` does not offer {set_name(named)} "
                f"(its `when`: {set_condition(catalog, threat, named)})"
            )
    return problems


def set_fixture_problems(catalog: Catalog, directory: Path, threat: str) -> list[str]:
    """Why the fixtures in ``directory`` do not show each of the threat's sets mitigating alone."""
    sets = mitigation_sets(catalog, threat)
    regenerate = f"run `{COMMAND} {threat}` and read the file it writes"
    problems = _base_problems(catalog, directory, threat)
    shown: dict[frozenset[str], str] = {}
    for path in mitigated_fixtures(directory):
        where = f"{threat}/{path.name}"
        named = named_set(path)
        if named is not None and named not in sets:
            problems.append(
                f"{where}: the catalog has no set {set_name(named)} (any more): "
                f"delete the file, then {regenerate}"
            )
            continue
        base = base_of(path)
        if _design(path) != _design(base):
            problems.append(f"{where}: differs from {base.name} in more than its controls")
        target = target_of(path)
        if named is not None and named not in offered(catalog, base, threat, target):
            if base.name == "vulnerable.yaml":  # a base's own problems are reported above
                problems.append(
                    f"{where}: {set_name(named)} is not offered on `{target}` in vulnerable.yaml "
                    f"(its `when`: {set_condition(catalog, threat, named)}); write "
                    f"{base_name(named)}, a variant where it holds, then {regenerate}"
                )
            continue
        found = finding(catalog, path, threat, target)
        if found is None:
            problems.append(f"{where}: {threat} does not fire on `{target}` at all")
            continue
        got = [frozenset(s.all) for s in found.controls if s.satisfied]
        wanted = set_name(named) if named is not None else "exactly one set"
        if len(got) != 1 or (named is not None and got != [named]):
            listed = ", ".join(set_name(s) for s in got) or "no set"
            problems.append(f"{where}: satisfies {listed}; it must satisfy {wanted} alone")
        elif found.status is not Status.mitigated:
            problems.append(f"{where}: {set_name(got[0])} is satisfied but the finding is open")
        elif got[0] in shown:
            problems.append(f"{where}: shows {set_name(got[0])}, as {shown[got[0]]} does")
        else:
            shown[got[0]] = path.name
    for number, controls in enumerate(sets, 1):
        if controls not in shown:
            problems.append(
                f"{threat}: no fixture shows mitigation set {number} ({set_name(controls)}) "
                f"mitigating on its own; {regenerate}"
            )
    return problems


def _with_sets(catalog: Catalog, threat: str, sets: list[ControlSet], scratch: Path) -> Catalog:
    """The catalog with the threat's sets replaced, the threat compiled as the loader does."""
    compiled = catalog.threats[threat]
    raw = yaml.safe_load(Path(compiled.file).read_text())
    raw["mitigations"] = [s.model_dump(mode="json", exclude_unset=True) for s in sets]
    path = scratch / f"{threat}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return replace(
        catalog, threats={**catalog.threats, threat: _load_threat(path, catalog.controls)}
    )


def _set_ids() -> list[str]:
    catalog = load_catalog([])
    return [t for t in _fixture_ids() if catalog.threats[t].threat.mitigations]


@pytest.mark.parametrize("tid", _set_ids())
def test_each_mitigation_set_mitigates_on_its_own(catalog, tid: str) -> None:
    problems = set_fixture_problems(catalog, FIXTURES / tid, tid)
    assert not problems, "\n".join(problems)


def test_only_repository_threats_have_no_set_and_no_set_fixtures(catalog) -> None:
    setless = sorted(t for t, c in catalog.threats.items() if not c.threat.mitigations)
    drift = sorted(t for t, c in catalog.threats.items() if c.threat.target == "repository")
    assert setless == drift
    for tid in drift:
        assert [p.name for p in mitigated_fixtures(FIXTURES / tid)] == ["mitigated.yaml"]


def _spare_control(catalog: Catalog, directory: Path, threat: str) -> str:
    """A control in none of the threat's sets and written in none of its fixtures."""
    used = set().union(*mitigation_sets(catalog, threat))
    text = "".join(p.read_text() for p in directory.glob("*.yaml"))
    return next(c for c in sorted(catalog.controls) if c not in used and c not in text)


def test_a_set_added_without_a_fixture_fails_until_the_generator_writes_it(
    catalog, tmp_path: Path
) -> None:
    tid = "HUM-002"
    directory = tmp_path / tid
    shutil.copytree(FIXTURES / tid, directory)
    assert set_fixture_problems(catalog, directory, tid) == []
    spare = _spare_control(catalog, directory, tid)
    sets = [*catalog.threats[tid].threat.mitigations, ControlSet(all=[spare])]
    grown = _with_sets(catalog, tid, sets, tmp_path)
    number = len(sets)
    assert set_fixture_problems(grown, directory, tid) == [
        f"{tid}: no fixture shows mitigation set {number} ({spare}) mitigating on its own; "
        f"run `{COMMAND} {tid}` and read the file it writes"
    ]
    [missing] = missing_sets(grown, directory, tid)
    written = write_fixture(grown, directory, tid, missing, fixture_name(missing))
    assert written.name == f"mitigated-{spare}.yaml"
    assert written.read_text().startswith(f"# {tid} is mitigated on ")
    assert set_fixture_problems(grown, directory, tid) == []
    with pytest.raises(SystemExit, match="never overwrites"):
        write_fixture(grown, directory, tid, missing, fixture_name(missing))
    # The set dropped again: its fixture now names a set the catalog does not have.
    assert set_fixture_problems(catalog, directory, tid) == [
        f"{tid}/mitigated-{spare}.yaml: the catalog has no set {spare} (any more): "
        f"delete the file, then run `{COMMAND} {tid}` and read the file it writes"
    ]


def test_a_fixture_satisfying_two_sets_fails(catalog, tmp_path: Path) -> None:
    tid = "HUM-002"
    directory = tmp_path / tid
    shutil.copytree(FIXTURES / tid, directory)
    second = directory / fixture_name(mitigation_sets(catalog, tid)[1])
    location = load_model(second).location(target_of(directory))
    first = sorted(mitigation_sets(catalog, tid)[0])
    assert location.line is not None and location.column is not None
    second.write_text(add_controls(second.read_text(), location.line, location.column, first))
    problems = set_fixture_problems(catalog, directory, tid)
    assert problems == [
        f"{tid}/{second.name}: satisfies {set_name(first)}, {set_name(named_set(second) or [])}; "
        f"it must satisfy {set_name(named_set(second) or [])} alone",
        f"{tid}: no fixture shows mitigation set 2 ({set_name(named_set(second) or [])}) "
        f"mitigating on its own; run `{COMMAND} {tid}` and read the file it writes",
    ]


def test_a_set_offered_only_elsewhere_needs_a_base_before_its_fixture(
    catalog, tmp_path: Path
) -> None:
    """A set whose `when` fails on vulnerable.yaml is written from vulnerable-<set>.yaml only."""
    tid = "HUM-002"
    directory = tmp_path / tid
    shutil.copytree(FIXTURES / tid, directory)
    spare = _spare_control(catalog, directory, tid)
    admin = {"attr": {"name": "scopes", "contains": "admin"}}
    sets = [*catalog.threats[tid].threat.mitigations, ControlSet(all=[spare], when=admin)]
    grown = _with_sets(catalog, tid, sets, tmp_path)
    problems = set_fixture_problems(grown, directory, tid)
    assert problems == [
        f"{tid}: no fixture shows mitigation set {len(sets)} ({spare}) mitigating on its own; "
        f"run `{COMMAND} {tid}` and read the file it writes"
    ]
    [(ok, line)] = write_missing(grown, directory, tid)
    assert not ok and line == (
        f"WRITE {spare} is not offered on vulnerable.yaml (its `when`: {{attr: {{name: scopes, "
        f"contains: admin}}}}): write {tid}/vulnerable-{spare}.yaml first, a variant where it "
        f"holds and {tid} fires open, its first line `# {tid} fires on `<target>`: why`"
    )
    assert not (directory / fixture_name([spare])).exists()
    base = directory / base_name([spare])
    text = (directory / "vulnerable.yaml").read_text().replace("[spend]", "[spend, admin]")
    base.write_text(text.split("\n", 1)[1])
    assert f"{tid}/{base.name}: its first line must be" in "\n".join(
        set_fixture_problems(grown, directory, tid)
    )
    base.write_text(f"# {tid} fires on `agent.tools.pay`: it pays and administers.\n" + text)
    [(ok, line)] = write_missing(grown, directory, tid)
    assert ok and line == f"wrote {tid}/mitigated-{spare}.yaml: satisfies {spare}"
    assert "admin" in (directory / fixture_name([spare])).read_text()
    assert set_fixture_problems(grown, directory, tid) == []


def test_a_base_must_fire_and_its_fixture_must_keep_its_design(catalog, tmp_path: Path) -> None:
    """A base the threat does not fire on, or a fixture that strays from its base, fails."""
    tid = "OUT-001"
    directory = tmp_path / tid
    shutil.copytree(FIXTURES / tid, directory)
    assert set_fixture_problems(catalog, directory, tid) == []
    base = directory / "vulnerable-url_allowlist.yaml"
    base.write_text(base.read_text().replace("interprets: [url]", "interprets: []"))
    mitigated = directory / "mitigated-url_allowlist.yaml"
    mitigated.write_text(mitigated.read_text().replace("interprets: [url]", "interprets: []"))
    assert set_fixture_problems(catalog, directory, tid)[0] == (
        f"{tid}/{base.name}: {tid} does not fire open on `agent.tools.fetch`"
    )
    shutil.copy(FIXTURES / tid / base.name, base)
    assert set_fixture_problems(catalog, directory, tid)[0] == (
        f"{tid}/{mitigated.name}: differs from {base.name} in more than its controls"
    )
    # Without its base the fixture is measured against vulnerable.yaml, where the set is not offered.
    shutil.copy(FIXTURES / tid / mitigated.name, mitigated)
    base.unlink()
    assert set_fixture_problems(catalog, directory, tid)[:2] == [
        f"{tid}/{mitigated.name}: differs from vulnerable.yaml in more than its controls",
        f"{tid}/{mitigated.name}: url_allowlist is not offered on `agent.tools.db` in "
        f"vulnerable.yaml (its `when`: "
        f"{set_condition(catalog, tid, frozenset(['url_allowlist']))}); write {base.name}, a "
        f"variant where it holds, then run `{COMMAND} {tid}` and read the file it writes",
    ]


def test_every_atlas_id_cited_exists() -> None:
    data = yaml.load(ATLAS.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    known = {t["id"] for m in data["matrices"] for t in m["techniques"]}
    known |= {t["id"] for m in data["matrices"] for t in m.get("mitigations", [])}
    cat = load_catalog()
    cited = {r.split(":", 1)[1] for r in cat.references() if r.startswith("atlas:")}
    assert cited, "the catalog cites no ATLAS technique"
    assert not cited - known, sorted(cited - known)
    mitigations = {a for c in cat.controls.values() for a in c.atlas}
    assert not mitigations - known, sorted(mitigations - known)


def test_every_required_standard_entry_is_covered(catalog) -> None:
    entries = coverage(catalog)
    gaps = [e.reference for e in entries if e.required and not e.threats]
    assert not gaps, gaps
    kinds = {e.standard for e in entries}
    assert {
        "owasp-llm-2025",
        "owasp-llm-2026",
        "owasp-mcp",
        "owasp-agentic",
        "owasp-asi",
        "cosai-mcp",
        "nist-aml",
    } <= kinds
    counts = {k: sum(1 for e in entries if e.standard == k) for k in kinds}
    assert counts["owasp-llm-2025"] == counts["owasp-llm-2026"] == 10
    assert counts["owasp-mcp"] == 10 and counts["owasp-asi"] == 10 and counts["cosai-mcp"] == 12
    assert counts["owasp-agentic"] >= 15


def test_coverage_fails_when_an_entry_loses_coverage(catalog) -> None:
    from tmcode.catalog.coverage import load_standards

    standards = load_standards()
    llm = standards["owasp-llm-2026"]
    standards["owasp-llm-2026"] = llm.model_copy(
        update={"entries": {**llm.entries, "owasp-llm:LLM11:2026": "Imaginary"}}
    )
    gaps = [e.reference for e in coverage(catalog, standards) if e.required and not e.threats]
    assert gaps == ["owasp-llm:LLM11:2026"]


def test_every_reference_is_a_known_standard_entry_or_an_id(catalog) -> None:
    entries = {e.reference for e in coverage(catalog)}
    for tid, compiled in catalog.threats.items():
        for ref in compiled.threat.references:
            scheme = ref.split(":", 1)[0]
            if scheme in ("owasp-llm", "owasp-mcp", "owasp-asi", "owasp-agentic", "cosai-mcp"):
                assert ref in entries, (tid, ref)


def test_controls_cover_every_spec_control_id(catalog) -> None:
    spec = (CONTRACT / "model-format.md").read_text()
    section = spec.split("## Controls", 1)[1].split("## Decisions", 1)[0]
    listed = set(
        re.findall(
            r"`([a-z][a-z0-9_]+)`", re.split(r"ships at least\s+these ids", section, maxsplit=1)[1]
        )
    )
    assert len(listed) > 80
    assert not listed - set(catalog.controls), sorted(listed - set(catalog.controls))
    stages = {c.stage for c in catalog.controls.values()}
    assert stages == {"design", "development", "deployment", "operation", "decommissioning"}


def test_fixture_models_declare_only_known_controls(catalog) -> None:
    for path in FIXTURES.glob("*/*.yaml"):
        if path.name != "expected.yaml":
            load_model(path, known_controls=frozenset(catalog.controls))
