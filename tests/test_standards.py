"""The standards cross-walk: both LLM editions, CoSAI MCP, ATLAS ids, and decisions by reference."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from conftest import REFERENCE, ROOT
from tmcode.catalog.controls import CatalogError
from tmcode.catalog.coverage import equivalents, list_coverage, list_of, load_standards
from tmcode.catalog.load import load_catalog
from tmcode.engine import check
from tmcode.model.load import load_model_text
from tmcode.render.standards import coverage_text, standards_markdown
from tmcode.report import Status

TODAY = dt.date(2026, 11, 26)
FIXTURES = ROOT / "tests" / "threats"
LLM_EDITIONS = ("owasp-llm-2025", "owasp-llm-2026")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def standards():
    return load_standards()


def _without(catalog, reference: str):
    """The catalog with one reference struck from every threat."""
    threats = {
        tid: dataclasses.replace(
            c,
            threat=c.threat.model_copy(
                update={"references": [r for r in c.threat.references if r != reference]}
            ),
        )
        for tid, c in catalog.threats.items()
    }
    return dataclasses.replace(catalog, threats=threats)


def test_each_list_and_edition_is_shown_separately(catalog) -> None:
    keys = [c.key for c in list_coverage(catalog)]
    assert keys == [
        "owasp-llm-2025",
        "owasp-llm-2026",
        "owasp-mcp",
        "owasp-asi",
        "owasp-agentic",
        "cosai-mcp",
        "nist-aml",
        "atlas",
    ]


@pytest.mark.parametrize("key", LLM_EDITIONS)
def test_both_llm_editions_are_complete(catalog, key: str) -> None:
    (c,) = [c for c in list_coverage(catalog) if c.key == key]
    assert len(c.entries) == 10 and c.spec.required and c.spec.complete
    assert c.gaps == () and c.unlisted == () and not c.failing
    assert {e.reference.rsplit(":", 1)[1] for e in c.entries} == {key.rsplit("-", 1)[1]}


@pytest.mark.parametrize(
    ("reference", "key"),
    [("owasp-llm:LLM08:2026", "owasp-llm-2026"), ("owasp-llm:LLM07:2025", "owasp-llm-2025")],
)
def test_a_gap_in_either_llm_edition_fails(catalog, reference: str, key: str) -> None:
    lists = {c.key: c for c in list_coverage(_without(catalog, reference))}
    assert lists[key].gaps == (reference,) and lists[key].failing
    assert [k for k, c in lists.items() if c.failing] == [key]
    assert "NOT COVERED" in coverage_text(list(lists.values()))


def test_the_2026_edition_maps_every_entry_to_its_2025_id(standards) -> None:
    later = standards["owasp-llm-2026"]
    assert later.supersedes == "owasp-llm-2025"
    # Renumbered by meaning, not by number: one 2025 id per 2026 entry, none twice.
    assert sorted(later.same_as) == sorted(later.entries)
    assert sorted(later.same_as.values()) == sorted(standards["owasp-llm-2025"].entries)
    assert later.same_as["owasp-llm:LLM03:2026"] == "owasp-llm:LLM06:2025"  # Excessive Agency
    assert later.same_as["owasp-llm:LLM08:2026"] == "owasp-llm:LLM07:2025"  # was System Prompt
    assert later.same_as["owasp-llm:LLM10:2026"] == "owasp-llm:LLM05:2025"  # Output Handling
    assert equivalents("owasp-llm:LLM06:2025", standards) == {
        "owasp-llm:LLM06:2025",
        "owasp-llm:LLM03:2026",
    }


def test_every_2025_id_a_threat_cites_has_its_2026_id_beside_it(catalog, standards) -> None:
    missing = [
        (tid, ref, same)
        for tid, c in catalog.threats.items()
        for ref in c.threat.references
        if list_of(ref, standards) == "owasp-llm-2025"
        for same in equivalents(ref, standards) - {ref}
        if same not in c.threat.references
    ]
    assert not missing, missing


def test_every_reference_of_a_list_is_one_of_its_entries(catalog, standards) -> None:
    for c in list_coverage(catalog, standards):
        if c.spec.complete:
            assert c.unlisted == (), (c.key, c.unlisted)
    schemes = {r.split(":", 1)[0] for c in catalog.threats.values() for r in c.threat.references}
    assert schemes - {s.scheme for s in standards.values()} <= {"cwe"}


def test_cosai_mcp_categories_are_all_mapped(catalog) -> None:
    (c,) = [c for c in list_coverage(catalog) if c.key == "cosai-mcp"]
    assert [e.reference for e in c.entries] == [f"cosai-mcp:MCP-T{n}" for n in range(1, 13)]
    assert c.gaps == ()
    assert "cosai-mcp:MCP-T4" in catalog.threats["MCP-003"].threat.references  # tool poisoning
    assert "cosai-mcp:MCP-T10" in catalog.threats["AG-004"].threat.references  # denial of wallet


def test_the_mcp_top_10_is_kept_and_marked_beta(catalog, standards) -> None:
    assert standards["owasp-mcp"].status.startswith("beta")
    page = standards_markdown(list_coverage(catalog))
    assert "OWASP MCP Top 10 2025" in page and "beta" in page


def _atlas() -> dict[str, str]:
    data = yaml.load(
        (REFERENCE / "atlas" / "ATLAS.yaml").read_text(),
        Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader),
    )
    names = {t["id"]: t["name"] for m in data["matrices"] for t in m["techniques"]}
    # A sub-technique is listed as `Parent: Sub`, as ATLAS shows it.
    return {
        tid: (f"{names[tid.rsplit('.', 1)[0]]}: {name}" if tid.count(".") == 2 else name)
        for tid, name in names.items()
    }


def test_every_atlas_entry_listed_exists_under_its_atlas_name(standards) -> None:
    known = _atlas()
    listed = {ref.split(":", 1)[1]: name for ref, name in standards["atlas"].entries.items()}
    wrong = {tid: (name, known.get(tid)) for tid, name in listed.items() if known.get(tid) != name}
    assert not wrong, wrong


def test_every_atlas_id_cited_is_listed_and_exists(catalog, standards) -> None:
    # Runs over whatever threats the catalog holds, new ones included.
    known = _atlas()
    cited = {r for c in catalog.threats.values() for r in c.threat.references if r[:6] == "atlas:"}
    assert cited
    assert not {r for r in cited if r.split(":", 1)[1] not in known}
    (atlas,) = [c for c in list_coverage(catalog, standards) if c.key == "atlas"]
    assert {e.reference for e in atlas.entries if e.threats} == cited


def _decided(catalog, threat_name: str):
    fixture = (FIXTURES / "AG-001" / "vulnerable.yaml").read_text()
    text = fixture + (
        "decisions:\n"
        f"  - threat: {threat_name}\n"
        "    target: agent.tools.mailer\n"
        "    status: accepted\n"
        "    reason: The mailer only sends to the user's own address.\n"
        "    expires: 2027-01-31\n"
    )
    loaded = load_model_text(
        text,
        "m.yaml",
        known_controls=frozenset(catalog.controls),
        known_threats=catalog.threat_names,
    )
    report = check([loaded], catalog, today=TODAY)
    (finding,) = [f for f in report.findings if f.threat == "AG-001"]
    return finding, report.stale_decisions


@pytest.mark.parametrize(
    "name", ["AG-001", "owasp-llm:LLM06:2025", "owasp-llm:LLM03:2026", "cosai-mcp:MCP-T2"]
)
def test_a_decision_naming_either_edition_matches(catalog, name: str) -> None:
    finding, stale = _decided(catalog, name)
    assert finding.status is Status.accepted and stale == []
    assert {"owasp-llm:LLM06:2025", "owasp-llm:LLM03:2026"} <= set(finding.references)


def test_a_decision_naming_the_same_number_in_the_other_edition_does_not_match(catalog) -> None:
    # LLM06:2026 is Unbounded Consumption, not Excessive Agency: AG-001 is not decided by it.
    finding, stale = _decided(catalog, "owasp-llm:LLM06:2026")
    assert finding.status is Status.open
    assert [s.threat for s in stale] == ["owasp-llm:LLM06:2026"]


def test_reports_print_both_editions(cli, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    model = ROOT / "models" / "support-copilot.yaml"
    cli("check", model, "--format", "json", "--output", out, "--fail-on", "none")
    findings = json.loads(out.read_text())["findings"]
    pi = next(f for f in findings if f["threat"] == "PI-003")
    assert {"owasp-llm:LLM01:2025", "owasp-llm:LLM01:2026", "cosai-mcp:MCP-T4"} <= set(
        pi["references"]
    )


def test_coverage_command_shows_every_list(cli) -> None:
    result = cli("catalog", "coverage")
    assert result.exit_code == 0, result.output
    for heading in (
        "OWASP Top 10 for LLM Applications 2025",
        "OWASP Top 10 for LLM Applications 2026",
        "OWASP MCP Top 10 2025",
        "CoSAI Model Context Protocol Security v2.0",
        "MITRE ATLAS v5.6.0",
    ):
        assert heading in result.output
    assert "Excessive Agency (was LLM06:2025)" in result.output
    assert "NOT COVERED" not in result.output and "no gaps in a required list" in result.output


def test_a_broken_standards_file_is_one_clear_error(tmp_path: Path, standards) -> None:
    path = tmp_path / "standards.yaml"
    text = (ROOT / "catalog" / "standards.yaml").read_text()
    path.write_text(text.replace("supersedes: owasp-llm-2025", "supersedes: owasp-llm-2024"))
    with pytest.raises(CatalogError, match="supersedes `owasp-llm-2024`, which is not a list"):
        load_standards(path)
    path.write_text(text.replace("LLM03:2026: owasp-llm:LLM06:2025", "LLM03:2026: x:LLM06:2025"))
    with pytest.raises(CatalogError, match="not in `owasp-llm-2025`"):
        load_standards(path)
