"""Each rule of docs/credit.md (where a declared control counts) on a small model."""

from __future__ import annotations

import datetime as dt
from functools import cache

import pytest
import yaml
from conftest import ROOT

from tmcode.catalog.load import Catalog, load_catalog
from tmcode.engine import check
from tmcode.errors import ModelError
from tmcode.model.load import load_model_text
from tmcode.render import RenderOptions, render
from tmcode.report import Finding, Report, Status

TODAY = dt.date(2026, 1, 1)

# An agent with a shell (execute only) in a nested `box` boundary, an MCP server beside it,
# a mailer (send), and a fetch tool that brings outside web pages into its context.
BASE = """
tmcode: 1
system: {name: credit}
boundaries:
  internet: {trust: untrusted}
  corp: {trust: internal}
  runner: {trust: internal, parent: corp}
  box: {trust: internal, parent: runner}
data:
  notes: {classification: confidential}
components:
  web: {kind: external_content, boundary: internet}
  model: {kind: llm, boundary: corp, hosting: vendor_api}
  agent:
    kind: agent
    boundary: corp
    model: model
    tools:
      shell: {scopes: [execute]}
      srv: {scopes: [execute]}
      mailer: {scopes: [send]}
      fetch: {scopes: [read]}
  shell: {kind: tool, boundary: box}
  srv: {kind: mcp_server, boundary: runner}
  mailer: {kind: tool, boundary: corp}
  fetch: {kind: tool, boundary: corp}
  other: {kind: tool, boundary: corp}
flows:
  - {from: web, to: fetch}
  - {from: agent, to: model, kind: prompt, data: [notes]}
"""


@cache
def catalog() -> Catalog:
    """The bundled catalog, loaded once."""
    return load_catalog()


def run(**changes: object) -> Report:
    """Check BASE with ``changes`` merged in: ``key.sub.sub=value`` paths as keyword names."""
    raw = yaml.safe_load(BASE)
    for path, value in changes.items():
        *parents, last = path.split("__")
        holder = raw
        for key in parents:
            holder = holder.setdefault(key, {})
        holder[last] = value
    loaded = load_model_text(yaml.safe_dump(raw), "credit.yaml", known_controls=known())
    return check([loaded], catalog(), today=TODAY)


@cache
def known() -> frozenset[str]:
    """The control ids of the catalog."""
    return frozenset(catalog().controls)


def finding(report: Report, threat: str, target: str) -> Finding:
    """The one finding of ``threat`` on ``target``."""
    (found,) = [f for f in report.findings if f.threat == threat and f.target == target]
    return found


def mitigated(report: Report, threat: str, target: str) -> bool:
    """True when the finding of ``threat`` on ``target`` is mitigated."""
    return finding(report, threat, target).status is Status.mitigated


def test_nothing_declared_leaves_the_findings_open() -> None:
    """The base model: the findings the rules below mitigate are open without controls."""
    report = run()
    assert not mitigated(report, "AG-001", "agent.tools.shell")
    assert not mitigated(report, "OUT-003", "agent.tools.shell")
    assert not mitigated(report, "PI-002", "agent")
    assert not mitigated(report, "DIS-002", "agent->model")


def test_a_control_on_the_target_counts() -> None:
    """A component target's own control counts."""
    assert mitigated(run(components__agent__controls=["dual_llm"]), "PI-002", "agent")


def test_a_control_on_the_permission_counts() -> None:
    """A permission finding's own control counts."""
    report = run(
        components__agent__tools__shell={"scopes": ["execute"], "controls": ["human_approval"]}
    )
    assert mitigated(report, "AG-001", "agent.tools.shell")
    assert not mitigated(report, "AG-001", "agent.tools.mailer")


def test_a_control_on_the_agent_counts_for_its_permissions() -> None:
    """The agent holding a permission is on the finding's evidence."""
    report = run(components__agent__controls=["human_approval"])
    assert mitigated(report, "AG-001", "agent.tools.shell")
    assert mitigated(report, "AG-001", "agent.tools.mailer")


def test_a_control_on_the_component_a_permission_reaches_counts() -> None:
    """The permission's target component counts, for sets on the target or subject too."""
    report = run(components__shell__controls=["sandbox", "egress_allowlist"])
    assert mitigated(report, "OUT-003", "agent.tools.shell")
    assert not mitigated(report, "OUT-003", "agent.tools.srv")


def test_a_control_at_either_end_of_a_flow_counts() -> None:
    """A flow finding credits the components it starts and ends at."""
    controls = ["vendor_zero_retention", "data_minimization"]
    assert mitigated(run(components__model__controls=controls), "DIS-002", "agent->model")
    changed = run(components__agent__controls=controls)
    assert mitigated(changed, "DIS-002", "agent->model")


