"""Exact words and complete evidence: partly met sets, assumptions, labelled paths, grouping."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import ROOT
from tmcode.catalog.load import load_catalog
from tmcode.engine import check
from tmcode.graph import ORIGIN_LIMIT, flow_graph, reachable, reachable_origins
from tmcode.model.load import load_model
from tmcode.render import RenderOptions, render
from tmcode.render.site import site_files
from tmcode.render.wording import assumption_note, more_paths, set_state
from tmcode.report import (
    FailOn,
    MORE_SOURCES_CAP,
    PATHS_SHOWN,
    ControlSetState,
    Report,
    report_to_dict,
)
from tmcode.catalog.conditions.reach import PATH_LIMIT

TODAY = dt.date(2026, 11, 26)
FORMATS = ("text", "markdown", "html", "sarif", "junit")

# LC-001 on a production agent that declares its kill switch and plans a rollback: the
# set {kill_switch, monitoring_alerting} is half met.
PARTLY = """\
tmcode: 1
system: {name: Partly, lifecycle: production}
boundaries:
  corp: {trust: internal}
components:
  llm: {kind: llm, boundary: corp, hosting: self_hosted}
  db: {kind: datastore, boundary: corp}
  agent:
    kind: agent
    boundary: corp
    model: llm
    autonomy: supervised
    users: single
    identity: user_delegated
    controls: [kill_switch, {id: rollback, status: planned}]
    tools:
      db: {scopes: [read, write]}
