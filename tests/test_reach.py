"""Blast radius and ownership: hand-worked expectations on two example systems, then rules.

The two ``EXPECTED_*`` tables were written by reading the YAML, before the code ran: each
row is (verb, target, harm, cut, cut_by, data, take-overs on the way), in the order the
blast radius lists them (open paths first, worst harm first, fewest take-overs, then verb
order read, change, delete, execute, spend, send, admin, control, then target).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from conftest import MODELS, ROOT, bundled_models
from tmcode.catalog.controls import load_controls
from tmcode.model.load import LoadedModel, load_model, load_model_text
from tmcode.reach import CUTS, Limits, UnknownComponent, blast_radius, reach_of

sys.path.insert(0, str(ROOT / "bench"))

from adversarial import agent_chain  # noqa: E402

SCHEMA = json.loads((ROOT / "tests" / "schemas" / "reach.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

Row = tuple[str, str, str, bool, list[str], set[str], int]

# support-copilot, `copilot` hijacked. Its permissions: kb-search [read] (a retriever fed by
# knowledge-base with help-articles and ticket-history), refunds [spend] under human_approval
# and budget_cap, mailer [send] (no onward flow: recipients unknown, so outsiders). Its flows:
# chat-ui -> copilot carries customer-pii (read); copilot -> chat-ui shows it to the customer
# (untrusted) behind the UI; copilot -> chat-model is its own model (not a send); the log flow
# to audit-log is not a change. It takes over nobody: no agent messages, no stores it writes.
# Harm: read = 2 + 1 (confidential) = medium; send outside = 2 + 1 + 1 = high; spend = high.
EXPECTED_COPILOT: list[Row] = [
    ("send", "chat-ui", "high", False, [], {"customer-pii", "ticket-history", "help-articles"}, 0),
    ("send", "mailer", "high", False, [], {"customer-pii", "ticket-history", "help-articles"}, 0),
    ("read", "chat-ui", "medium", False, [], {"customer-pii"}, 0),
    ("read", "kb-search", "medium", False, [], {"help-articles", "ticket-history"}, 0),
    ("spend", "refunds", "high", True, ["budget_cap", "human_approval"], set(), 0),
]

# coding-agent, `agent` hijacked. Permissions: forge-mcp [read, write, send] under
# human_approval; fetch-mcp [read, network]; shell [execute] (the tool declares sandbox);
# workspace [read, write] holding repo (confidential, ip) and ci-secrets (restricted, secret).
# Everything it holds (repo, ci-secrets) can leave by a send. fetch-mcp's network reaches
# anyone on the internet: 2 + 1 + 2 = critical. forge-mcp's send has no modelled recipient
# (outsiders): critical, but human_approval on the permission cuts it, and its write. The
# agent -> maintainer output reaches an internal person: low. Running code as `shell` takes
# the shell over (its execute path is the one listed).
SECRETS = {"repo", "ci-secrets"}
EXPECTED_CODING_AGENT: list[Row] = [
    ("send", "fetch-mcp", "critical", False, [], SECRETS, 0),
    ("read", "workspace", "high", False, [], SECRETS, 0),
    ("change", "workspace", "high", False, [], SECRETS, 0),
    ("read", "fetch-mcp", "low", False, [], set(), 0),
    ("read", "forge-mcp", "low", False, [], set(), 0),
    ("send", "maintainer", "low", False, [], SECRETS, 0),
    ("send", "forge-mcp", "critical", True, ["human_approval"], SECRETS, 0),
    ("execute", "shell", "high", True, ["sandbox"], set(), 0),
    ("change", "forge-mcp", "low", True, ["human_approval"], set(), 0),
]


def rows(model_file: str, component: str) -> list[Row]:
    model = load_model(MODELS / model_file)
    return [
        (p.verb.value, p.target, p.harm.value, p.cut, p.cut_by, set(p.data), p.hops)
        for p in reach_of(model, component).paths
    ]


def test_support_copilot_matches_the_hand_worked_blast_radius() -> None:
    assert rows("support-copilot.yaml", "copilot") == EXPECTED_COPILOT
    model = load_model(MODELS / "support-copilot.yaml")
    reach = reach_of(model, "copilot")
    assert reach.takes_over == ["copilot"]
    assert reach.worst is not None and reach.worst.value == "high"
    mailer = next(p for p in reach.paths if p.target == "mailer")
    assert [r.who for r in mailer.recipients] == ["whoever it can address (not modelled)"]
    ui = next(p for p in reach.paths if p.target == "chat-ui" and p.verb.value == "send")
    assert [(r.component, r.trust) for r in ui.recipients] == [("customer", "untrusted")]
    assert reach.matrix["refunds"] == {"spend": {"harm": "high", "cut": True}}
    # Ownership, by hand: no owner of its own (the system's), first-party code, nothing
    # declared to stop it or roll it back (audit_logging and tamper_evident_logs do neither).
    owner = reach.ownership
    assert (owner.owner, owner.owner_from, owner.changed_by, owner.pinned) == (
        "support-platform",
        "system",
        "internal team",
        None,
    )
    assert owner.gaps == [
        "no kill switch: declare `kill_switch` on it or on the system",
        "no rollback: declare `rollback` on it or on the system",
    ]


def test_coding_agent_matches_the_hand_worked_blast_radius() -> None:
    assert rows("coding-agent.yaml", "agent") == EXPECTED_CODING_AGENT
    model = load_model(MODELS / "coding-agent.yaml")
    reach = reach_of(model, "agent")
    assert reach.takes_over == ["agent", "shell"]
    assert reach.data["ci-secrets"] == {
        "classification": "restricted",
        "tags": ["secret", "credentials"],
        "open": ["read", "change", "send"],
        "cut": [],
    }


def test_a_hijacked_model_reaches_what_its_agent_does_one_take_over_away() -> None:
    # chat-model drives copilot: it reads the prompts copilot sends it, takes copilot over,
    # and then has every one of copilot's paths, each one take-over away.
    got = rows("support-copilot.yaml", "chat-model")
    assert ("read", "copilot", "medium", False, [], {"customer-pii", "ticket-history"}, 0) in got
    assert ("control", "copilot", "medium", False, [], set(), 1) in got
    copilots = {(v, t, h, c, tuple(b), frozenset(d)) for v, t, h, c, b, d, _ in EXPECTED_COPILOT}
    moved = {(v, t, h, c, tuple(b), frozenset(d)) for v, t, h, c, b, d, hops in got if hops == 1}
    assert copilots <= moved
    reach = reach_of(load_model(MODELS / "support-copilot.yaml"), "chat-model")
    send = next(p for p in reach.paths if p.target == "mailer")
    assert send.elements[:2] == ["chat-model", "copilot"]
    assert {"output_guardrail", "human_approval"} <= set(send.would_cut)


def test_a_hijacked_mcp_server_takes_over_the_agent_through_its_results() -> None:
    model = load_model(MODELS / "coding-agent.yaml")
    reach = reach_of(model, "fetch-mcp")
    assert reach.takes_over == ["fetch-mcp", "agent", "shell"]
    first = reach.paths[0]
    assert (first.verb.value, first.target, first.hops) == ("send", "fetch-mcp", 1)
    assert first.elements[:3] == ["fetch-mcp", "agent.tools.fetch-mcp", "agent"]


def test_a_poisoned_store_takes_over_the_agent_through_the_retriever() -> None:
    # knowledge-base -> kb-search (retrieval flow) -> copilot (read permission on kb-search).
    model = load_model(MODELS / "support-copilot.yaml")
    reach = reach_of(model, "knowledge-base")
    assert reach.takes_over == ["knowledge-base", "copilot"]
    control = next(p for p in reach.paths if p.verb.value == "control")
    assert control.elements == [
        "knowledge-base",
        "knowledge-base->kb-search",
        "kb-search",
        "copilot.tools.kb-search",
        "copilot",
    ]
    assert {"ingest_validation", "provenance_tracking"} <= set(control.would_cut)
    own = next(p for p in reach.paths if p.target == "knowledge-base")
    assert (own.verb.value, set(own.data)) == ("read", {"help-articles", "ticket-history"})


# --- rules on small models -------------------------------------------------------------------

HEAD = """tmcode: 1
system: {name: T, owner: team}
boundaries: {corp: {trust: internal}}
data:
  cards: {classification: restricted, tags: [pci]}
