"""The model as a flow graph, and the graph queries the rules need."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import networkx as nx

from tmcode.model.elements import Model, permission_address
from tmcode.model.enums import FlowKind

PERMISSION = "permission"


STORE_KINDS = frozenset(
    {"vector_store", "datastore", "secret_store", "log_sink", "model_registry", "memory", "dataset"}
)
WRITE_SCOPES = frozenset({"write", "delete", "admin", "memory_write"})


@dataclass(frozen=True)
class Hop:
    """One edge of an evidence path: the flow or permission taken, from one node to the next."""

    source: str
    target: str
    address: str
    kind: str


def build_graph(model: Model) -> nx.MultiDiGraph:
    """Build the flow graph: components, declared flows, permissions and their implied flows.

    Node attributes: ``kind``, ``trust`` (effective), ``boundary``, ``boundaries`` (innermost
    first), ``component``. Flow edges carry ``kind``, ``address``, ``data``, ``implied`` and
    ``flow`` or ``permission``; permission edges have kind ``permission`` and their ``scopes``.
    """
    graph = nx.MultiDiGraph(name=model.system.name)
    chains = {bid: tuple(model.boundary_chain(bid)) for bid in model.boundaries}
    for cid, component in model.components.items():
        graph.add_node(
            cid,
            kind=component.kind,
            trust=model.effective_trust(cid),
            boundary=component.boundary,
            boundaries=chains[component.boundary],
            component=component,
        )
    for flow in model.flows:
        graph.add_edge(
            flow.from_,
            flow.to,
            key=flow.address,
            kind=flow.kind.value,
            address=flow.address,
            data=tuple(flow.data),
            implied=False,
            flow=flow,
        )
    for agent_id, target_id, permission in model.permissions():
        address = permission_address(agent_id, target_id)
        graph.add_edge(
            agent_id,
            target_id,
            key=address,
            kind=PERMISSION,
            address=address,
            scopes=frozenset(s.value for s in permission.scopes),
            permission=permission,
        )
        for source, target, kind in (
            (agent_id, target_id, FlowKind.tool_call.value),
            (target_id, agent_id, FlowKind.tool_result.value),
        ):
            graph.add_edge(
                source,
                target,
                key=f"{address}#{kind}",
                kind=kind,
                address=address,
                data=(),
                implied=True,
                permission=permission,
            )
    for cid, component in model.components.items():
        artifact = getattr(component, "artifact", None)
        if artifact is not None:
            address = f"{cid}.artifact"
            graph.add_edge(artifact, cid, key=address, kind=FlowKind.artifact.value,
                           address=address, data=(), implied=True)
        for dataset in getattr(component, "trained_on", []):
            address = f"{cid}.trained_on.{dataset}"
            graph.add_edge(dataset, cid, key=address, kind=FlowKind.training_data.value,
                           address=address, data=(), implied=True)
    return graph


def flow_edges(graph: nx.MultiDiGraph) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """Yield every flow edge (declared or implied) as (source, target, key, attributes)."""
    for source, target, key, attrs in graph.edges(keys=True, data=True):
        if attrs["kind"] != PERMISSION:
            yield source, target, key, attrs


def permission_edges(graph: nx.MultiDiGraph) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """Yield every permission edge as (agent, target, address, attributes)."""
    for source, target, key, attrs in graph.edges(keys=True, data=True):
        if attrs["kind"] == PERMISSION:
            yield source, target, key, attrs


def trust_raising_flows(
    graph: nx.MultiDiGraph,
) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """Yield the flows whose data moves from a less trusted to a more trusted component."""
    nodes = graph.nodes
    for source, target, key, attrs in flow_edges(graph):
        if nodes[source]["trust"] < nodes[target]["trust"]:
            yield source, target, key, attrs


def reachable(
    graph: nx.MultiDiGraph,
    sources: Iterable[str],
    *,
    kinds: frozenset[str] | None = None,
    reverse: bool = False,
    through: frozenset[str] | None = None,
) -> dict[str, Hop | None]:
    """Breadth-first search along flows from every source at once.

    Returns each reached node with the hop it was first reached by (``None`` for a source),
    so ``path_to`` can rebuild one shortest evidence path. ``kinds`` limits the flow kinds
    followed; ``through`` limits which component kinds the search may pass through (the
    sources and the last node are always allowed); ``reverse`` walks against the flows.
    One traversal serves every source in the set.
    """
    found: dict[str, Hop | None] = {}
    queue: deque[str] = deque()
    for source in sources:
        if source in graph and source not in found:
            found[source] = None
            queue.append(source)
    adjacency = flow_adjacency(graph, reverse=reverse)
    nodes = graph.nodes
    while queue:
        node = queue.popleft()
        if through is not None and found[node] is not None and nodes[node]["kind"] not in through:
            continue
        for nxt, hop in adjacency.get(node, ()):
            if nxt not in found and (kinds is None or hop.kind in kinds):
                found[nxt] = hop
                queue.append(nxt)
    return found


def _read_only_call_into_store(graph: nx.MultiDiGraph, target: str, attrs: dict[str, Any]) -> bool:
    """A call through a permission without write scopes moves no data into a store."""
    if not attrs.get("implied") or attrs["kind"] != FlowKind.tool_call.value:
        return False
    if graph.nodes[target]["kind"] not in STORE_KINDS:
        return False
    return not WRITE_SCOPES.intersection(s.value for s in attrs["permission"].scopes)


def flow_adjacency(graph: nx.MultiDiGraph, *, reverse: bool = False) -> dict[str, list[tuple[str, Hop]]]:
    """Return node -> [(neighbour, hop)] along flows, built once per graph and direction.

    An implied tool call through a permission without write scopes is left out when its
    target is a store: reading a store does not put the agent's data into it.
    """
    cache = graph.graph.setdefault("_flow_adjacency", {})
    if reverse not in cache:
        adjacency: dict[str, list[tuple[str, Hop]]] = {}
        for source, target, _, attrs in flow_edges(graph):
            if _read_only_call_into_store(graph, target, attrs):
                continue
            hop = Hop(source, target, attrs["address"], attrs["kind"])
            if reverse:
                adjacency.setdefault(target, []).append((source, hop))
            else:
                adjacency.setdefault(source, []).append((target, hop))
        cache[reverse] = adjacency
    return cache[reverse]


def path_to(found: dict[str, Hop | None], node: str, *, reverse: bool = False) -> list[Hop]:
    """Rebuild the evidence path to ``node`` from a ``reachable`` result, in flow order."""
    hops: list[Hop] = []
    current = node
    while (hop := found.get(current)) is not None:
        hops.append(hop)
        current = hop.target if reverse else hop.source
    return hops if reverse else hops[::-1]


def path_elements(hops: list[Hop]) -> list[str]:
    """Return the addresses along a path: node, edge, node, ... in flow order."""
    if not hops:
        return []
    elements = [hops[0].source]
    for hop in hops:
        elements += [hop.address, hop.target]
    return elements


def context_sources(graph: nx.MultiDiGraph, node: str) -> dict[str, Hop | None]:
    """Return every component whose data can reach ``node``'s context, with the way it does."""
    return reachable(graph, [node], reverse=True)