"""

# AG-004 fires on an agent whose autonomy is unset (assumed autonomous).
ASSUMED = PARTLY.replace("    autonomy: supervised\n", "")


def _source(n: int) -> str:
    return f"  web{n}: {{kind: external_content, boundary: internet, content: web}}\n"


def many_sources(n: int) -> str:
    """``n`` web pages and a package registry (through a store) all reaching one agent."""
    head = (
        "tmcode: 1\nsystem: {name: Sources, lifecycle: production}\nboundaries:\n"
        "  internet: {trust: untrusted}\n  corp: {trust: internal}\ncomponents:\n"
        "  llm: {kind: llm, boundary: corp, hosting: self_hosted}\n"
        "  agent: {kind: agent, boundary: corp, model: llm, autonomy: supervised}\n"
        "  tickets: {kind: datastore, boundary: corp}\n"
        "  registry: {kind: external_service, boundary: internet}\n"
    )
    flows = "flows:\n  - {from: registry, to: tickets, kind: api}\n"
    flows += "  - {from: tickets, to: agent, kind: retrieval}\n"
    body = "".join(_source(i) for i in range(n))
    flows += "".join(f"  - {{from: web{i}, to: agent, kind: retrieval}}\n" for i in range(n))
    return head + body + flows


def report_of(tmp_path: Path, text: str, name: str = "model.yaml") -> Report:
    path = tmp_path / name
    path.write_text(text)
    return check([load_model(str(path))], load_catalog(), today=TODAY)


def rendered(report: Report, fmt: str) -> str:
    return render(report, fmt, RenderOptions(fail_on=FailOn.low))


def finding(report: Report, threat: str):
    return next(f for f in report.findings if f.threat == threat)


# ------------------------------------------------------------------ partly met control sets


def test_set_state_names_declared_planned_and_missing_controls() -> None:
    cs = ControlSetState(
        all=["kill_switch", "monitoring_alerting", "rollback"],
        present=["kill_switch"],
        planned=["rollback"],
        missing=["monitoring_alerting", "rollback"],
        satisfied=False,
    )
    assert (
        set_state(cs, str) == "kill_switch declared; rollback planned; monitoring_alerting missing"
    )


def test_a_partly_met_set_is_shown_as_such_in_every_format(tmp_path: Path) -> None:
    report = report_of(tmp_path, PARTLY)
    lc = finding(report, "LC-001")
    assert lc.status.value == "open"
    words = "kill_switch declared; monitoring_alerting missing"
    assert f"closest: {words}" in rendered(report, "text")
    assert "`kill_switch` declared; `monitoring_alerting` missing" in rendered(report, "markdown")
    html = re.sub(r"<[^>]+>", "", rendered(report, "html"))
    assert f"the closest: {words}" in html
    sarif = json.loads(rendered(report, "sarif"))
    result = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "LC-001")
    assert f"Closest: {words}." in result["message"]["text"]
    assert words in result["properties"]["controls"][0]
    junit = ET.fromstring(rendered(report, "junit").split("\n", 1)[1])
    failure = next(
        c.find("failure") for c in junit.iter("testcase") if c.get("classname") == "tmcode.LC-001"
    )
    assert failure is not None and f"closest: {words}" in (failure.text or "")
    page = next(v for k, v in site_files(report, svg=False).items() if lc.id in k)
    assert "Closest to complete: `kill_switch` declared; `monitoring_alerting` missing." in str(
        page
    )
    # A planned control is named as planned.
    lc2 = finding(report, "LC-002")
    assert "closest: rollback planned" in rendered(report, "text")
    assert lc2.controls[0].planned == ["rollback"]


def test_lc001_message_holds_when_the_kill_switch_is_declared(tmp_path: Path) -> None:
    lc = finding(report_of(tmp_path, PARTLY), "LC-001")
    assert "no way to stop" not in lc.message and "kill switch and monitoring" in lc.message


# ------------------------------------------------------------------ assumptions, first line


def test_a_finding_resting_on_an_assumption_says_so_in_its_first_line(tmp_path: Path) -> None:
    report = report_of(tmp_path, ASSUMED)
    ag = finding(report, "AG-004")
    note = "assumes `autonomy: autonomous` (unset) — declare `autonomy` on `agent` to settle"
    assert assumption_note(ag) == note
    text = rendered(report, "text").splitlines()
    first = next(line for line in text if re.match(r"\s+[A-Z]+ AG-004 ", line))
    assert first.rstrip().endswith(note)
    md_row = next(line for line in rendered(report, "markdown").splitlines() if "AG-004" in line)
    assert "assumes `autonomy: autonomous` \\(unset\\)" in md_row
    html = rendered(report, "html")
    heading = re.search(rf'<article[^>]*id="{ag.id}".*?<h4>(.*?)</h4>', html, re.S)
    assert heading is not None and "assumes <code>autonomy: autonomous</code>" in heading.group(1)
    sarif = json.loads(rendered(report, "sarif"))
    result = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "AG-004")
    assert result["message"]["text"].split(". ")[1].startswith("It assumes `autonomy: autonomous`")
    files = site_files(report, svg=False)
    page = next(str(v) for k, v in files.items() if k.endswith(f"{ag.id}.md"))
    verdict = next(line for line in page.splitlines() if line.startswith('<span class="tmcode-sev'))
    assert "assumes `autonomy: autonomous` \\(unset\\)" in verdict
    listing = next(str(v) for k, v in files.items() if k.endswith("/findings.md"))
    assert "assumes `autonomy: autonomous`" in listing


def test_a_finding_without_assumptions_has_no_note(tmp_path: Path) -> None:
    report = report_of(tmp_path, PARTLY)
    assert assumption_note(finding(report, "LC-001")) == ""
    assert "assumes" not in rendered(report, "text")


# ------------------------------------------------------------------ every source's path


def test_every_source_of_an_injection_gets_its_own_path(tmp_path: Path) -> None:
    report = report_of(tmp_path, many_sources(2))
    pi = finding(report, "PI-002")
    origins = [p.elements[0] for p in pi.paths]
    assert set(origins) == {"web0", "web1", "registry"}
    assert all(p.elements[-1] == "agent" for p in pi.paths)
    assert pi.paths[0].elements == pi.elements  # the primary path is `elements`, in order
    assert pi.paths_left_out == 0
    labels = [p.label for p in pi.paths]
    assert "untrusted content in from `registry`" in labels
    data = report_to_dict(report)["findings"]
    row = next(f for f in data if f["threat"] == "PI-002")
    assert row["paths"][0] == {"label": pi.paths[0].label, "elements": pi.elements}
    assert row["paths_left_out"] == 0


def test_injection_paths_are_bounded_with_a_count_of_the_rest(tmp_path: Path) -> None:
    report = report_of(tmp_path, many_sources(9))
    pi = finding(report, "PI-002")
    assert len(pi.paths) == PATHS_SHOWN == PATH_LIMIT
    assert pi.paths_left_out == 10 - PATHS_SHOWN  # nine pages and the registry
    assert len({p.elements[0] for p in pi.paths}) == PATHS_SHOWN
    text = rendered(report, "text")
    assert "and 5 more paths" in text
    assert "and 5 more paths" in rendered(report, "markdown")
    assert "And 5 more paths." in json.dumps(json.loads(rendered(report, "sarif")))


def test_the_count_of_sources_left_out_says_at_least_at_the_cap() -> None:
    assert MORE_SOURCES_CAP == ORIGIN_LIMIT - PATHS_SHOWN
    assert more_paths(3) == "and 3 more paths"
    assert more_paths(1) == "and 1 more path"
    assert more_paths(MORE_SOURCES_CAP) == f"and at least {MORE_SOURCES_CAP} more paths"
    assert more_paths(0) == ""


def test_origin_search_keeps_nearest_origins_and_stops_at_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(many_sources(30))
    loaded = load_model(str(path))
    graph = flow_graph(loaded.model, loaded.index)
    sources = [f"web{i}" for i in range(30)]
    by_origin, at = reachable_origins(graph, sources, limit=4)
    assert len(at["agent"]) == 4  # capped
    assert all(len(origins) <= 4 for origins in at.values())
    for origin in at["agent"]:
        assert by_origin[origin]["agent"] is not None
    # Each origin's own map agrees with a search from that origin alone.
    alone = reachable(graph, [at["agent"][0]])
    assert set(by_origin[at["agent"][0]]) <= set(alone)


# ------------------------------------------------------------------ the trifecta's legs


def test_the_trifecta_reads_as_three_labelled_legs() -> None:
    report = check(
        [load_model(str(ROOT / "models" / "coding-agent.yaml"))], load_catalog(), today=TODAY
    )
    pi = finding(report, "PI-003")
    assert [p.label.split(" ")[0:2] for p in pi.paths] == [
        ["untrusted", "content"],
        ["private", "data"],
        ["way", "out"],
    ]
    content, data, out = pi.paths
    assert content.elements[-1] == data.elements[-1] == out.elements[0] == "agent"
    assert pi.paths_left_out > 0  # the other sources of each leg are counted
    text = rendered(report, "text")
    assert "untrusted content in from `docs-web`: docs-web →" in text
    assert "way out to `fetch-mcp`: agent → agent.tools.fetch-mcp → fetch-mcp" in text


# ------------------------------------------------------------------ grouping by target


def test_findings_on_one_target_are_grouped_and_cross_referenced() -> None:
    report = check(
        [load_model(str(ROOT / "models" / "coding-agent.yaml"))], load_catalog(), today=TODAY
    )
    on_shell = [f for f in report.findings if f.target == "agent.tools.shell"]
    assert len(on_shell) > 2
    text = rendered(report, "text").splitlines()
    # In each severity, the target's findings of that severity follow one heading for it.
    critical = [f.threat for f in on_shell if f.severity.value == "critical"]
    head = text.index(next(line for line in text if line.startswith("  agent.tools.shell · at ")))
    block = []
    for line in text[head + 1 :]:
        if not line.startswith("    "):
            break
        if re.match(r"    [A-Z]+ [A-Z]+-\d+ ", line):
            block.append(line.split()[1])
    assert block == critical
    also = [line for line in text if line.startswith("    also on this target:")]
    assert also
    md = rendered(report, "markdown")
    rows = [
        line for line in md.splitlines() if line.startswith("| ") and "`agent.tools.shell`" in line
    ]
    open_on_shell = [f for f in on_shell if f.status.value == "open"]
    assert len(rows) == len(open_on_shell)
    lines = md.splitlines()
    index = [lines.index(r) for r in rows]
    assert index == list(range(index[0], index[0] + len(rows)))  # adjacent
    html = rendered(report, "html")
    assert 'id="targets"' in html and "Targets with several findings" in html
    first = on_shell[0]
    article = re.search(rf'<article[^>]*id="{first.id}".*?</article>', html, re.S)
    assert article is not None and "Also on this target" in article.group(0)
    for other in on_shell[1:]:
        assert f'href="#{other.id}"' in article.group(0)
    files = site_files(report, svg=False)
    listing = next(str(v) for k, v in files.items() if k.endswith("/findings.md"))
    assert "## Targets with several findings" in listing
    shell_line = next(
        line for line in listing.splitlines() if line.startswith("- `agent.tools.shell`")
    )
    for f in on_shell:
        assert f.id in shell_line
    page = next(str(v) for k, v in files.items() if k.endswith(f"{first.id}.md"))
    assert "Also on this target:" in page and on_shell[1].id in page


def test_grouping_keeps_the_severity_sections_and_json_order() -> None:
    report = check(
        [load_model(str(ROOT / "models" / "support-copilot.yaml"))], load_catalog(), today=TODAY
    )
    text = rendered(report, "text")
    headers = [line for line in text.splitlines() if re.match(r"^[A-Z]+ \(", line)]
    assert headers == [
        "CRITICAL (1 open, 1 mitigated)",
        "HIGH (8 open)",
        "MEDIUM (7 open, 1 mitigated, 1 accepted)",
        "LOW (1 open)",
    ]
    ranks = [f.severity.rank for f in report.findings]
    assert ranks == sorted(ranks, reverse=True)


@pytest.mark.parametrize("fmt", FORMATS)
def test_flow_in_evidence_reads_in_flow_order(tmp_path: Path, fmt: str) -> None:
    report = check(
        [load_model(str(ROOT / "models" / "research-workflow.yaml"))], load_catalog(), today=TODAY
    )
    ma = next(f for f in report.findings if f.threat == "MA-002")
    assert ma.elements[:3] == ["planner", "planner->writer", "writer"]
    assert "planner" in rendered(report, fmt)


FINDING_SCHEMA = json.loads((ROOT / "tests" / "schemas" / "finding.schema.json").read_text())


@pytest.mark.parametrize("model", sorted((ROOT / "models").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_finding_matches_the_finding_schema(model: Path) -> None:
    import jsonschema

    report = check([load_model(str(model))], load_catalog(), today=TODAY)
    validator = jsonschema.Draft202012Validator(FINDING_SCHEMA)
    for row in report_to_dict(report)["findings"]:
        validator.validate(row)
        assert len(row["paths"]) <= 1 + 3 * PATHS_SHOWN  # a frame, at most 5 per condition


def test_each_permission_a_finding_rests_on_is_its_own_labelled_path(tmp_path: Path) -> None:
    """AG-003 on support-copilot: two permissions, two paths, never one chain mailer → refunds."""
    text = (ROOT / "models" / "support-copilot.yaml").read_text()
    found = finding(report_of(tmp_path, text), "AG-003")
    legs = [(p.label, p.elements) for p in found.paths]
    assert ("permission held", ["copilot", "copilot.tools.mailer", "mailer"]) in legs
    assert ("permission held", ["copilot", "copilot.tools.refunds", "refunds"]) in legs
    assert not any("mailer" in e and "refunds" in e for _, e in legs)


STORED = """\
tmcode: 1
system: {name: Stored reports, lifecycle: development}
boundaries:
  internet: {trust: untrusted}
  corp: {trust: internal}
components:
  reporter: {kind: user, boundary: internet, audience: public}
  issues: {kind: datastore, boundary: corp}
  llm: {kind: llm, boundary: corp, hosting: self_hosted}
  triage:
    kind: agent
    boundary: corp
    model: llm
    autonomy: supervised
    tools:
      issues: {scopes: [read]}
flows:
  - {from: reporter, to: FIRST, kind: KIND}
"""


def test_what_outsiders_write_into_a_store_is_an_injection_source(tmp_path: Path) -> None:
    """Error reports written by end users reach the agent later: PI-002, from the reporter."""
    stored = report_of(tmp_path, STORED.replace("FIRST", "issues").replace("KIND", "ingest"))
    found = finding(stored, "PI-002")
    assert [(p.label, p.elements) for p in found.paths][0] == (
        "untrusted content in from `reporter`",
        ["reporter", "reporter->issues", "issues", "triage.tools.issues", "triage"],
    )
    # Typed straight at the agent it is direct injection (PI-001's), not PI-002's.
    direct = report_of(
        tmp_path, STORED.replace("FIRST", "triage").replace("KIND", "prompt"), "d.yaml"
    )
    assert not [f for f in direct.findings if f.threat == "PI-002"]
