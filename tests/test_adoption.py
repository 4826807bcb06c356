"""Adopting tmcode: the example models, init, baselines and diffs, the CI action and hooks."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
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
        ("AG-007", "agent.tools.workspace", "critical", "open", None),
    ],
    "research-workflow": [
        # The wiki is write-only for the writer: filing a report reads none of it back, so
        # no private data reaches the searcher and the trifecta does not apply.
        ("PI-003", "searcher", None, None, None),
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
        ("PI-002", "assistant", "high", "open", "inbox"),  # the spend waits for the owner
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
    assert "Next steps" in result.output and "TMCODE_REF" in result.output
    assert cli("validate", model).exit_code == 0
    assert cli("check", model).exit_code in (0, 1)
    model.write_text("# my own model\n")
    again = cli("init", tmp_path)
    assert again.exit_code == 2
    assert "never overwrites" in again.output
    assert model.read_text() == "# my own model\n"


def _tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


@pytest.mark.parametrize(
    "blocker",
    [".pre-commit-config.yaml", ".github", ".github/workflows", "dangling-link"],
)
def test_init_refuses_before_writing_anything(cli, tmp_path: Path, blocker: str) -> None:
    if blocker == "dangling-link":
        (tmp_path / "tmcode.schema.json").symlink_to(tmp_path / "nowhere")
    else:
        (tmp_path / blocker).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / blocker).write_text("mine\n")  # a file where init needs a file or folder
    before = _tree(tmp_path)
    result = cli("init", tmp_path)
    assert result.exit_code == 2
    assert any(
        why in result.output
        for why in ("wrote nothing", "already exists", "is not a folder", "is a symlink")
    )
    assert _tree(tmp_path) == before


def test_init_writes_no_file_when_a_write_fails(monkeypatch, tmp_path: Path) -> None:
    from tmcode import init, output
    from tmcode.errors import UsageError

    real = output._stage

    def failing(path: Path, *args, **kwargs) -> None:
        if path.name == "threat-model.yml":
            raise PermissionError(13, "Permission denied", str(path))
        real(path, *args, **kwargs)

    monkeypatch.setattr(output, "_stage", failing)
    target = tmp_path / "new"
    with pytest.raises(UsageError, match="cannot write"):
        init.init_project(target)
    # Every file is staged before any is renamed into place: none of them appears.
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


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
    assert changes[("AG-001", "copilot.tools.mailer")] == "unchanged"
    # The new shell's execute, unapproved unlike the refunds' spend, raises the agent's impact.
    assert changes[("PI-002", "copilot")] == "severity_raised"
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


GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout.strip()


def _expression(value: str, context: dict) -> str:
    """Evaluate the `${{ a.b || c.d }}` expressions GitHub would, from ``context``; no others."""

    def one(match: re.Match) -> str:
        for alternative in match.group(1).split("||"):
            found = context
            for key in alternative.strip().split("."):
                found = found[key]  # an expression the test does not know fails it
            if found:
                return str(found)
        return ""

    return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", one, value)


def _action_step_env(step_with: dict, context: dict) -> dict[str, str]:
    """The environment action.yml gives its check step for a workflow step's `with:`."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert set(step_with) <= set(action["inputs"]), set(step_with) - set(action["inputs"])
    inputs = {
        name: _expression(str(step_with.get(name, spec.get("default", ""))), context)
        for name, spec in action["inputs"].items()
    }
    check_step = next(s for s in action["runs"]["steps"] if s.get("id") == "check")
    return {key: _expression(value, {"inputs": inputs}) for key, value in check_step["env"].items()}


STARTER_WITH_SHELL = {  # a pull request that gives the starter's agent a shell tool
    "      search: {scopes: [read]}\n": "      search: {scopes: [read]}\n      shell: {scopes: [execute]}\n",
    "  mailer:\n    kind: tool\n    boundary: cloud\n": (
        "  mailer:\n    kind: tool\n    boundary: cloud\n"
        "  shell:\n    kind: tool\n    boundary: cloud\n    interprets: [shell]\n"
    ),
}