def test_a_control_on_the_evidence_path_counts_and_one_elsewhere_does_not() -> None:
    """A component on the path counts; the same control on an unrelated tool does not."""
    assert mitigated(run(components__mailer__controls=["audit_logging"]), "OBS-001", "agent")
    assert not mitigated(run(components__other__controls=["audit_logging"]), "OBS-001", "agent")


def test_an_implied_flow_credits_its_permission() -> None:
    """A path through a permission's implied tool_result flow lists the permission."""
    screened = ["source_allowlist", "ingest_validation"]
    report = run(
        components__wiki={"kind": "datastore", "boundary": "corp"},
        components__agent__tools={
            "fetch": {"scopes": ["read"], "controls": screened},
            "wiki": {"scopes": ["write"]},
        },
    )
    found = finding(report, "RAG-001", "wiki")
    assert "agent.tools.fetch" in found.elements
    assert found.status is Status.mitigated
    assert found.controls[0].declared_on == dict.fromkeys(screened, "agent.tools.fetch")


def test_a_control_claimed_for_the_attackers_side_counts_for_nothing() -> None:
    """The same screening declared on the untrusted web page settles nothing."""
    screened = ["source_allowlist", "ingest_validation"]
    report = run(
        components__wiki={"kind": "datastore", "boundary": "corp"},
        components__web__controls=screened,
        components__agent__tools={"fetch": {"scopes": ["read"]}, "wiki": {"scopes": ["write"]}},
    )
    assert not mitigated(report, "RAG-001", "wiki")


def test_a_system_control_counts_everywhere() -> None:
    """System-wide controls count for every finding."""
    report = run(system__controls=["human_approval"])
    assert mitigated(report, "AG-001", "agent.tools.shell")
    assert mitigated(report, "AG-001", "agent.tools.mailer")


def test_a_boundary_control_counts_for_every_component_inside_it_nested_included() -> None:
    """Controls on `runner` count for `srv` in it and for `shell` in `box`, nested in it."""
    report = run(boundaries__runner__controls=["sandbox", "egress_allowlist"])
    assert mitigated(report, "OUT-003", "agent.tools.shell")
    assert mitigated(report, "OUT-003", "agent.tools.srv")
    assert not mitigated(report, "AG-001", "agent.tools.mailer")  # in corp, outside runner
    found = finding(report, "OUT-003", "agent.tools.shell")
    assert found.controls[0].declared_on == {"sandbox": "runner", "egress_allowlist": "runner"}


def test_a_boundary_control_is_shown_where_it_is_written() -> None:
    """The HTML report names the boundary a credited control is written on."""
    report = run(boundaries__box__controls=["sandbox", "egress_allowlist"])
    html = render(report, "html", RenderOptions(svg=False))
    assert "on <code>box</code>" in html


def test_a_containment_set_does_not_count_from_the_agent() -> None:
    """Sets on [target, subject]: a sandbox on the agent does not contain its tools."""
    report = run(components__agent__controls=["sandbox", "egress_allowlist"])
    assert not mitigated(report, "OUT-003", "agent.tools.shell")


def test_a_set_is_offered_only_where_it_blocks_the_harm() -> None:
    """A sandbox contains running commands, never sending: AG-001 on the mailer stays open."""
    controls = ["sandbox", "egress_allowlist", "command_allowlist"]
    report = run(boundaries__corp__controls=controls)
    assert mitigated(report, "AG-001", "agent.tools.shell")
    mailer = finding(report, "AG-001", "agent.tools.mailer")
    assert mailer.status is Status.open
    assert all("sandbox" not in s.all for s in mailer.controls)


@pytest.mark.parametrize("covers", [["shell"], ["tool"], ["box"]])
def test_covers_limits_a_control_to_what_it_lists(covers: list[str]) -> None:
    """By component id, kind or boundary: covered `shell` counts, uncovered `srv` does not."""
    report = run(
        boundaries__runner__controls=["sandbox", {"id": "egress_allowlist", "covers": covers}]
    )
    assert mitigated(report, "OUT-003", "agent.tools.shell")
    assert not mitigated(report, "OUT-003", "agent.tools.srv")


def test_a_covered_control_never_counts_for_the_system() -> None:
    """A finding about the system has no subject, so a covered control is not credited."""
    report = run(system__controls=[{"id": "aibom", "covers": ["agent"]}])
    assert not mitigated(report, "SC-007", "system")
    assert mitigated(run(system__controls=["aibom"]), "SC-007", "system")


def test_an_unknown_covers_entry_is_an_error_with_its_line() -> None:
    """A misspelt `covers` entry is refused at load with a suggestion."""
    text = BASE.replace(
        "runner: {trust: internal, parent: corp}",
        "runner: {trust: internal, parent: corp, controls: [{id: sandbox, covers: [shel]}]}",
    )
    with pytest.raises(ModelError) as caught:
        load_model_text(text, "credit.yaml")
    (problem,) = caught.value.problems
    assert (problem.line, problem.message) == (7, "unknown `shel` in what control `sandbox` covers")
    assert "did you mean `shell`?" in problem.hint


