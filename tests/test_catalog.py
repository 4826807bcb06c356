"""The catalog: loads, is covered by fixtures, cites real ids, covers the standards."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from conftest import CONTRACT, REFERENCE, ROOT
from tmcode.catalog.coverage import coverage
from tmcode.catalog.load import load_catalog
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