def test_init_workflow_gates_pull_requests_on_the_base_commit(cli, tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    assert cli("init", origin).exit_code == 0
    workflow = yaml.safe_load((origin / ".github" / "workflows" / "threat-model.yml").read_text())
    header = (origin / ".github" / "workflows" / "threat-model.yml").read_text().split("\nname:")[0]
    # PyYAML reads the key `on` as True.
    assert set(workflow[True]) == {"pull_request", "push"}
    assert workflow[True]["push"]["branches"] == ["main"]
    steps = workflow["jobs"]["tmcode"]["steps"]
    fetch = next(s for s in steps if s.get("with", {}).get("repository"))
    assert fetch["with"]["repository"] == "${{ env.TMCODE_REPOSITORY }}"
    assert fetch["with"]["ref"] == "${{ env.TMCODE_REF }}"
    action_step = next(s for s in steps if s.get("uses") == f"./{fetch['with']['path']}")
    step_with = action_step["with"]
    assert step_with["fail-on-new"] == "true"
    assert f"new open findings at or above `{step_with['fail-on']}`" in header
    assert "threat-model.yaml" in header and step_with["models"] == "threat-model.yaml"

    # The guard step stops the job, saying what to set, until the one place is filled in.
    guard = next(s for s in steps if "TMCODE_REF" in s.get("run", ""))
    assert workflow["env"] == {"TMCODE_REPOSITORY": "", "TMCODE_REF": ""}
    for values, code in (({}, 1), ({"TMCODE_REPOSITORY": "o/tmcode", "TMCODE_REF": "v1"}, 0)):
        done = subprocess.run(
            ["bash", "-e", "-c", guard["run"]],
            env={**os.environ, **workflow["env"], **values},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == code, done
        assert ("::error::set TMCODE_REPOSITORY" in done.stdout) == (code == 1)

    # A repository whose main has the starter (with its open high findings) and two pull
    # requests: one that changes nothing in the model, one that adds a shell tool.
    _git(origin, "init", "--quiet", "--initial-branch=main")
    _git(origin, "config", "uploadpack.allowAnySHA1InWant", "true")
    _git(origin, "add", "-A")
    _git(origin, "commit", "--quiet", "-m", "starter")
    main_sha = _git(origin, "rev-parse", "HEAD")
    _git(origin, "switch", "--quiet", "-c", "docs-only")
    (origin / "README.md").write_text("# docs\n")
    _git(origin, "add", "-A")
    _git(origin, "commit", "--quiet", "-m", "docs")
    _git(origin, "switch", "--quiet", "-c", "add-shell", "main")
    model = origin / "threat-model.yaml"
    text = model.read_text()
    for old, new in STARTER_WITH_SHELL.items():
        assert old in text
        text = text.replace(old, new)
    model.write_text(text)
    _git(origin, "commit", "--quiet", "-am", "shell")

    bin_dir = Path(sys.executable).parent
    context = {"github": {"event": {"pull_request": {"base": {"sha": main_sha}}, "before": ""}}}

    def run_step(branch: str, extra: dict[str, str] | None = None) -> tuple[dict, str]:
        # actions/checkout's default: a depth-1 clone, without the base commit.
        work = tmp_path / f"work-{branch}-{len(extra or {})}"
        _git(
            tmp_path,
            "clone",
            "--quiet",
            "--depth=1",
            "--branch",
            branch,
            origin.as_uri(),
            work.name,
        )
        temp = work.with_name(work.name + "-runner")
        temp.mkdir()
        env = {
            **os.environ,
            **GIT_ENV,
            **_action_step_env(step_with, context),
            **(extra or {}),
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "RUNNER_TEMP": str(temp),
            "GITHUB_STEP_SUMMARY": str(temp / "summary.md"),
            "GITHUB_OUTPUT": str(temp / "output"),
        }
        done = subprocess.run(
            ["bash", str(ROOT / "scripts" / "action-check.sh")],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr
        outputs = dict(line.split("=", 1) for line in (temp / "output").read_text().splitlines())
        assert _git(work, "worktree", "list").count("\n") == 0  # the base tree is gone again
        return outputs, (temp / "summary.md").read_text()

    outputs, summary = run_step("docs-only")
    assert outputs["exit-code"] == "0", summary  # main's open high findings do not fail it
    assert outputs["baseline"] and summary.startswith("### This change")
    # Without the base commit the same findings fail the gate: the baseline is what passes it.
    outputs, summary = run_step("docs-only", {"TMCODE_BASELINE_REF": "0" * 40})
    assert outputs["exit-code"] == "1" and "baseline" not in outputs

    outputs, summary = run_step("add-shell")
    assert outputs["exit-code"] == "1"
    diff = Path(outputs["diff"]).read_text()
    assert summary.startswith(diff) and "shell" in diff.splitlines()[0]
    new = [
        f for f in json.loads(Path(outputs["json"]).read_text())["findings"] if f["change"] == "new"
    ]
    assert any(f["status"] == "open" and f["severity"] in ("high", "critical") for f in new)


def test_init_pre_commit_config_uses_the_hooks_of_tmcode_repository(cli, tmp_path: Path) -> None:
    assert cli("init", tmp_path).exit_code == 0
    config = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())
    (repo,) = config["repos"]
    # The placeholder can never resolve to someone's repository: `.invalid` is reserved.
    assert repo["repo"].split("/")[2].endswith(".invalid") and repo["rev"]
    manifest = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    tmcode = shutil.which("tmcode", path=str(Path(sys.executable).parent)) or "tmcode"
    for hook in repo["hooks"]:
        spec = {**manifest[hook["id"]], **hook}
        # pre-commit's selection: `files` matches, `exclude` does not (re.search both).
        picked = [
            f
            for f in files
            if re.search(spec["files"], f) and not re.search(spec.get("exclude", "^$"), f)
        ]
        assert picked == ["threat-model.yaml"], picked  # not the workflow, threat-model.yml
        assert spec["language"] == "python"  # pre-commit installs tmcode from the repository
        done = subprocess.run(
            [tmcode, *spec["entry"].split()[1:], *picked],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (hook["id"], done.stdout, done.stderr)


def test_pre_commit_hooks_run_their_entries() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["tmcode-validate", "tmcode-check"]

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


def test_github_example_passes_only_inputs_the_action_has() -> None:
    inputs = set(yaml.safe_load((ROOT / "action.yml").read_text())["inputs"])
    steps = yaml.safe_load((ROOT / "examples" / "github-workflow.yml").read_text())["jobs"][
        "tmcode"
    ]["steps"]
    (step,) = [s for s in steps if "tmcode@" in s.get("uses", "")]
    assert set(step["with"]) <= inputs and step["with"]["fail-on-new"] == "true"
    assert "baseline-ref" in step["with"]


def test_gitlab_example_uses_junit() -> None:
    job = yaml.safe_load((ROOT / "examples" / "gitlab-ci.yml").read_text())["threat-model"]
    assert job["artifacts"]["reports"]["junit"] == "tmcode.xml"
    assert any("-f junit -o tmcode.xml" in line for line in job["script"])