def test_an_unknown_control_on_a_boundary_is_an_error() -> None:
    """Boundary controls are checked against the catalog like any other."""
    text = BASE.replace(
        "box: {trust: internal, parent: runner}",
        "box: {trust: internal, parent: runner, controls: [sandboks]}",
    )
    with pytest.raises(ModelError) as caught:
        load_model_text(text, "credit.yaml", known_controls=known())
    (problem,) = caught.value.problems
    assert problem.line == 8 and "unknown control `sandboks`" in problem.message


def test_a_planned_control_is_shown_but_never_counts() -> None:
    """Planned controls are listed as planned and mitigate nothing."""
    report = run(components__agent__controls=[{"id": "dual_llm", "status": "planned"}])
    found = finding(report, "PI-002", "agent")
    assert found.status is Status.open
    assert found.controls[1].planned == ["dual_llm"]
    assert found.controls[1].present == []


def test_a_partly_met_set_is_shown_with_what_is_missing() -> None:
    """A set with some controls present stays open and says which are missing."""
    report = run(components__shell__controls=["sandbox"])
    found = finding(report, "OUT-003", "agent.tools.shell")
    assert found.status is Status.open
    first = found.controls[0]
    assert (first.present, first.missing, first.satisfied) == (
        ["sandbox"],
        ["egress_allowlist"],
        False,
    )


def test_a_boundary_and_covers_survive_a_round_trip_through_the_schema() -> None:
    """The JSON schema documents boundary controls and covers (docs/reference, contract)."""
    from tmcode.model.schema import model_json_schema

    schema = model_json_schema()
    text = str(schema)
    assert "covers" in text
    boundary = schema["$defs"]["Boundary"]["properties"]
    assert "controls" in boundary


def test_the_page_names_every_place_the_engine_uses() -> None:
    """docs/credit.md describes each place a set's `on` may name."""
    from typing import get_args

    from tmcode.catalog.schema import Place

    page = (ROOT / "docs" / "credit.md").read_text()
    for place in get_args(Place):
        assert f"**{place}**" in page


def test_reach_counts_a_boundary_control_as_check_does(cli, tmp_path) -> None:
    """`tmcode reach` cuts a path with a control written on the boundary of what it reaches."""
    raw = yaml.safe_load(BASE)
    raw["components"]["shell"]["controls"] = ["command_allowlist"]
    model = tmp_path / "m.yaml"
    model.write_text(yaml.safe_dump(raw))
    before = cli("reach", model, "agent").output
    raw["boundaries"]["runner"]["controls"] = ["sandbox"]
    model.write_text(yaml.safe_dump(raw))
    after = cli("reach", model, "agent").output
    assert "cut by: command_allowlist, sandbox" not in before
    assert "cut by: command_allowlist, sandbox" in after


def test_controls_on_the_permissions_a_finding_rests_on_count() -> None:
    """AG-003 rests on permissions with a shared credential: their controls count."""
    orders = {
        "scopes": ["read"],
        "credential": "service_account",
        "controls": ["scoped_credentials", "access_control"],
    }
    report = run(
        components__agent__users="multiple",
        components__agent__identity="service_account",
        components__agent__tools={"fetch": orders},
    )
    found = finding(report, "AG-003", "agent")
    assert found.elements == ["agent", "agent.tools.fetch", "fetch"]
    assert found.status is Status.mitigated


def test_a_path_set_counts_where_the_harm_comes_from_not_on_the_target() -> None:
    """SEC-002 on [path, system]: a vault on the agent does not stop it reading a secret store."""
    vault = ["secret_vault", "scoped_credentials"]
    store = {"kind": "secret_store", "boundary": "corp", "stores": ["token"]}
    base = {
        "components__vault": store,
        "data__token": {"classification": "restricted", "tags": ["secret"]},
    }
    tools = {"shell": {"scopes": ["execute"]}, "vault": {"scopes": ["read"]}}
    on_agent = run(**base, components__agent__tools=tools, components__agent__controls=vault)
    assert not mitigated(on_agent, "SEC-002", "agent")
    tools["vault"] = {"scopes": ["read"], "controls": vault}
    on_permission = run(**base, components__agent__tools=tools)
    assert mitigated(on_permission, "SEC-002", "agent")


RENDER = "[no_remote_render, link_sanitization]"


