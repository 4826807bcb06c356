"""`tmcode discover` reads agent configs into a draft model; `check --discover` finds drift."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_tmcode
from tmcode.catalog.load import load_catalog
from tmcode.discover import discover_repository
from tmcode.discover.draft import draft_model
from tmcode.discover.mcp import is_inline_secret, launched_package
from tmcode.model.load import load_model_text

REPO = ROOT / "tests" / "discover" / "repo-agents"


tmcode = run_tmcode


@pytest.fixture(scope="module")
def found():
    return discover_repository(REPO)


def test_every_config_format_is_read(found) -> None:
    assert found.files == [
        ".mcp.json",
        ".codex/config.toml",
        ".continue/config.yaml",
        ".cursor/mcp.json",
        ".gemini/settings.json",
        ".github/workflows/claude.yml",
        ".vscode/mcp.json",
        "adk/root_agent.yaml",
        "agents/support.agent.yaml",
        "crew/config/agents.yaml",
        "mcp-server/server.json",
    ]
    assert found.unknown == []
    by_name = {s.name: s for s in found.servers}
    assert {n: (s.client, s.transport) for n, s in by_name.items()} == {
        "github": ("claude-code", "stdio"),
        "issues": ("claude-code", "http"),
        "docs": ("codex", "http"),
        "fs": ("codex", "stdio"),
        "search": ("continue", "streamable-http"),
        "browser": ("cursor", "stdio"),
        "shell": ("gemini-cli", "stdio"),
        "postgres": ("vscode", "stdio"),
        "orders": ("microsoft-agent-framework", "http"),
        "weather": ("registry", "stdio"),
        "weather-remote": ("registry", "streamable-http"),
    }


def test_server_facts_say_where_they_were_read(found) -> None:
    by_name = {s.name: s for s in found.servers}
    github = by_name["github"]
    assert str(github.origin) == ".mcp.json:3"
    assert github.package == "@modelcontextprotocol/server-github" and github.pinned is False
    [token] = github.secrets
    assert token.inline and str(token.origin) == ".mcp.json:7"
    issues = by_name["issues"]
    assert issues.auth_header and [s.inline for s in issues.secrets] == [False]
    assert by_name["postgres"].pinned is True
    assert [s.name for s in by_name["postgres"].secrets] == ["pg-password"]  # a prompted input
    assert by_name["browser"].pinned is True
    shell = by_name["shell"]
    assert shell.trusted and shell.allowed_tools == ("run_command",) and shell.pinned is False
    assert by_name["docs"].auth_header and str(by_name["docs"].origin) == ".codex/config.toml:4"
    assert str(by_name["fs"].origin) == ".codex/config.toml:8"
    orders = by_name["orders"]
    assert orders.approval == "always" and orders.allowed_tools == ("get_order", "refund_order")
    weather = by_name["weather"]
    assert weather.package == "@acme/weather-mcp@1.2.0" and weather.pinned
    assert [s.name for s in weather.secrets] == ["WEATHER_API_KEY"]


def test_agents_and_workflows(found) -> None:
    agents = {a.name: a for a in found.agents}
    assert agents["codex"].approval == "never" and agents["codex"].sandbox == "workspace-write"
    assert agents["support-agent"].model == "gpt-4.1"
    assert agents["support-agent"].servers == ("orders",)
    assert agents["research_coordinator"].sub_agents == ("summarizer",)
    assert agents["research_coordinator"].tools == ("google_search",)
    assert agents["researcher"].model == "openai/gpt-4o"
    [flow] = found.workflows
    assert flow.outsider_triggers == ("issue_comment", "pull_request_review_comment")
    assert flow.write_permissions == ("contents", "id-token", "issues", "pull-requests")
    assert flow.secrets == ("ANTHROPIC_API_KEY",)
    assert flow.allowed_tools == ("Bash(npm test)", "Edit")


@pytest.mark.parametrize(
    ("command", "args", "package", "pinned"),
    [
        ("npx", ["-y", "@scope/pkg"], "@scope/pkg", False),
        ("npx", ["-y", "@scope/pkg@1.2.3"], "@scope/pkg@1.2.3", True),
        ("npx", ["pkg@latest"], "pkg@latest", False),
        ("npx", ["pkg@^1.2.0"], "pkg@^1.2.0", False),
        ("uvx", ["mcp-x==0.6.2"], "mcp-x==0.6.2", True),
        ("uvx", ["--from", "mcp-x>=0.6", "mcp-x"], "mcp-x>=0.6", False),
        ("pipx", ["run", "mcp-x"], "mcp-x", False),
        ("docker", ["run", "-i", "--rm", "-e", "A", "img:1.0"], "img:1.0", False),
        ("docker", ["run", "img@sha256:" + "a" * 64], "img@sha256:" + "a" * 64, True),
        ("python", ["server.py"], None, None),
        ("/usr/local/bin/npx", ["-y", "x@1.0.0"], "x@1.0.0", True),
    ],
)
def test_launched_package_and_pinning(command, args, package, pinned) -> None:
    assert launched_package(command, tuple(args)) == (package, pinned)


@pytest.mark.parametrize(
    ("name", "value", "inline"),
    [
        ("GITHUB_TOKEN", "ghp_" + "x1" * 18, True),
        ("API_KEY", "abc123secret", True),
        ("API_KEY", "${API_KEY}", False),
        ("API_KEY", "${env:API_KEY}", False),
        ("API_KEY", "<your-key>", False),
        ("Authorization", "Bearer ${TOKEN}", False),
        ("Authorization", "Bearer abcdef123456", True),
        ("LOG_LEVEL", "debug", False),
        ("SOMETHING", "sk-" + "a" * 30, True),
        ("apiKey", "=Env.AZURE_KEY", False),
    ],
)
def test_inline_secret_detection(name, value, inline) -> None:
    assert is_inline_secret(name, value) is inline


def test_the_draft_validates_and_cites_its_sources(found) -> None:
    text = draft_model(found, "repo-agents")
    loaded = load_model_text(text, "draft.yaml", known_controls=frozenset(load_catalog().controls))
    model = loaded.model
    kinds = {cid: c.kind for cid, c in model.components.items()}
    assert sum(k == "mcp_server" for k in kinds.values()) == 11
    assert sum(k == "agent" for k in kinds.values()) == 11  # 10 agents and the workflow's
    assert "# from .mcp.json:3" in text and "# from .codex/config.toml:8" in text
    assert text.count("SETTLE:") >= 10
    # Facts the configs state become model facts.
    agent = model.components["support-agent-agent"]
    assert agent.tools["orders"].controls[0].id == "human_approval"
    assert model.components["fs"].version == "2025.8.21"
    assert [c.id for c in model.components["fs"].controls] == ["version_pinning"]
    assert model.components["issues"].auth.value == "static_token"
    assert model.flows[0].to == "claude-claude-agent"  # outsiders' comments reach the agent
    assert model.components["claude-claude-agent"].tools["repository"].scopes[1].value == "write"


def test_discover_command_writes_a_draft_never_over_a_file(tmp_path: Path) -> None:
    out = tmp_path / "threat-model.yaml"
    done = tmcode("discover", str(REPO), "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "11 MCP server(s)" in done.stderr
    assert tmcode("validate", str(out), cwd=tmp_path).returncode == 0
    out.write_text("mine\n")
    again = tmcode("discover", str(REPO), "-o", str(out), cwd=tmp_path)
    assert again.returncode == 2 and "never overwrites" in again.stderr
    assert out.read_text() == "mine\n"
    missing = tmcode("discover", str(tmp_path / "nope"), cwd=tmp_path)
    assert missing.returncode == 2 and "not a directory" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_hostile_configs_are_listed_not_followed(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".vscode").mkdir(parents=True)
    (repo / ".cursor").mkdir()
    secret = tmp_path / "outside.json"
    secret.write_text('{"mcpServers": {"leak": {"command": "x"}}}')
    (repo / ".mcp.json").symlink_to(secret)
    os.mkfifo(repo / ".vscode" / "mcp.json")
    (repo / ".cursor" / "mcp.json").write_text('{"mcpServers": {"a": {"command": "x"}, "a": 1}}')
    (repo / ".gemini").mkdir()
    (repo / ".gemini" / "settings.json").write_text("[" * 10_000)
    found = discover_repository(repo)
    assert found.servers == []
    reasons = {u.origin.file: u.what for u in found.unknown}
    assert "symbolic link" in reasons[".mcp.json"]
    assert "special file" in reasons[".vscode/mcp.json"]
    assert "duplicate" in reasons[".cursor/mcp.json"].lower()
    assert "nesting" in reasons[".gemini/settings.json"]
    draft = draft_model(found, "hostile")
    assert "not understood" in draft
    load_model_text(draft, "draft.yaml")


def test_a_file_name_cannot_break_out_of_a_draft_comment(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    agents = repo / "x\ndecisions: []\n#"
    agents.mkdir(parents=True)
    (agents / "agents.yaml").write_text("evil:\n  role: r\n  goal: g\n  backstory: b\n")
    text = draft_model(discover_repository(repo), "name\nwith: newline")
    model = load_model_text(text, "draft.yaml").model
    assert model.decisions == [] and model.system.name == "name\nwith: newline"


@pytest.fixture
def pr_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    return repo


def test_drift_appears_when_a_pr_adds_a_server_and_goes_when_it_is_modelled(
    tmp_path: Path, pr_repo: Path
) -> None:
    model = pr_repo / "threat-model.yaml"
    assert tmcode("discover", str(pr_repo), "-o", str(model), cwd=tmp_path).returncode == 0
    main = tmp_path / "main.json"
    base = tmcode(
        "check", str(model), "--discover", str(pr_repo), "-f", "json", "-o", str(main),
        "--fail-on", "none", cwd=tmp_path,
    )  # fmt: skip
    assert base.returncode == 0
    drift = {f["threat"] for f in json.loads(main.read_text())["findings"]}
    assert "DRIFT-001" not in drift and "DRIFT-002" not in drift  # the draft models it all

    config = json.loads((pr_repo / ".mcp.json").read_text())
    config["mcpServers"]["prod-db"] = {"command": "uvx", "args": ["mcp-server-postgres==0.6.2"]}
    (pr_repo / ".mcp.json").write_text(json.dumps(config, indent=2))
    pr = tmcode(
        "check", str(model), "--discover", str(pr_repo), "--baseline", str(main), "--fail-on-new",
        "-f", "sarif", "-o", str(tmp_path / "pr.sarif"), cwd=tmp_path,
    )  # fmt: skip
    assert pr.returncode == 1, pr.stderr
    assert "FAIL: 1 new, regressed or raised finding(s) at or above high." in pr.stderr
    sarif = json.loads((tmp_path / "pr.sarif").read_text())
    [result] = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "DRIFT-001"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith(".mcp.json")
    assert location["region"]["startLine"] == next(
        n for n, line in enumerate((pr_repo / ".mcp.json").read_text().splitlines(), 1)
        if '"prod-db"' in line
    )  # fmt: skip
    assert "prod-db" in result["message"]["text"]

    model.write_text(
        model.read_text().replace(
            "\nflows:\n",
            "\n  prod-db:\n    kind: mcp_server\n    boundary: workstation\n    transport: stdio\n"
            "flows:\n",
        )
    )
    modelled = tmcode(
        "check", str(model), "--discover", str(pr_repo), "--baseline", str(main), "--fail-on-new",
        "-f", "json", "-o", str(tmp_path / "pr2.json"), cwd=tmp_path,
    )  # fmt: skip
    assert modelled.returncode in (0, 1), modelled.stderr
    threats = {f["threat"] for f in json.loads((tmp_path / "pr2.json").read_text())["findings"]}
    assert "DRIFT-001" not in threats


def test_drift_checks_run_only_when_asked(tmp_path: Path) -> None:
    model = ROOT / "tests" / "threats" / "DRIFT-007" / "vulnerable.yaml"
    done = tmcode("check", str(model), "-f", "json", "--fail-on", "none", cwd=tmp_path)
    assert not [f for f in json.loads(done.stdout)["findings"] if f["threat"].startswith("DRIFT")]


def test_evidence_paths_are_checked_without_reading_them(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    os.mkfifo(repo / "docs" / "fifo.md")  # reading it would block: existence only
    (repo / "docs" / "escape.md").symlink_to(tmp_path)
    model = repo / "m.yaml"
    model.write_text(
        "tmcode: 1\nsystem: {name: S, controls: [{id: audit_logging, evidence: docs/fifo.md},"
        " {id: monitoring_alerting, evidence: docs/escape.md},"
        " {id: kill_switch, evidence: ../outside.md},"
        " {id: rollback, evidence: 'https://example.com/runbook'},"
        " {id: incident_response_plan, evidence: /etc/passwd}]}\n"
        "boundaries: {b: {trust: internal}}\ncomponents: {u: {kind: user, boundary: b}}\n"
    )
    done = tmcode(
        "check",
        str(model),
        "--discover",
        str(repo),
        "-f",
        "json",
        "--fail-on",
        "none",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    found = {
        f["target"]: f["message"]
        for f in json.loads(done.stdout)["findings"]
        if f["threat"] == "DRIFT-006"
    }
    assert set(found) == {
        "system#monitoring_alerting",
        "system#kill_switch",
        "system#incident_response_plan",
    }
    assert "leads outside" in found["system#monitoring_alerting"]
    assert "absolute" in found["system#incident_response_plan"]


def test_a_custom_repository_threat_must_name_a_known_check(tmp_path: Path) -> None:
    threats = tmp_path / "cat" / "threats"
    threats.mkdir(parents=True)
    source = (ROOT / "catalog" / "threats" / "drift" / "DRIFT-007.yaml").read_text()
    (threats / "ZZZ-001.yaml").write_text(
        source.replace("DRIFT-007", "ZZZ-001").replace("code_missing", "code_mising")
    )
    done = tmcode(
        "check", str(ROOT / "models" / "support-copilot.yaml"), "--catalog", str(tmp_path / "cat"),
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert "ZZZ-001.yaml:4" in done.stderr and "did you mean `code_missing`" in done.stderr


def test_the_action_gates_on_drift_when_asked(tmp_path: Path, pr_repo: Path) -> None:
    model = pr_repo / "threat-model.yaml"
    assert tmcode("discover", str(pr_repo), "-o", str(model), cwd=tmp_path).returncode == 0
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(tmp_path / "runner"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "TMCODE_MODELS": "threat-model.yaml",
        "TMCODE_FAIL_ON": "critical",  # the draft's own AI findings stay below the gate
    }

    def run_action(output: str, discover: str) -> str:
        subprocess.run(
            ["bash", str(ROOT / "scripts" / "action-check.sh")],
            cwd=pr_repo,
            env={**env, "GITHUB_OUTPUT": str(tmp_path / output), "TMCODE_DISCOVER": discover},
            capture_output=True,
            timeout=120,
        )
        return (tmp_path / output).read_text()

    assert "exit-code=0" in run_action("before", ".")
    config = json.loads((pr_repo / ".mcp.json").read_text())
    config["mcpServers"]["leaky"] = {"command": "x", "env": {"API_TOKEN": "s3cr3t-value-123"}}
    (pr_repo / ".mcp.json").write_text(json.dumps(config, indent=2))
    assert "exit-code=0" in run_action("off", "")  # drift is opt-in
    # DRIFT-001 and DRIFT-004 are high: gate at high to see them fail the run.
    env["TMCODE_FAIL_ON"] = "high"
    env["TMCODE_BASELINE"] = ""
    outputs = dict(
        line.split("=", 1) for line in run_action("after", ".").splitlines() if "=" in line
    )
    report = json.loads(Path(outputs["json"]).read_text())
    drift = {(f["threat"], f["target"]) for f in report["findings"]}
    assert ("DRIFT-001", "repo:.mcp.json#leaky") in drift
    assert ("DRIFT-004", "repo:.mcp.json#leaky/API_TOKEN") in drift
    assert report["repository"]["files"][0] == ".mcp.json"


def test_checking_the_draft_finds_the_risks_the_configs_imply(found) -> None:
    from tmcode.engine import check

    catalog = load_catalog()
    loaded = load_model_text(draft_model(found, "repo-agents"), "draft.yaml")
    report = check([loaded], catalog, repository=found)
    open_ = {(f.threat, f.target) for f in report.findings if f.status.value == "open"}
    # A remote server reached with no credential (Continue's `search`).
    assert ("MCP-001", "search") in open_
    # Outsiders' issue comments steer the CI agent, which can write to the repository.
    assert ("PI-002", "claude-claude-agent") in open_
    assert ("AG-001", "claude-claude-agent.tools.repository") in open_
    # And the configs' own drift: the inline token and the unpinned launches.
    assert ("DRIFT-004", "repo:.mcp.json#github/GITHUB_PERSONAL_ACCESS_TOKEN") in open_
    assert {t for t, _ in open_ if t.startswith("DRIFT")} == {"DRIFT-004", "DRIFT-005"}


def test_tools_a_config_allows_beyond_the_model_are_drift(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".gemini").mkdir(parents=True)
    (repo / ".gemini" / "settings.json").write_text(
        '{"mcpServers": {"shell": {"command": "uvx", "args": ["shell-mcp==1.0.0"],'
        ' "includeTools": ["run_command", "read_file"]}}}'
    )
    model = tmp_path / "m.yaml"
    model.write_text(
        "tmcode: 1\nsystem: {name: S}\nboundaries: {b: {trust: internal}, v: {trust: partner}}\n"
        "components:\n  llm: {kind: llm, boundary: v}\n"
        "  agent: {kind: agent, boundary: b, model: llm, tools: {shell: {scopes: [read]}}}\n"
        "  shell: {kind: mcp_server, boundary: b, transport: stdio, tools: [read_file]}\n"
    )
    done = tmcode(
        "check", model, "--discover", repo, "-f", "json", "--fail-on", "none", cwd=tmp_path
    )
    [finding] = [f for f in json.loads(done.stdout)["findings"] if f["threat"] == "DRIFT-003"]
    assert "`run_command`" in finding["message"] and "read_file" not in finding["message"]


def test_configs_of_the_wrong_shape_never_crash_discover(tmp_path: Path) -> None:
    import itertools

    from tmcode.errors import TmcodeError

    odd = ["[1]", "{}", '"x"', "1", "null", "true", '{"a": [1, {"b": null}]}']
    files = [
        (".mcp.json", ["mcpServers", "github"]),
        (".vscode/mcp.json", ["servers", "inputs", "mcp"]),
        (".gemini/settings.json", ["mcpServers"]),
        ("mcp-server/server.json", ["packages", "remotes"]),
    ]
    for (name, keys), value in itertools.product(files, odd):
        repo = tmp_path / f"r{abs(hash((name, value)))}"
        (repo / name).parent.mkdir(parents=True)
        body = ", ".join(f'"{k}": {value}' for k in keys)
        (repo / name).write_text("{" + body + "}")
        try:
            found = discover_repository(repo)
        except TmcodeError:
            continue
        load_model_text(draft_model(found, "odd"), "draft.yaml")
    repo = tmp_path / "wf"
    (repo / ".github" / "workflows").mkdir(parents=True)
    for i, value in enumerate(
        ["jobs: [1]", "jobs: {a: [1]}", "jobs: {a: {steps: {x: 1}}}", "on: 3"]
    ):
        (repo / ".github" / "workflows" / f"w{i}.yml").write_text(value + "\n")
    (repo / "a.agent.yaml").write_text("kind: Prompt\ninstructions: x\ntools: 3\nmodel: [1]\n")
    (repo / "root_agent.yaml").write_text("agent_class: X\ntools: {a: 1}\nsub_agents: 5\n")
    (repo / "agents.yaml").write_text("x: {role: [1], llm: {a: 1}, tools: 3}\n")
    found = discover_repository(repo)
    assert {a.framework for a in found.agents} == {
        "microsoft-agent-framework",
        "google-adk",
        "crewai",
    }
    load_model_text(draft_model(found, "odd"), "draft.yaml")
