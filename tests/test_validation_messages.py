"""Validation messages from the new-user log: each names the root cause once, where it is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from typer.testing import CliRunner

from tmcode._cli import app

BASE = """\
tmcode: 1
system:
  name: Demo
boundaries:
  app: {trust: internal}
components:
  user:
    kind: user
    boundary: app
  brain:
    kind: llm
    boundary: app
  coder:
    kind: llm
    boundary: app
  bash:
    kind: tool
    boundary: app
  helper:
    kind: agent
    boundary: app
    model: brain
    tools:
      bash: {scopes: [execute]}
flows:
  - from: user
    to: helper
    kind: prompt
decisions:
  - threat: PI-001
    target: user->helper
    status: false_positive
    reason: the prompt is fixed
"""


def edit(*pairs: str) -> str:
    text = BASE
    for old, new in zip(pairs[::2], pairs[1::2]):
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def validate(tmp_path: Path, text: str, *args: str) -> tuple[int, list[str], Path]:
    """Run `tmcode validate` on ``text``; return its exit code, output lines and the file."""
    model = tmp_path / "model.yaml"
    model.write_text(text)
    result = CliRunner().invoke(app, ["validate", *args, str(model)])
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    return result.exit_code, [ln for ln in lines if ": valid — " not in ln], model


def test_the_base_model_is_valid(tmp_path: Path) -> None:
    code, errors, _ = validate(tmp_path, BASE)
    assert (code, errors) == (0, [])


def test_an_agent_model_that_is_a_tool_names_the_llm_components(tmp_path: Path) -> None:
    code, errors, model = validate(tmp_path, edit("    model: brain", "    model: bash"))
    assert code == 2
    assert errors == [
        f"{model}:22:5: `bash` in component `helper` is a tool, not a llm — "
        "name a llm component of this model: `brain`, `coder`"
    ]


def test_an_agent_model_in_a_model_without_llm_says_to_declare_one(tmp_path: Path) -> None:
    text = edit("    kind: llm\n", "    kind: service\n", "    kind: llm\n", "    kind: service\n")
    code, errors, model = validate(tmp_path, text)
    assert code == 2
    assert errors == [
        f"{model}:22:5: `brain` in component `helper` is a service, not a llm — "
        "this model has no llm component: declare one"
    ]


def test_an_unknown_agent_model_lists_the_llm_components(tmp_path: Path) -> None:
    code, errors, model = validate(tmp_path, edit("    model: brain", "    model: gpt"))
    assert code == 2
    assert errors == [
        f"{model}:22:5: unknown llm `gpt` in component `helper` — "
        "name a llm component of this model: `brain`, `coder`"
    ]


def test_a_comma_in_a_control_written_inline_says_to_quote_it(tmp_path: Path) -> None:
    text = edit(
        "    model: brain\n", "    model: brain\n    controls: [{id: sandbox, evidence: A, B}]\n"
    )
    code, errors, model = validate(tmp_path, text)
    assert code == 2
    assert errors == [
        f"{model}:23:43: unknown key `B` in component `helper`, key `controls` — "
        "known keys of a control: `id`, `status`, `evidence`, `covers`; inside `{...}` a comma ends a "
        'value: quote a value that contains one, e.g. `evidence: "A, B"`'
    ]


def test_a_comma_in_an_inline_flow_names_the_flow_keys(tmp_path: Path) -> None:
    text = edit(
        "  - from: user\n    to: helper\n    kind: prompt\n",
        "  - {from: user, to: helper, kind: prompt, description: asks, then waits}\n",
    )
    code, errors, model = validate(tmp_path, text)
    assert code == 2
    assert errors == [
        f"{model}:26:63: unknown key `then waits` in flow 1 (`user->helper`) — known keys: "
        "`from`, `to`, `kind`, `data`, `protocol`, `authenticated`, `encrypted`, `controls`, "
        "`description`, `id`; inside `{...}` a comma ends a value: quote a value that contains "
        'one, e.g. `description: "asks, then waits"`'
    ]


def test_a_comma_in_a_block_value_is_just_text(tmp_path: Path) -> None:
    text = edit(
        "    model: brain\n",
        "    model: brain\n    controls:\n      - id: sandbox\n        evidence: A, B\n",
    )
    assert validate(tmp_path, text)[:2] == (0, [])


def test_an_unknown_block_key_gets_no_comma_hint(tmp_path: Path) -> None:
    text = edit(
        "    model: brain\n", "    model: brain\n    controls:\n      - id: sandbox\n        B:\n"
    )
    code, errors, model = validate(tmp_path, text)
    assert code == 2
    assert errors == [
        f"{model}:25:9: unknown key `B` in component `helper`, key `controls` — "
        "known keys of a control: `id`, `status`, `evidence`, `covers`"
    ]


def test_a_flow_typo_is_reported_once_and_not_suggested_to_a_decision(tmp_path: Path) -> None:
    code, errors, model = validate(tmp_path, edit("  - from: user", "  - from: usr"))
    assert code == 2
    assert errors == [
        f"{model}:26:5: unknown component `usr` in flow 1 (`usr->helper`) — did you mean `user`?"
    ]


def test_a_flow_end_with_no_close_match_is_reported_once(tmp_path: Path) -> None:
    code, errors, model = validate(tmp_path, edit("  - from: user", "  - from: zzz"))
    assert code == 2
    assert errors == [
        f"{model}:26:5: unknown component `zzz` in flow 1 (`zzz->helper`) — declare `zzz` first"
    ]


def test_a_decision_is_never_told_to_name_an_erroneous_flow(tmp_path: Path) -> None:
    text = edit("  - from: user", "  - from: usr", "target: user->helper", "target: user->helpr")
    code, errors, model = validate(tmp_path, text)
    assert code == 2
    assert errors[0] == (
        f"{model}:26:5: unknown component `usr` in flow 1 (`usr->helper`) — did you mean `user`?"
    )
    assert errors[1].startswith(f"{model}:31:5: unknown target `user->helpr` in decision 1")
    assert "usr->helper" not in errors[1]
    assert len(errors) == 2


def test_a_permission_typo_is_reported_once(tmp_path: Path) -> None:
    text = edit(
        "      bash: {scopes",
        "      bsh: {scopes",
        "target: user->helper",
        "target: helper.tools.bash",
    )
    code, errors, model = validate(tmp_path, text)
    assert code == 2
    assert errors == [
        f"{model}:24:7: unknown component `bsh` in the tools of agent `helper` — "
        "did you mean `bash`?"
    ]


def test_a_decision_target_typo_in_a_sound_model_still_gets_a_suggestion(tmp_path: Path) -> None:
    code, errors, model = validate(tmp_path, edit("target: user->helper", "target: usr->helper"))
    assert code == 2
    assert errors == [
        f"{model}:31:5: unknown target `usr->helper` in decision 1 — did you mean `user->helper`?"
    ]


def test_a_misspelt_components_section_is_the_only_error(tmp_path: Path) -> None:
    code, errors, model = validate(tmp_path, edit("components:", "component:"))
    assert code == 2
    assert errors == [
        f"{model}:6:1: unknown key `component` in the model — did you mean `components`?"
    ]


def test_misspelt_boundaries_and_data_sections_are_the_only_errors(tmp_path: Path) -> None:
    text = edit(
        "boundaries:",
        "data:\n  logs: {classification: internal}\nboundary:",
        "    kind: tool\n",
        "    kind: datastore\n    stores: [logs]\n",
    )
    assert validate(tmp_path, text.replace("boundary:\n", "boundaries:\n"))[:2] == (0, [])
    code, errors, model = validate(tmp_path, text.replace("data:\n", "date:\n"))
    assert code == 2
    assert errors == [
        f"{model}:4:1: unknown key `date` in the model — did you mean `data`?",
        f"{model}:6:1: unknown key `boundary` in the model — did you mean `boundaries`?",
    ]


def test_a_components_section_of_the_wrong_shape_is_the_only_error(tmp_path: Path) -> None:
    start, end = BASE.index("components:\n"), BASE.index("flows:\n")
    code, errors, model = validate(
        tmp_path, BASE[:start] + "components: [user, helper]\n" + BASE[end:]
    )
    assert code == 2
    assert errors == [
        f"{model}:6:1: `components`: expected a mapping of keys to values, got a list — "
        "fix the value's shape"
    ]


def test_one_invalid_component_is_reported_once(tmp_path: Path) -> None:
    # `helper` is named by a flow, a decision's target and, through its tools, a permission.
    text = edit(
        "    kind: agent", "    kind: agnet", "target: user->helper", "target: helper.tools.bash"
    )
    code, errors, model = validate(tmp_path, text)
    assert code == 2
    assert errors == [
        f"{model}:20:5: component `helper`: `agnet` is not a component kind — did you mean `agent`?"
    ]
    # and the same for a misspelt key, and for an llm the agent names as its model
    code, errors, model = validate(
        tmp_path,
        edit("  brain:\n    kind: llm\n    boundary", "  brain:\n    kind: llm\n    boundry"),
    )
    assert code == 2
    assert errors == [
        f"{model}:12:5: unknown key `boundry` in component `brain` — did you mean `boundary`?"
    ]


def test_a_decision_on_an_invalid_flow_is_not_reported(tmp_path: Path) -> None:
    code, errors, model = validate(tmp_path, edit("    kind: prompt", "    kind: promt"))
    assert code == 2
    assert errors == [
        f"{model}:28:5: flow 1 (`user->helper`), key `kind`: `promt` is not allowed — "
        "did you mean `prompt`?"
    ]


def test_a_decision_naming_an_unknown_threat_fails_with_a_suggestion(tmp_path: Path) -> None:
    code, errors, model = validate(tmp_path, edit("threat: PI-001", "threat: PI-01"))
    assert code == 2
    assert errors == [
        f"{model}:30:5: unknown threat `PI-01` in decision 1 — did you mean `PI-001`?"
    ]
    code, errors, model = validate(tmp_path, edit("threat: PI-001", "threat: pi-001"))
    assert errors == [
        f"{model}:30:5: unknown threat `pi-001` in decision 1 — did you mean `PI-001`?"
    ]


def test_a_decision_may_name_a_reference_a_threat_cites(tmp_path: Path) -> None:
    assert validate(tmp_path, edit("threat: PI-001", "threat: owasp-llm:LLM01:2025"))[:2] == (0, [])
    code, errors, model = validate(tmp_path, edit("threat: PI-001", "threat: LLM01"))
    assert code == 2
    assert errors == [
        f"{model}:30:5: unknown threat `LLM01` in decision 1 — did you mean "
        "`owasp-llm:LLM01:2025` or `owasp-llm:LLM01:2026`?"
    ]


def test_a_bare_list_number_offers_every_edition(tmp_path: Path) -> None:
    # LLM06 is Excessive Agency in 2025 and Unbounded Consumption in 2026: offer both.
    assert validate(tmp_path, edit("threat: PI-001", "threat: owasp-llm:LLM01:2026"))[:2] == (0, [])
    code, errors, model = validate(tmp_path, edit("threat: PI-001", "threat: llm06"))
    assert code == 2
    assert errors == [
        f"{model}:30:5: unknown threat `llm06` in decision 1 — did you mean "
        "`owasp-llm:LLM06:2025` or `owasp-llm:LLM06:2026`?"
    ]


def test_a_threat_with_no_close_name_says_where_the_names_are(tmp_path: Path) -> None:
    code, errors, model = validate(tmp_path, edit("threat: PI-001", "threat: nonsense"))
    assert code == 2
    assert errors == [
        f"{model}:30:5: unknown threat `nonsense` in decision 1 — run `tmcode catalog list` for "
        "the threat ids, or name a reference a threat cites, e.g. `owasp-llm:LLM01:2025`"
    ]


def test_threats_of_an_extra_catalog_count(tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    (extra / "threats").mkdir(parents=True)
    source = next((ROOT / "catalog" / "threats").glob("**/PI-001.yaml")).read_text()
    assert "id: PI-001\n" in source
    (extra / "threats" / "ORG-001.yaml").write_text(source.replace("id: PI-001\n", "id: ORG-001\n"))
    text = edit("threat: PI-001", "threat: ORG-001")
    code, errors, model = validate(tmp_path, text)
    assert code == 2
    assert errors == [
        f"{model}:30:5: unknown threat `ORG-001` in decision 1 — did you mean `RAG-001`?"
    ]
    assert validate(tmp_path, text, "--catalog", str(extra))[:2] == (0, [])


def test_check_reports_an_unknown_threat_too(cli, tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    model.write_text(edit("threat: PI-001", "threat: PI-01"))
    result = cli("check", model)
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"{model}:30:5: unknown threat `PI-01` in decision 1 — did you mean `PI-001`?"
    )


def test_the_installed_command_exits_2_with_the_one_message(tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    model.write_text(edit("  - from: user", "  - from: usr"))
    done = subprocess.run(
        [sys.executable, "-m", "tmcode", "validate", str(model)], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"{model}:26:5: unknown component `usr` in flow 1 (`usr->helper`) — did you mean `user`?\n"
    )