@pytest.mark.parametrize(
    ("old", "new", "counts"),
    [
        (
            "renders: [markdown, images]}",
            f"renders: [markdown, images], controls: {RENDER}}}",
            True,
        ),
        ("corp: {trust: internal}", f"corp: {{trust: internal, controls: {RENDER}}}", True),
        ("kind: output}", f"kind: output, controls: {RENDER}}}", True),
        ("{name: Fixture for OUT-002,", f"{{controls: {RENDER}, name: Fixture for OUT-002,", True),
        (
            "    boundary: corp\n    model: llm",
            f"    boundary: corp\n    controls: {RENDER}\n    model: llm",
            False,
        ),
        (
            "search: {kind: retriever, boundary: corp}",
            f"search: {{kind: retriever, boundary: corp, controls: {RENDER}}}",
            False,
        ),
    ],
    ids=["ui", "boundary-around-ui", "flow-into-ui", "system", "agent", "evidence"],
)
def test_rendering_controls_count_where_the_output_is_rendered(
    old: str, new: str, counts: bool
) -> None:
    """OUT-002's `on: [receiver, system]`: the UI the output flows to, not the model writing it."""
    text = (ROOT / "tests" / "threats" / "OUT-002" / "vulnerable.yaml").read_text()
    assert old in text
    loaded = load_model_text(text.replace(old, new, 1), "render.yaml", known_controls=known())
    report = check([loaded], catalog(), today=TODAY)
    assert mitigated(report, "OUT-002", "agent") is counts


MIXED = """
tmcode: 1
system: {name: Mixed interpreter, lifecycle: development}
boundaries:
  corp: {trust: internal}
components:
  llm: {kind: llm, boundary: corp, hosting: self_hosted}
  ops: {kind: tool, boundary: corp, interprets: [shell, sql]}
  agent:
    kind: agent
    boundary: corp
    model: llm
    autonomy: supervised
    tools:
      ops: {scopes: [read], controls: CONTROLS}
"""


@pytest.mark.parametrize(
    ("controls", "settled"),
    [
        ("[parameterized_queries]", False),
        ("[sandbox, command_allowlist]", False),
        pytest.param(
            "[parameterized_queries, sandbox, command_allowlist]",
            True,
            marks=pytest.mark.xfail(
                strict=True,
                reason="known limit (OUT-001 limitations): per-kind sets are not yet combined",
            ),
        ),
        ("[human_approval]", True),
        ("[policy_engine, least_privilege]", True),
    ],
)
def test_a_set_for_one_kind_of_input_never_settles_a_tool_that_takes_another(
    controls: str, settled: bool
) -> None:
    """OUT-001 on a tool running shell and SQL: bound parameters leave its shell open."""
    text = MIXED.replace("CONTROLS", controls)
    loaded = load_model_text(text, "mixed.yaml", known_controls=known())
    report = check([loaded], catalog(), today=TODAY)
    assert mitigated(report, "OUT-001", "agent.tools.ops") is settled


COPILOT = ROOT / "models" / "support-copilot.yaml"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # The attacker's side: a control claimed for the internet boundary.
        (
            "  internet:\n    trust: untrusted\n",
            "  internet:\n    trust: untrusted\n    controls: [dual_llm]\n",
        ),
        # Upstream of the agent: cutting the way out is not the knowledge base's to do.
        (
            "    stores: [help-articles, ticket-history]\n",
            "    stores: [help-articles, ticket-history]\n"
            "    controls: [egress_allowlist, no_remote_render]\n",
        ),
    ],
    ids=["untrusted-boundary", "upstream-store"],
)
def test_controls_where_they_cannot_act_settle_no_injection_finding(old: str, new: str) -> None:
    """PI-003 and PI-002 on the copilot stay open: a hostile or careless claim elsewhere."""
    text = COPILOT.read_text()
    assert old in text
    loaded = load_model_text(text.replace(old, new, 1), "copilot.yaml", known_controls=known())
    report = check([loaded], catalog(), today=TODAY)
    assert not mitigated(report, "PI-003", "copilot")
    assert not mitigated(report, "PI-002", "copilot")


def test_the_same_controls_on_the_agent_settle_the_trifecta() -> None:
    """The counterpart: declared on the agent itself, dual_llm settles PI-003."""
    text = COPILOT.read_text().replace(
        "  copilot:\n    kind: agent\n",
        "  copilot:\n    kind: agent\n    controls: [dual_llm]\n",
        1,
    )
    loaded = load_model_text(text, "copilot.yaml", known_controls=known())
    assert mitigated(check([loaded], catalog(), today=TODAY), "PI-003", "copilot")


def test_an_empty_covers_is_refused_rather_than_covering_everything() -> None:
    """`covers: []` would read as "covers nothing" yet used to count everywhere."""
    text = BASE.replace(
        "runner: {trust: internal, parent: corp}",
        "runner: {trust: internal, parent: corp, controls: [{id: sandbox, covers: []}]}",
    )
    with pytest.raises(ModelError) as caught:
        load_model_text(text, "credit.yaml")
    (problem,) = caught.value.problems
    assert problem.line == 7 and "must not be empty" in problem.message
