"""The engine on the spec examples, decisions, controls, custom catalogs, gate and fingerprints."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

import pytest

from conftest import MODELS
from tmcode.catalog.load import load_catalog
from tmcode.engine import check
from tmcode.severity import severity_of
from tmcode.model.load import load_model, load_model_text
from tmcode.report import (
    FailOn,
    Finding,
    FindingLocation,
    Severity,
    Status,
    exit_code,
    gate_failures,
)

TODAY = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def run(catalog, text_or_path, today=TODAY):
    if isinstance(text_or_path, Path):
        loaded = load_model(text_or_path, known_controls=frozenset(catalog.controls))
    else:
        loaded = load_model_text(text_or_path, "m.yaml", known_controls=frozenset(catalog.controls))
    return check([loaded], catalog, today=today)


def one(report, threat: str, target: str) -> Finding:
    found = [f for f in report.findings if f.threat == threat and f.target == target]
    assert len(found) == 1, [(f.threat, f.target) for f in report.findings]
    return found[0]


def test_ide_agent_lethal_trifecta_through_public_issues(catalog) -> None:
    report = run(catalog, MODELS / "ide-agent.yaml")
    f = one(report, "PI-003", "agent")
    assert (f.severity, f.status) == (Severity.critical, Status.open)
    assert f.elements[:5] == [
        "public-issues",
        "public-issues->forge-api",
        "forge-api",
        "forge-api->forge-mcp",
        "forge-mcp",
    ]
    assert "agent.tools.terminal" in f.elements  # the network egress leg
    assert f.location.line == 45 and f.location.file.endswith("ide-agent.yaml")
    assert "owasp-llm:LLM01:2025" in f.references
    code = one(report, "OUT-003", "agent.tools.terminal")
    assert code.severity is Severity.critical
    secrets = one(report, "SEC-002", "agent")
    assert "workspace" in secrets.elements


def test_support_copilot_injected_mail(catalog) -> None:
    report = run(catalog, MODELS / "support-copilot.yaml")
    f = one(report, "PI-002", "copilot")
    # The only spend (refunds) waits for a person's approval: shown, but it raises nothing.
    assert (f.severity, f.status) == (Severity.high, Status.open)
    assert f.elements[0] == "inbound-email" and f.elements[-1] == "copilot"
    consequential = [factor for factor in f.severity_factors if "consequential" in factor]
    assert consequential == ["impact +0: consequential scopes (spend) need approval"]
    refunds = one(report, "AG-001", "copilot.tools.refunds")
    assert refunds.status is Status.mitigated
    assert any(s.satisfied and s.all == ["human_approval"] for s in refunds.controls)
    assert one(report, "AG-001", "copilot.tools.mailer").status is Status.open
    poisoning = one(report, "RAG-001", "knowledge-base")
    assert poisoning.elements == [
        "inbound-email",
        "inbound-email->knowledge-base",
        "knowledge-base",
    ]


def test_support_copilot_decision_accepts_by_reference(catalog) -> None:
    report = run(catalog, MODELS / "support-copilot.yaml")
    f = one(report, "DOS-001", "chat-model")
    assert f.status is Status.accepted
    assert f.decision is not None and f.decision.owner == "support-platform"
    assert f.decision.expires == "2027-06-30"
    assert not report.stale_decisions


def test_pipeline_pickle_checkpoint_and_poisoned_feedback(catalog) -> None:
    report = run(catalog, MODELS / "model-pipeline.yaml")
    pickle = one(report, "SC-001", "base-model")
    assert (pickle.severity, pickle.status) == (Severity.high, Status.open)
    assert one(report, "SC-002", "base-model").status is Status.open
    assert one(report, "SC-004", "feedback-set").severity is Severity.high
    poisoned = one(report, "SC-006", "inference")
    assert poisoned.elements[:3] == ["public", "public->feedback-set", "feedback-set"]
    assert poisoned.elements[-1] == "inference"
    assert not [f for f in report.findings if f.target == "tuned-model" and f.threat == "SC-002"]


def test_expired_acceptance_fails_the_gate_and_says_why(catalog) -> None:
    report = run(catalog, MODELS / "support-copilot.yaml", today=dt.date(2027, 7, 2))
    f = one(report, "DOS-001", "chat-model")
    assert f.status is Status.expired
    assert "expired 2 day(s) ago" in f.status_reason
    assert f in gate_failures(report.findings, FailOn.medium)


SUPPORT = (MODELS / "support-copilot.yaml").read_text()


def test_stale_decision_is_reported(catalog) -> None:
    text = SUPPORT + (
        "  - {threat: SC-001, target: mailer, status: false_positive, reason: not a model file}\n"
    )
    report = run(catalog, text)
    assert [(s.threat, s.target) for s in report.stale_decisions] == [("SC-001", "mailer")]
    assert report.stale_decisions[0].line == 113


def test_false_positive_by_catalog_id(catalog) -> None:
    text = SUPPORT + (
        "  - {threat: RAG-003, target: knowledge-base, status: false_positive, reason: no vectors kept}\n"
    )
    f = one(run(catalog, text), "RAG-003", "knowledge-base")
    assert f.status is Status.false_positive
    assert "no vectors kept" in f.status_reason


def test_planned_controls_mitigate_nothing_but_are_shown(catalog) -> None:
    text = SUPPORT.replace(
        "      mailer:\n        scopes: [send]",
        "      mailer:\n        scopes: [send]\n        controls: [{id: human_approval, status: planned}]",
    )
    f = one(run(catalog, text), "AG-001", "copilot.tools.mailer")
    assert f.status is Status.open
    assert f.controls[0].planned == ["human_approval"] and f.controls[0].missing == [
        "human_approval"
    ]
    done = text.replace(
        "{id: human_approval, status: planned}", "{id: human_approval, evidence: src/mail.py}"
    )
    assert one(run(catalog, done), "AG-001", "copilot.tools.mailer").status is Status.mitigated


def test_assumptions_name_the_unset_attribute(catalog) -> None:
    text = SUPPORT.replace("    autonomy: supervised\n", "")
    f = one(run(catalog, text), "AG-004", "copilot")
    assert "copilot: `autonomy` is unset; assumed `autonomous`" in f.assumptions


def test_fingerprints_survive_reordering_and_line_moves(catalog) -> None:
    base = {f.id: (f.threat, f.target) for f in run(catalog, SUPPORT).findings}
    lines = SUPPORT.split("\n")
    start = lines.index("components:")
    end = lines.index("flows:")
    block = lines[start + 1 : end]
    # Move the `customer` component to the end of the components block, add blank lines.
    first = next(i for i, line in enumerate(block[1:], 1) if not line.startswith("    "))
    moved = lines[: start + 1] + block[first:] + block[:first] + [""] * 3 + lines[end:]
    shuffled = {
        f.id: (f.threat, f.target) for f in run(catalog, "\n\n" + "\n".join(moved)).findings
    }
    assert shuffled == base
    assert len(base) == len(set(base))


def test_custom_catalog_adds_threats_and_controls(tmp_path: Path, catalog) -> None:
    (tmp_path / "threats").mkdir()
    (tmp_path / "controls.yaml").write_text(
        "controls:\n  vendor_review: {stage: design, atlas: [], description: Vendors pass a security review.}\n"
    )
    threat = (
        Path(catalog.threats["SC-003"].file)
        .read_text()
        .replace("id: SC-003", "id: ORG-001")
        .replace("kinds: [tool, mcp_server]", "kinds: [llm]")
        .replace(
            "attr: {name: source, in: [community, open_source, public_hub]}",
            "attr: {name: hosting, eq: vendor_api}",
        )
        .replace("  - all: [version_pinning, hash_verification]\n", "  - all: [vendor_review]\n")
    )
    (tmp_path / "threats" / "ORG-001.yaml").write_text(threat)
    custom = load_catalog([tmp_path])
    assert "ORG-001" in custom.threats and "vendor_review" in custom.controls
    f = one(run(custom, SUPPORT), "ORG-001", "chat-model")
    assert f.status is Status.open
    text = SUPPORT.replace(
        "    provider: ExampleAI", "    provider: ExampleAI\n    controls: [vendor_review]"
    )
    assert one(run(custom, text), "ORG-001", "chat-model").status is Status.mitigated


def finding(severity: Severity, status: Status) -> Finding:
    return Finding(
        id="x",
        threat="T",
        title="t",
        severity=severity,
        status=status,
        target="a",
        message="m",
        elements=["a"],
        references=["cwe:CWE-1"],
        controls=[],
        assumptions=[],
        location=FindingLocation("m.yaml"),
    )


@pytest.mark.parametrize(
    ("severity", "status", "fail_on"),
    list(itertools.product(list(Severity), list(Status), list(FailOn))),
)
def test_exit_policy_truth_table(severity, status, fail_on) -> None:
    from tmcode.report import Report

    report = Report(tool={}, system={}, summary={}, findings=[finding(severity, status)])
    gating = status in (Status.open, Status.expired)
    above = fail_on is not FailOn.none and severity >= Severity(fail_on.value)
    assert exit_code(report, fail_on) == (1 if gating and above else 0)


def test_severity_matrix() -> None:
    assert severity_of(3, 3) is Severity.high
    assert severity_of(2, 4) is Severity.critical
    assert severity_of(1, 4) is Severity.high
    assert severity_of(1, 1) is Severity.info
    assert severity_of(9, 9) is Severity.critical  # raised factors clamp to the matrix


def test_check_cli_exit_codes_and_formats(tmp_path: Path, cli) -> None:
    model = MODELS / "support-copilot.yaml"
    assert cli("check", model, "--today", "2026-11-26").exit_code == 1
    assert cli("check", model, "--fail-on", "none").exit_code == 0
    out = tmp_path / "report.json"
    result = cli("check", model, "--format", "json", "--output", out, "--today", "2026-11-26")
    assert result.exit_code == 1  # the report is written before the gate exits
    data = json.loads(out.read_text())
    assert {"schema_version", "tool", "system", "summary", "findings"} <= set(data)
    first = data["findings"][0]
    for key in (
        "id",
        "threat",
        "title",
        "severity",
        "status",
        "target",
        "elements",
        "references",
        "controls",
        "assumptions",
        "location",
    ):
        assert key in first
    assert data["system"] == {"id": "support-copilot", "name": "Support Copilot"}
    assert cli("check", model, "--format", "pdf").exit_code == 2
    assert cli("check", model, "--today", "someday").exit_code == 2


def test_check_text_groups_by_severity_and_ends_with_a_summary(cli, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    result = cli("check", MODELS / "support-copilot.yaml", "--today", "2026-11-26")
    lines = result.output.strip().splitlines()
    assert lines[0] == "CRITICAL (1 open, 1 mitigated)"
    assert "\033[" not in result.output
    assert lines[-1].startswith("Support Copilot — 20 findings: 17 open, 0 expired, 2 mitigated")
    assert "FAIL:" in lines[-1]
    headers = [
        line
        for line in lines
        if line and not line.startswith(" ") and "(" in line and ":" not in line
    ]
    assert headers == [
        "CRITICAL (1 open, 1 mitigated)",
        "HIGH (8 open)",
        "MEDIUM (7 open, 1 mitigated, 1 accepted)",
        "LOW (1 open)",
    ]


def test_check_colours_when_asked(cli) -> None:
    result = cli("check", MODELS / "support-copilot.yaml", "--color")
    assert "\033[1;35mCRITICAL" in result.output


def test_check_reports_model_errors_with_exit_2(tmp_path: Path, cli) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SUPPORT.replace("controls: [audit_logging]", "controls: [audit_loging]"))
    result = cli("check", bad)
    assert result.exit_code == 2
    assert f"{bad}:11:14:" in result.output and "did you mean `audit_logging`?" in result.output


def test_catalog_commands(cli) -> None:
    listing = cli("catalog", "list")
    assert listing.exit_code == 0
    assert len(listing.output.strip().splitlines()) >= 35
    assert "PI-003" in listing.output
    shown = cli("catalog", "show", "PI-003")
    assert shown.exit_code == 0
    for section in ("What it detects", "Why it matters", "Example", "Mitigations", "Limitations"):
        assert section in shown.output
    assert "owasp-llm:LLM01:2025" in shown.output
    missing = cli("catalog", "show", "PI-03")
    assert missing.exit_code == 2 and "did you mean `PI-003`?" in missing.output
    matrix = cli("catalog", "coverage")
    assert matrix.exit_code == 0
    assert "owasp-mcp:MCP09:2025" in matrix.output and "NOT COVERED" not in matrix.output


def test_the_library_api_runs_the_whole_pipeline() -> None:
    import tmcode

    report = tmcode.check_files([MODELS / "support-copilot.yaml"], today=TODAY)
    assert isinstance(report, tmcode.Report)
    assert any(
        f.threat == "PI-003" and f.severity is tmcode.Severity.critical for f in report.findings
    )
    assert tmcode.render_report(report, "markdown").startswith("## tmcode: Support Copilot")
    assert tmcode.build_graph(report.sources[0].model).number_of_nodes() == 10
    with pytest.raises(tmcode.TmcodeError, match="no such file"):
        tmcode.check_files([MODELS / "missing.yaml"])


# --- a conventional system (no AI component): AI rules stay silent (issue 13) ---------------

NO_AI = Path(__file__).parent / "benign" / "order-service-no-ai.yaml"


def test_no_finding_on_a_system_without_an_ai_component(catalog) -> None:
    assert run(catalog, NO_AI).findings == []


def test_adding_one_llm_brings_the_ai_rules_back(catalog) -> None:
    text = NO_AI.read_text()
    with_llm = text.replace("  db:\n", "  assistant:\n    kind: llm\n    boundary: app\n  db:\n", 1)
    assert with_llm != text
    threats = {f.threat for f in run(catalog, with_llm).findings}
    assert {"RAG-001", "SC-007"} <= threats


def test_imported_conventional_system_gets_no_sc_007(catalog, cli, tmp_path: Path) -> None:
    from conftest import REFERENCE

    out = tmp_path / "imported.yaml"
    assert cli("import", "otm", REFERENCE / "otm" / "EXAMPLE.json", "-o", out).exit_code == 0
    loaded = load_model(out)
    assert loaded.model.system.lifecycle is None  # assumed production, yet not an AI system
    assert not loaded.index.has_ai
    assert check([loaded], catalog, today=TODAY).findings == []


def test_drift_still_reports_agents_a_conventional_model_omits(catalog, tmp_path: Path) -> None:
    from tmcode.discover import discover_repository

    (tmp_path / ".mcp.json").write_text(
        json.dumps({"mcpServers": {"github": {"command": "npx", "args": ["-y", "gh-mcp"]}}})
    )
    loaded = load_model(NO_AI, known_controls=frozenset(catalog.controls))
    report = check([loaded], catalog, today=TODAY, repository=discover_repository(tmp_path))
    assert report.findings and {f.threat for f in report.findings} <= {
        t for t in catalog.threats if t.startswith("DRIFT-")
    }
    assert "DRIFT-001" in {f.threat for f in report.findings}


# --- HUM-001 follows the answers: to the people who read them (issue 13) -------------------

BENIGN = Path(__file__).parent / "benign"

ANSWERS = """
tmcode: 1
system: {name: Answers, lifecycle: production}
boundaries: {corp: {trust: internal}}
components:
  writer: {kind: user, boundary: corp, audience: employees}
  reader: {kind: user, boundary: corp, audience: employees}
  docs: {kind: vector_store, boundary: corp}
  bot: {kind: llm, boundary: corp}