components:
  llm: {kind: llm, boundary: corp, hosting: self_hosted}
"""


def model_of(components: str, flows: str = "") -> LoadedModel:
    text = HEAD + components + (f"flows:\n{flows}" if flows else "")
    return load_model_text(text)


def test_agents_messaging_each_other_in_a_cycle_end_and_take_each_other_over() -> None:
    model = model_of(
        """  a: {kind: agent, boundary: corp, model: llm}
  b:
    kind: agent
    boundary: corp
    model: llm
    tools: {pay: {scopes: [spend]}}
  pay: {kind: service, boundary: corp}
""",
        "  - {from: a, to: b, kind: agent_message}\n  - {from: b, to: a, kind: agent_message}\n",
    )
    a = reach_of(model, "a")
    assert a.takes_over == ["a", "b"]
    spend = next(p for p in a.paths if p.verb.value == "spend")
    assert (spend.target, spend.hops, spend.actor) == ("pay", 1, "b")
    assert spend.elements == ["a", "a->b", "b", "b.tools.pay", "pay"]
    assert reach_of(model, "b").takes_over == ["b", "a"]


def spawn_chain(n: int, guard: str = "") -> str:
    parts = []
    for i in range(n):
        tools = (
            f"tools: {{a{i + 1}: {{scopes: [spawn]}}}}"
            if i < n - 1
            else ("tools: {pay: {scopes: [spend]}}")
        )
        controls = f"controls: [{guard}]" if guard and i == 1 else ""
        parts.append(
            f"  a{i}: {{kind: agent, boundary: corp, model: llm, {tools}"
            + (f", {controls}" if controls else "")
            + "}"
        )
    parts.append("  pay: {kind: service, boundary: corp}")
    return "\n".join(parts) + "\n"


def test_a_spawn_chain_reaches_the_last_agents_permission_within_the_hop_limit() -> None:
    model = model_of(spawn_chain(4))
    reach = reach_of(model, "a0")
    assert reach.takes_over == ["a0", "a1", "a2", "a3"]
    spend = next(p for p in reach.paths if p.verb.value == "spend")
    assert (spend.hops, spend.actor, spend.cut) == (3, "a3", False)
    bounded = reach_of(model, "a0", limits=Limits(hops=2))
    assert bounded.takes_over == ["a0", "a1", "a2"] and bounded.truncated
    assert not any(p.verb.value == "spend" for p in bounded.paths)


def test_the_hop_limit_stops_one_branch_not_the_others() -> None:
    agents = "".join(f"  {a}: {{kind: agent, boundary: corp, model: llm}}\n" for a in "bcdef")
    flows = "".join(
        f"  - {{from: {x}, to: {y}, kind: agent_message}}\n"
        for x, y in (("b", "c"), ("c", "d"), ("c", "f"), ("d", "e"))
    )
    reach = reach_of(model_of(agents, flows), "b", limits=Limits(hops=2))
    assert sorted(reach.takes_over) == ["b", "c", "d", "f"] and reach.truncated


def test_a_control_on_an_agent_on_the_way_cuts_every_path_through_it() -> None:
    reach = reach_of(model_of(spawn_chain(3, "input_guardrail")), "a0")
    spend = next(p for p in reach.paths if p.verb.value == "spend")
    assert spend.cut and spend.cut_by == ["input_guardrail"]
    taken = {p.target: p.cut for p in reach.paths if p.verb.value == "control"}
    assert taken == {"a1": True, "a2": True}
    assert reach.worst is None and reach.open == 0


def test_a_planned_control_is_listed_but_does_not_cut() -> None:
    model = model_of(
        """  a:
    kind: agent
    boundary: corp
    model: llm
    tools:
      pay: {scopes: [spend], controls: [{id: budget_cap, status: planned}]}
  pay: {kind: service, boundary: corp}
