"""Adopting tmcode: the example models, init, baselines and diffs, the CI action and hooks."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import MODELS, ROOT
from tmcode.catalog.load import load_catalog
from tmcode.engine import check
from tmcode.model.load import load_model
from tmcode.report import FailOn, Severity, Status, gate_failures

TODAY = dt.date(2026, 11, 26)
EXAMPLES = [
    "rag-assistant",
    "support-agent",
    "coding-agent",
    "research-workflow",
    "browser-agent",
    "finetune-pipeline",
    "fraud-scoring",
    "voice-assistant",
]

# Per example: (threat, target, severity, status) that must be found, and the first element
# of the evidence path where the path matters.
KEY_FINDINGS = {
    "rag-assistant": [
        ("OUT-002", "answer-model", "critical", "open", "doc-connector"),
        ("RAG-001", "index", "high", "mitigated", "doc-connector"),
        ("RAG-003", "index", "high", "open", None),
    ],
    "support-agent": [
        ("AG-001", "agent.tools.refunds", "critical", "open", None),
        ("AG-003", "agent", "critical", "open", None),
        ("PI-005", "support-model", "medium", "open", None),
        ("RAG-002", "orders-db", "high", "open", None),
    ],
    "coding-agent": [
        ("PI-003", "agent", "critical", "open", "docs-web"),
        ("PI-002", "agent", "critical", "open", "docs-web"),
        ("OUT-003", "agent.tools.shell", "critical", "open", None),
        ("MCP-005", "fetch-mcp", "high", "open", None),
        ("MCP-003", "agent.tools.forge-mcp", "high", "mitigated", None),
        ("SEC-002", "agent", "high", "open", None),
    ],
    "research-workflow": [
        ("PI-003", "searcher", "critical", "open", "domain-expert"),
        ("PI-002", "planner", "high", "open", "domain-expert"),
        ("MA-001", "planner->writer", "high", "open", None),
        ("MA-003", "planner", "high", "open", None),
        ("MEM-001", "scratchpad", "high", "open", "domain-expert"),
        ("AG-006", "planner", "high", "open", None),
    ],
    "browser-agent": [
        ("PI-003", "agent", "critical", "open", "supplier-portals"),
        ("SEC-002", "agent", "high", "open", None),
        ("OUT-003", None, None, None, None),
    ],
    "finetune-pipeline": [
        ("SC-004", "open-dataset", "high", "open", None),
        ("SC-006", "triage-model", "high", "open", "open-dataset"),
        ("SC-002", "base-weights", "high", "mitigated", None),
        ("SC-005", "registry", "high", "mitigated", None),
    ],
    "fraud-scoring": [
        ("ML-001", "scorer", "high", "open", "cardholder"),
        ("SC-001", "model-file", "high", "open", None),
    ],
    "voice-assistant": [
        ("PI-003", "agent", None, None, None),
        ("PI-002", "assistant", "critical", "open", "inbox"),
        ("MEM-001", "memory", "high", "open", None),
        ("AG-001", "assistant.tools.booking", "critical", "mitigated", None),
    ],
}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def run(catalog, path: Path):
    return check(
        [load_model(path, known_controls=frozenset(catalog.controls))], catalog, today=TODAY
    )


def test_at_least_eight_examples_with_comments() -> None:
    for name in EXAMPLES:
        text = (MODELS / f"{name}.yaml").read_text()
        assert text.startswith("#") and text.count("#") >= 3, name
        assert (MODELS / "mitigated" / f"{name}.yaml").is_file(), name


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_key_findings(catalog, name: str) -> None:
    report = run(catalog, MODELS / f"{name}.yaml")
    for threat, target, severity, status, origin in KEY_FINDINGS[name]:
        found = [f for f in report.findings if f.threat == threat and f.target == target]
        if severity is None:  # a threat that must NOT apply here
            assert not found, (threat, target)
            continue
        assert len(found) == 1, (
            name,
            threat,
            target,
            [(f.threat, f.target) for f in report.findings],
        )
        f = found[0]
        assert (f.severity, f.status) == (Severity(severity), Status(status)), (name, threat, f)
        if origin is not None:
            assert f.elements[0] == origin, (name, threat, f.elements)
    assert gate_failures(report.findings, FailOn.high), name


@pytest.mark.parametrize("name", EXAMPLES)
def test_mitigated_variant_passes_the_high_gate(catalog, cli, name: str) -> None:
    path = MODELS / "mitigated" / f"{name}.yaml"
    report = run(catalog, path)
    assert not gate_failures(report.findings, FailOn.high), [
        (f.threat, f.target) for f in gate_failures(report.findings, FailOn.high)
    ]
    assert cli("check", path, "--today", "2026-11-26").exit_code == 0
    original = {(f.threat, f.target) for f in run(catalog, MODELS / f"{name}.yaml").findings}
    still_open = {(f.threat, f.target) for f in report.findings if f.status is Status.open}
    assert still_open <= original  # mitigating never opens a new finding


def test_a_mitigated_variant_uses_an_expiring_acceptance(catalog) -> None:
    report = run(catalog, MODELS / "mitigated" / "fraud-scoring.yaml")
    accepted = [f for f in report.findings if f.status is Status.accepted]
    assert [(f.threat, f.decision.expires) for f in accepted] == [("ML-001", "2027-09-30")]
    later = check(
        [load_model(MODELS / "mitigated" / "fraud-scoring.yaml")],
        catalog,
        today=dt.date(2027, 10, 1),
    )
    assert gate_failures(later.findings, FailOn.high)


@pytest.mark.parametrize(
    ("python", "twin"),
    [
        ("ide_agent.py", "ide-agent.yaml"),
        ("rag_assistant.py", "rag-assistant.yaml"),
        ("fraud_scoring.py", "fraud-scoring.yaml"),
    ],
)
def test_python_examples_equal_their_yaml_twins(python: str, twin: str) -> None:
    assert load_model(MODELS / python).model == load_model(MODELS / twin).model


# ---------------------------------------------------------------- init


def test_init_writes_a_checkable_starter_and_never_overwrites(cli, tmp_path: Path) -> None:
    result = cli("init", tmp_path)
    assert result.exit_code == 0, result.output
    model = tmp_path / "threat-model.yaml"
    assert model.read_text().startswith("# yaml-language-server: $schema=./tmcode.schema.json")
    assert json.loads((tmp_path / "tmcode.schema.json").read_text())["$schema"].endswith(
        "2020-12/schema"
    )
    workflow = yaml.safe_load((tmp_path / ".github" / "workflows" / "threat-model.yml").read_text())
    assert "tmcode" in workflow["jobs"]
    hooks = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())
    assert hooks["repos"][0]["hooks"][0]["id"] == "tmcode-validate"
    assert "Next steps" in result.output
    assert cli("validate", model).exit_code == 0
    assert cli("check", model).exit_code in (0, 1)
    model.write_text("# my own model\n")
    again = cli("init", tmp_path)
    assert again.exit_code == 2
    assert "never overwrites" in again.output
    assert model.read_text() == "# my own model\n"


def test_init_refuses_before_writing_anything(cli, tmp_path: Path) -> None:
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: []\n")
    assert cli("init", tmp_path).exit_code == 2
    assert not (tmp_path / "threat-model.yaml").exists()
    assert (tmp_path / ".pre-commit-config.yaml").read_text() == "repos: []\n"


# ---------------------------------------------------------------- baseline and diff

SUPPORT = (MODELS / "support-copilot.yaml").read_text()
CHANGED = (
    SUPPORT.replace(
        "  audit-log:\n",
        "  shell:\n    kind: tool\n    boundary: corp\n    interprets: [shell]\n  audit-log:\n",
    )
    .replace(
        "      mailer:\n        scopes: [send]\n        credential: service_account\n",
        "      mailer:\n        scopes: [send]\n        credential: service_account\n      shell:\n        scopes: [execute]\n",
    )
    .replace(
        "    stores: [help-articles, ticket-history]\n    tenancy: single\n",
        "    stores: [help-articles]\n    tenancy: single\n",
    )
)


def test_baseline_labels_new_unchanged_and_fixed(cli, tmp_path: Path) -> None:
    old_model, new_model = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old_model.write_text(SUPPORT)
    new_model.write_text(CHANGED)
    old_json = tmp_path / "old.json"
    assert (
        cli("check", old_model, "-f", "json", "-o", old_json, "--today", "2026-11-26").exit_code
        == 1
    )
    new_json = tmp_path / "new.json"
    result = cli(
        "check",
        new_model,
        "--baseline",
        old_json,
        "-f",
        "json",
        "-o",
        new_json,
        "--today",
        "2026-11-26",
    )
    assert result.exit_code == 1
    report = json.loads(new_json.read_text())
    changes = {(f["threat"], f["target"]): f["change"] for f in report["findings"]}
    assert changes[("OUT-003", "copilot.tools.shell")] == "new"
    assert changes[("PI-002", "copilot")] == "unchanged"
    assert {(f["threat"], f["target"]) for f in report["baseline"]["fixed"]} >= {
        ("RAG-003", "knowledge-base")
    }
    assert report["baseline"]["new"] == sum(1 for c in changes.values() if c == "new")


def test_fail_on_new_gates_only_on_new_findings(cli, tmp_path: Path) -> None:
    old_model = tmp_path / "old.yaml"
    old_model.write_text(SUPPORT)
    old_json = tmp_path / "old.json"
    cli("check", old_model, "-f", "json", "-o", old_json, "--today", "2026-11-26")
    same = cli("check", old_model, "--baseline", old_json, "--fail-on-new", "--today", "2026-11-26")
    assert same.exit_code == 0, same.output  # the old high findings are adopted, not failed
    assert "PASS" in same.output.splitlines()[-1]
    new_model = tmp_path / "new.yaml"
    new_model.write_text(CHANGED)
    worse = cli(
        "check", new_model, "--baseline", old_json, "--fail-on-new", "--today", "2026-11-26"
    )
    assert worse.exit_code == 1
    assert "[new]" in worse.output
    assert cli("check", old_model, "--fail-on-new").exit_code == 2  # needs --baseline


def test_diff_says_what_changed(cli, tmp_path: Path) -> None:
    reports = []
    for name, text in (("old", SUPPORT), ("new", CHANGED)):
        model = tmp_path / f"{name}.yaml"
        model.write_text(text)
        out = tmp_path / f"{name}.json"
        cli("check", model, "-f", "json", "-o", out, "--today", "2026-11-26")
        reports.append(out)
    text = cli("diff", *reports)
    assert text.exit_code == 0
    first = text.output.splitlines()[0]
    assert first.startswith(
        "This change adds 1 component (shell); adds 1 permission (copilot.tools.shell)"
    )
    assert "new open threat(s) (" in first and "critical" in first and "fixes" in first
    md = cli("diff", *reports, "--format", "markdown")
    assert md.output.startswith("### This change") and "`copilot.tools.shell`" in md.output
    data = json.loads(cli("diff", *reports, "--format", "json").output)
    assert data["added"]["permissions"] == ["copilot.tools.shell"]
    assert any(f["threat"] == "OUT-003" for f in data["new_findings"])
    assert any(f["threat"] == "RAG-003" for f in data["fixed_findings"])


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ("{not json", "not valid JSON"),
        ('{"findings": 3}', "not a tmcode JSON report"),
        ('{"findings": [{"id": 1}]}', "field `findings[0].id` must be text, not a number"),
        ('{"findings": [{"id": "x"}]}', "the field `findings[0].threat` is missing"),
        ('{"findings": [], "models": "abc"}', "field `models` must be a list, not text"),
        ("[]", "not a tmcode JSON report"),
    ],
)
def test_bad_baseline_is_a_clean_error(cli, tmp_path: Path, content: str, text: str) -> None:
    bad = tmp_path / "base.json"
    bad.write_text(content)
    result = cli("check", MODELS / "support-copilot.yaml", "--baseline", bad)
    assert result.exit_code == 2
    assert text in result.output and str(bad) in result.output
    assert "Traceback" not in result.output
    assert cli("diff", bad, bad).exit_code == 2


# ---------------------------------------------------------------- CI integration


def test_action_runs_its_script_and_gates(tmp_path: Path) -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    check_step = next(s for s in steps if s.get("id") == "check")
    assert "scripts/action-check.sh" in check_step["run"]
    upload = next(
        s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif")
    )
    assert (
        "head.repo.full_name == github.repository" in upload["if"] and upload["continue-on-error"]
    )
    assert "exit" in steps[-1]["run"]
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "TMCODE_MODELS": "models/support-copilot.yaml models/mitigated/*.yaml",
        "TMCODE_FAIL_ON": "high",
    }
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "action-check.sh")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    outputs = dict(line.split("=", 1) for line in (tmp_path / "output").read_text().splitlines())
    assert outputs["exit-code"] == "1"
    sarif = json.loads(Path(outputs["sarif"]).read_text())
    assert sarif["version"] == "2.1.0"
    assert (tmp_path / "summary.md").read_text().startswith("## tmcode:")
    # The same step with the main branch's report as baseline and --fail-on-new passes.
    env.update(
        TMCODE_BASELINE=outputs["json"],
        TMCODE_FAIL_ON_NEW="true",
        GITHUB_OUTPUT=str(tmp_path / "output2"),
    )
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "action-check.sh")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert "exit-code=0" in (tmp_path / "output2").read_text()
    # A broken model: the step still succeeds, reports the error and hands over exit code 2.
    env.update(
        TMCODE_MODELS=str(tmp_path / "missing.yaml"),
        TMCODE_BASELINE="",
        GITHUB_OUTPUT=str(tmp_path / "output3"),
        GITHUB_STEP_SUMMARY=str(tmp_path / "summary3.md"),
    )
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "action-check.sh")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert "exit-code=2" in (tmp_path / "output3").read_text()
    assert "could not check" in (tmp_path / "summary3.md").read_text()


def test_pre_commit_hooks_run_their_entries() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["tmcode-validate", "tmcode-check"]
    import re

    for hook in hooks:
        assert re.search(hook["files"], "threat-model/support.yaml")
        assert re.search(hook["files"], "service/api.tm.yaml")
        assert not re.search(hook["files"], "src/app.py")
        entry = hook["entry"].split()
        tmcode = shutil.which("tmcode", path=str(Path(sys.executable).parent)) or "tmcode"
        done = subprocess.run(
            [tmcode, *entry[1:], str(MODELS / "mitigated" / "rag-assistant.yaml")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (hook["id"], done.stdout, done.stderr)


def test_gitlab_example_uses_junit() -> None:
    job = yaml.safe_load((ROOT / "examples" / "gitlab-ci.yml").read_text())["threat-model"]
    assert job["artifacts"]["reports"]["junit"] == "tmcode.xml"
    assert any("-f junit -o tmcode.xml" in line for line in job["script"])
