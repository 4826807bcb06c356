"""The flow graph: trust, nesting, implied permission flows and reachability."""

from __future__ import annotations

from conftest import MODELS
from tmcode.graph import (
    PERMISSION,
    build_graph,
    context_sources,
    flow_edges,
    path_elements,
    path_to,
    permission_edges,
    reachable,
    trust_raising_flows,
)
from tmcode.model.enums import Trust
from tmcode.model.load import load_model, load_model_text


def graph_of(name: str):
    model = load_model(MODELS / name).model
    return model, build_graph(model)


def test_nodes_carry_effective_trust_and_boundary_chain() -> None:
    _, g = graph_of("support-copilot.yaml")
    assert g.nodes["refunds"]["trust"] is Trust.privileged
    assert g.nodes["refunds"]["boundaries"] == ("payments", "corp")
    assert g.nodes["customer"]["trust"] is Trust.untrusted
    assert g.nodes["chat-model"]["kind"] == "llm"


def test_component_trust_overrides_its_boundary() -> None:
    text = (
        (MODELS / "support-copilot.yaml")
        .read_text()
        .replace(
            "    kind: tool\n    boundary: corp\n",
            "    kind: tool\n    boundary: corp\n    trust: partner\n",
        )
    )
    model = load_model_text(text, "m.yaml").model
    g = build_graph(model)
    assert g.nodes["mailer"]["trust"] is Trust.partner
    assert model.effective_trust("kb-search") is Trust.internal


def test_permissions_are_typed_edges_with_implied_flows() -> None:
    model, g = graph_of("support-copilot.yaml")
    perms = {key: attrs for _, _, key, attrs in permission_edges(g)}
    assert set(perms) == {
        "copilot.tools.kb-search",
        "copilot.tools.refunds",
        "copilot.tools.mailer",
    }
    assert perms["copilot.tools.refunds"]["scopes"] == frozenset({"spend"})
    implied = {(s, t, a["kind"]) for s, t, _, a in flow_edges(g) if a["implied"]}
    assert ("copilot", "kb-search", "tool_call") in implied
    assert ("kb-search", "copilot", "tool_result") in implied
    declared = [a for _, _, _, a in flow_edges(g) if not a["implied"]]
    assert len(declared) == len(model.flows)
    # 3 permissions: one permission edge and two implied flows each.
    assert g.number_of_edges() == len(model.flows) + 3 * 3


def test_trust_raising_crossings() -> None:
    _, g = graph_of("support-copilot.yaml")
    crossings = {(s, t) for s, t, _, _ in trust_raising_flows(g)}
    assert ("inbound-email", "knowledge-base") in crossings
    assert ("chat-model", "copilot") in crossings  # partner vendor output into the corp agent
    assert ("copilot", "chat-model") not in crossings
    assert all(a["kind"] != PERMISSION for _, _, _, a in trust_raising_flows(g))


def test_outside_mail_reaches_the_copilot_through_store_retriever_and_tool_result() -> None:
    _, g = graph_of("support-copilot.yaml")
    found = reachable(g, ["inbound-email"])
    assert "copilot" in found
    hops = path_to(found, "copilot")
    assert path_elements(hops) == [
        "inbound-email",
        "inbound-email->knowledge-base",
        "knowledge-base",
        "knowledge-base->kb-search",
        "kb-search",
        "copilot.tools.kb-search",
        "copilot",
    ]


def test_context_sources_of_the_ide_agent_include_public_issues() -> None:
    _, g = graph_of("ide-agent.yaml")
    sources = context_sources(g, "agent")
    assert {"public-issues", "forge-api", "forge-mcp", "developer", "model"} <= set(sources)
    hops = path_to(sources, "public-issues", reverse=True)
    assert [h.source for h in hops] == ["public-issues", "forge-api", "forge-mcp"]
    assert hops[-1].target == "agent"


def test_reachability_respects_flow_kinds_and_pass_through_kinds() -> None:
    _, g = graph_of("model-pipeline.yaml")
    found = reachable(g, ["public"], kinds=frozenset({"ingest", "training_data"}))
    # inference is trained on the feedback set: trained_on implies a training_data flow.
    assert set(found) == {"public", "feedback-set", "fine-tune", "inference"}
    assert path_to(found, "inference")[-1].address == "inference.trained_on.feedback-set"
    via_datasets = reachable(g, ["public"], through=frozenset({"dataset"}))
    assert "fine-tune" in via_datasets  # reached through the feedback dataset
    assert "registry" not in via_datasets  # would need to pass through the pipeline
    assert "registry" in reachable(g, ["public"])


def test_one_traversal_serves_many_sources() -> None:
    _, g = graph_of("ide-agent.yaml")
    found = reachable(g, ["public-issues", "developer"])
    assert found["public-issues"] is None and found["developer"] is None
    assert "agent" in found and "workspace" in found


def test_the_engine_index_and_the_networkx_graph_agree() -> None:
    from tmcode.graph import flow_graph

    for name in ("support-copilot.yaml", "model-pipeline.yaml", "research-workflow.yaml"):
        model = load_model(MODELS / name).model
        index, graph = flow_graph(model), build_graph(model)
        assert set(index.nodes) == set(graph.nodes)
        assert {(s, t, k) for s, t, k, _ in index.edges} == set(graph.edges(keys=True))
        assert sorted(s for s, _, _, _ in trust_raising_flows(index)) == sorted(
            s for s, _, _, _ in trust_raising_flows(graph)
        )
        for source in model.components:
            assert reachable(index, [source]) == reachable(graph, [source])


WRITES_ONLY = """
tmcode: 1
system: {name: Writes only}
boundaries:
  corp: {trust: internal}
data:
  hr: {classification: restricted, tags: [pii]}
components:
  model: {kind: llm, boundary: corp}
  agent:
    kind: agent
    boundary: corp
    model: model
    tools:
      wiki: {scopes: [SCOPES]}
  wiki: {kind: datastore, boundary: corp, stores: [hr]}
"""


def test_a_permission_that_only_writes_reads_nothing_of_the_store_back() -> None:
    def reaches_agent(scopes: str) -> bool:
        text = WRITES_ONLY.replace("SCOPES", scopes)
        g = build_graph(load_model_text(text, "w.yaml").model)
        return "agent" in reachable(g, ["wiki"])

    assert not reaches_agent("write")
    assert not reaches_agent("write, delete")
    assert reaches_agent("read, write")
    assert reaches_agent("admin")  # administering a store can read it