"""
    )
    (spend,) = reach_of(model, "a").paths
    assert not spend.cut and spend.planned == ["budget_cap"]
    assert "budget_cap" in spend.would_cut


def memory_model(guard: str = "") -> object:
    return model_of(
        f"""  writer:
    kind: agent
    boundary: corp
    model: llm
    tools: {{notes: {{scopes: [memory_write]}}}}
  reader:
    kind: agent
    boundary: corp
    model: llm
    tools: {{notes: {{scopes: [read]}}, vault: {{scopes: [read]}}}}
  notes: {{kind: memory, boundary: corp{guard}}}
  vault: {{kind: secret_store, boundary: corp, stores: [cards]}}
"""
    )


def test_a_store_one_agent_writes_and_another_reads_carries_the_take_over() -> None:
    reach = reach_of(memory_model(), "writer")
    assert reach.takes_over == ["writer", "reader"]
    vault = next(p for p in reach.paths if p.target == "vault")
    assert (vault.verb.value, vault.harm.value, vault.cut, vault.hops) == ("read", "high", False, 1)
    assert vault.elements[:5] == [
        "writer",
        "writer.tools.notes",
        "notes",
        "reader.tools.notes",
        "reader",
    ]
    guarded = reach_of(memory_model(", controls: [memory_write_approval]"), "writer")
    vault = next(p for p in guarded.paths if p.target == "vault")
    assert vault.cut and vault.cut_by == ["memory_write_approval"]


def test_every_control_a_rule_names_is_in_the_catalog() -> None:
    known = set(load_controls())
    named = {c for cuts in CUTS.values() for c in cuts}
    assert named <= known, named - known


def test_an_unknown_component_names_the_candidates() -> None:
    model = load_model(MODELS / "coding-agent.yaml")
    with pytest.raises(UnknownComponent) as caught:
        reach_of(model, "agnet")
    assert caught.value.candidates == ["agent", "fetch-mcp", "forge-mcp", "model", "shell"]


# --- ownership ------------------------------------------------------------------------------


def test_ownership_says_who_changes_and_stops_each_component_and_the_gaps() -> None:
    model = load_model(MODELS / "coding-agent.yaml")
    owners = {o.component: o for o in blast_radius(model).ownership}
    assert "issues" not in owners and "maintainer" not in owners  # outside content, people
    forge, fetch = owners["forge-mcp"], owners["fetch-mcp"]
    assert (forge.owner, forge.owner_from, forge.changed_by, forge.pinned) == (
        "developer-productivity",
        "component",
        "vendor",
        True,
    )
    assert (fetch.owner_from, fetch.changed_by, fetch.pinned) == (
        "system",
        "anyone who publishes it",
        False,
    )
    assert any(g.startswith("not pinned") for g in fetch.gaps)
    assert owners["model"].changed_by == "vendor" and owners["model"].pinned is False
    assert owners["shell"].gaps == ["no kill switch: declare `kill_switch` on it or on the system"]
    gaps = blast_radius(model).gaps
    assert gaps[0].startswith("system: no incident response plan")


def test_stop_controls_declared_on_the_system_or_a_permission_close_the_gaps() -> None:
    model = load_model(MODELS / "mitigated" / "coding-agent.yaml")
    owners = {o.component: o for o in blast_radius(model).ownership}
    assert owners["agent"].kill_switch == ["agent"]
    assert owners["workspace"].rollback == ["agent.tools.workspace"]
    assert not any("rollback" in g for g in owners["workspace"].gaps)


# --- bounds -------------------------------------------------------------------------------


def test_a_long_agent_chain_costs_work_proportional_to_its_length(tmp_path: Path) -> None:
    sizes = (300, 1200)
    counts = []
    for n in sizes:
        model = load_model_text(agent_chain(n))
        radius = blast_radius(model, limits=Limits(hops=4))
        assert len(radius.components) == n + 1
        agents = [c for c in radius.components if c.kind == "agent"]
        assert all(len(c.takes_over) <= 5 for c in agents)
        counts.append(sum(len(c.paths) for c in radius.components))
        llm = next(c for c in radius.components if c.kind == "llm")
        assert llm.truncated and len(llm.paths) <= Limits().paths
    # Paths grow with the chain's length, not its square.
    assert counts[1] <= counts[0] * (sizes[1] / sizes[0]) * 1.1


def test_a_hub_model_driving_thousands_of_agents_stops_at_the_step_limit() -> None:
    model = load_model_text(agent_chain(3000))
    start = time.perf_counter()
    reach = reach_of(model, "llm", limits=Limits(steps=500))
    assert time.perf_counter() - start < 5
    assert reach.truncated and len(reach.takes_over) <= 501


# --- the command line and the reports -----------------------------------------------------


@pytest.mark.parametrize("model", bundled_models("yaml"), ids=lambda p: p.name)
def test_reach_json_validates_for_every_example_model(cli, model: Path) -> None:
    result = cli("reach", model, "-f", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    VALIDATOR.validate(document)
    radius = document["reach"][0]
    assert radius["components"], "every example has an agent, model or tool"
    for component in radius["components"]:
        assert component["open"] == sum(not p["cut"] for p in component["paths"])


def test_reach_text_is_a_matrix_for_people(cli) -> None:
    result = cli("reach", MODELS / "support-copilot.yaml", "copilot")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(line for line in lines if line.strip().startswith("read"))
    assert header.split() == [
        "read",
        "change",
        "delete",
        "execute",
        "spend",
        "send",
        "admin",
        "control",
    ]
    refunds = next(line for line in lines if line.strip().startswith("refunds"))
    assert "(high)" in refunds
    assert "cut by: budget_cap, human_approval" in result.output
    assert "Gaps (" in result.output


def test_an_unknown_component_exits_2_with_one_message(cli) -> None:
    result = cli("reach", MODELS / "coding-agent.yaml", "agnet")
    assert result.exit_code == 2
    assert "no component `agnet`" in result.output
    assert "did you mean `agent`?" in result.output
    assert "choose one of: agent, fetch-mcp, forge-mcp, model, shell" in result.output
    assert "Traceback" not in result.output


def test_check_with_reach_adds_the_section_to_every_report_format(cli, tmp_path: Path) -> None:
    model = MODELS / "support-copilot.yaml"
    outputs = {fmt: tmp_path / f"r.{fmt}" for fmt in ("json", "text", "markdown", "sarif")}
    args = [a for fmt, out in outputs.items() for a in ("-f", fmt, "-o", out)]
    result = cli("check", model, "--reach", "--fail-on", "none", *args)
    assert result.exit_code == 0, result.output
    report = json.loads(outputs["json"].read_text())
    (radius,) = report["reach"]
    radius_schema = {"$defs": SCHEMA["$defs"], "$ref": "#/$defs/radius"}
    jsonschema.Draft202012Validator(radius_schema).validate(radius)
    copilot = next(c for c in radius["components"] if c["component"] == "copilot")
    assert [(p["verb"], p["target"]) for p in copilot["paths"]] == [
        (v, t) for v, t, *_ in EXPECTED_COPILOT
    ]
    assert "Blast radius — Support Copilot" in outputs["text"].read_text()
    assert "Blast radius: Support Copilot" in outputs["markdown"].read_text()
    sarif = json.loads(outputs["sarif"].read_text())
    summary = sarif["runs"][0]["properties"]["reach"][0]
    assert {"component": "copilot", "kind": "agent", "worst": "high", "open": 4, "total": 5} in (
        summary["components"]
    )
    plain = tmp_path / "plain.json"
    assert cli("check", model, "-f", "json", "-o", plain, "--fail-on", "none").exit_code == 0
    assert "reach" not in json.loads(plain.read_text())


def test_a_broken_model_exits_2_with_its_file_and_line(cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(HEAD + "  a: {kind: agent, boundary: nowhere, model: llm}\n")
    result = cli("reach", broken)
    assert result.exit_code == 2
    assert f"{broken}:" in result.output and "nowhere" in result.output
    assert "Traceback" not in result.output


def test_a_site_page_per_agent_can_render_one_component() -> None:
    from tmcode.render.reach import component_markdown

    model = load_model(MODELS / "coding-agent.yaml")
    lines = component_markdown(reach_of(model, "agent"), paths=2)
    assert lines[0] == "#### `agent` (agent)"
    assert any(line.startswith("| `fetch-mcp` | low |") for line in lines)
    listed = [line for line in lines if line.startswith("- **")]
    assert listed[0].startswith("- **critical** send `fetch-mcp` to anyone on the internet")
    assert "cut" not in listed[0].split("<br>")[0]
    assert lines.count("- … 7 more: `tmcode reach` lists them") == 1