flows:
  - {from: writer, to: docs, kind: ingest}
  - {from: docs, to: bot, kind: retrieval}
"""


def _relied_on(catalog, text_or_path) -> dict[str, list[str]]:
    """HUM-001's targets, each with the elements of its evidence."""
    report = run(catalog, text_or_path)
    return {f.target: f.elements for f in report.findings if f.threat == "HUM-001"}


def test_answers_are_relied_on_by_the_people_who_receive_them(catalog) -> None:
    # Writing into a store the model retrieves from is not receiving its answers.
    assert _relied_on(catalog, ANSWERS) == {}
    output = ANSWERS + "  - {from: bot, to: reader, kind: output}\n"
    assert _relied_on(catalog, output) == {"bot": ["bot", "bot->reader", "reader"]}
    asked = ANSWERS + "  - {from: reader, to: bot, kind: prompt}\n"
    assert "writer" not in _relied_on(catalog, asked)["bot"]
    screen = ANSWERS.replace("  bot:", "  screen: {kind: ui, boundary: corp}\n  bot:")
    screen += "  - {from: bot, to: screen, kind: output}\n"
    assert set(_relied_on(catalog, screen)) == {"bot"}


def test_a_sub_agent_that_answers_an_agent_is_not_relied_on_by_people(catalog) -> None:
    research = _relied_on(catalog, BENIGN / "supervised-research-agents.yaml")
    assert set(research) == {"planner", "writer"}  # searcher only answers the planner
    tenant = _relied_on(catalog, BENIGN / "tenant-rag.yaml")
    assert "customer" in tenant["answer-model"]
    assert "tenant-admin" not in tenant["answer-model"]  # writes articles, reads no answer
