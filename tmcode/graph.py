"""The model as a flow graph, and the graph queries the rules need.

``flow_graph(model)`` builds the graph once as a flat index (nodes with their attributes, edges,
adjacency lists); the engine evaluates over it. ``build_graph(model)`` returns the same nodes
and edges as a networkx ``MultiDiGraph`` for library users and graph algorithms. The queries
below accept either. networkx is imported only by ``build_graph``: importing it costs about as
much as a whole check of a small model.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tmcode.model.address import artifact_address, trained_on_address
from tmcode.model.elements import Model
from tmcode.model.index import ModelIndex
from tmcode.model.kinds import Trait, kinds_with
from tmcode.model.enums import FlowKind

if TYPE_CHECKING:
    import networkx as nx

PERMISSION = "permission"
STORE_KINDS = kinds_with(Trait.store)
TOOL_KINDS = kinds_with(Trait.callable_tool)
WRITE_SCOPES = frozenset({"write", "delete", "admin", "memory_write"})
# Scopes that carry data out of the system: a way out (the `egress` condition, PI-003).
EGRESS_SCOPES = frozenset({"send", "network"})

Edge = tuple[str, str, str, dict[str, Any]]


@dataclass(frozen=True)
class Hop:
    """One edge of an evidence path: the flow or permission taken, from one node to the next."""

    source: str
    target: str
    address: str
    kind: str


class BoundaryChain(Sequence[str]):
    """A boundary and its ancestors, innermost first, walked on demand.

    Every node shares its boundary's chain instead of a copy, so boundaries nested N deep cost
    O(N), not O(N²). It compares equal to any sequence with the same ids (a tuple, a list).
    """

    __slots__ = ("_parents", "_start", "_length")

    def __init__(self, parents: dict[str, str | None], start: str, length: int) -> None:
        self._parents = parents
        self._start = start
        self._length = length

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[str]:
        current: str | None = self._start
        for _ in range(self._length):
            assert current is not None
            yield current
            current = self._parents[current]

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self)[index]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("boundary chain index out of range")
        for position, bid in enumerate(self):
            if position == index:
                return bid
        raise IndexError(index)  # pragma: no cover - unreachable

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (str, bytes)) or not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"BoundaryChain({tuple(self)!r})"


def boundary_chains(model: Model) -> dict[str, BoundaryChain]:
    """Return every boundary's chain (as ``Model.boundary_chain``), in time linear in the model."""
    parents = {bid: b.parent for bid, b in model.boundaries.items()}
    lengths: dict[str, int] = {}
    for start in parents:
        path: dict[str, int] = {}
        current: str | None = start
        while current in parents and current not in lengths and current not in path:
            path[current] = len(path)
            current = parents[current]
        walked = list(path)
        if current in path:  # a cycle: each of its boundaries sees the cycle once round
            cycle = walked[path[current] :]
            for bid in cycle:
                lengths[bid] = len(cycle)
            walked = walked[: path[current]]
        below = lengths.get(current, 0) if current is not None else 0
        for bid in reversed(walked):
            below += 1
            lengths[bid] = below
    return {bid: BoundaryChain(parents, bid, lengths[bid]) for bid in parents}


@dataclass
class FlowGraph:
    """The flow graph as plain indexes: node attributes, edges, adjacency lists."""

    name: str
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    _adjacency: dict[bool, dict[str, list[tuple[str, Hop]]]] = field(default_factory=dict)

    def __contains__(self, node: object) -> bool:
        return node in self.nodes


def flow_graph(model: Model, index: ModelIndex | None = None) -> FlowGraph:
    """Build the flow graph once: components, declared flows, permissions and implied flows.

    Node attributes: ``kind``, ``trust`` (effective), ``boundary``, ``boundaries`` (innermost
    first), ``component``. Flow edges carry ``kind``, ``address``, ``data``, ``implied`` and
    ``flow`` or ``permission``; permission edges have kind ``permission`` and their ``scopes``.
    An LLM's ``artifact`` and ``trained_on`` imply ``artifact`` and ``training_data`` flows.
    """
    index = index if index is not None else ModelIndex.build(model)
    graph = FlowGraph(model.system.name)
    chains = boundary_chains(model)
    for cid, component in model.components.items():
        graph.nodes[cid] = {
            "kind": component.kind,
            "trust": index.trust[cid],
            "boundary": component.boundary,
            "boundaries": chains[component.boundary],
            "component": component,
        }
    edges = graph.edges
    for flow in model.flows:
        edges.append(
            (
                flow.from_,
                flow.to,
                flow.address,
                {
                    "kind": flow.kind.value,
                    "address": flow.address,
                    "data": tuple(flow.data),
                    "implied": False,
                    "flow": flow,
                },
            )
        )
    for address, (_, agent_id, target_id, permission) in index.permissions.items():
        edges.append(
            (
                agent_id,
                target_id,
                address,
                {
                    "kind": PERMISSION,
                    "address": address,
                    "scopes": frozenset(s.value for s in permission.scopes),
                    "permission": permission,
                },
            )
        )
        for source, target, kind in (
            (agent_id, target_id, FlowKind.tool_call.value),
            (target_id, agent_id, FlowKind.tool_result.value),
        ):
            edges.append(
                (
                    source,
                    target,
                    f"{address}#{kind}",
                    {
                        "kind": kind,
                        "address": address,
                        "data": (),
                        "implied": True,
                        "permission": permission,
                    },
                )
            )
    for cid, component in model.components.items():
        artifact = getattr(component, "artifact", None)
        if artifact is not None:
            address = artifact_address(cid)
            edges.append(
                (
                    artifact,
                    cid,
                    address,
                    {
                        "kind": FlowKind.artifact.value,
                        "address": address,
                        "data": (),
                        "implied": True,
                    },
                )
            )
        for dataset in getattr(component, "trained_on", []):
            address = trained_on_address(cid, dataset)
            edges.append(
                (
                    dataset,
                    cid,
                    address,
                    {
                        "kind": FlowKind.training_data.value,
                        "address": address,
                        "data": (),
                        "implied": True,
                    },
                )
            )
    return graph


def build_graph(model: Model) -> nx.MultiDiGraph:
    """Return the flow graph as a networkx MultiDiGraph (same nodes, edges and attributes)."""
    import networkx as nx

    index = flow_graph(model)
    graph = nx.MultiDiGraph(name=index.name)
    for node, attrs in index.nodes.items():
        graph.add_node(node, **attrs)
    for source, target, key, attrs in index.edges:
        graph.add_edge(source, target, key=key, **attrs)
    return graph


def _edges(graph: Any) -> Iterable[Edge]:
    if isinstance(graph, FlowGraph):
        return graph.edges
    return graph.edges(keys=True, data=True)  # type: ignore[no-any-return]


def flow_edges(graph: Any) -> Iterator[Edge]:
    """Yield every flow edge (declared or implied) as (source, target, key, attributes)."""
    for source, target, key, attrs in _edges(graph):
        if attrs["kind"] != PERMISSION:
            yield source, target, key, attrs


def permission_edges(graph: Any) -> Iterator[Edge]:
    """Yield every permission edge as (agent, target, address, attributes)."""
    for source, target, key, attrs in _edges(graph):
        if attrs["kind"] == PERMISSION:
            yield source, target, key, attrs


def trust_raising_flows(graph: Any) -> Iterator[Edge]:
    """Yield the flows whose data moves from a less trusted to a more trusted component."""
    nodes = graph.nodes
    for source, target, key, attrs in flow_edges(graph):
        if nodes[source]["trust"] < nodes[target]["trust"]:
            yield source, target, key, attrs


def _read_only_call_into_store(graph: Any, target: str, attrs: dict[str, Any]) -> bool:
    """A call through a permission without write scopes moves no data into a store."""
    if not attrs.get("implied") or attrs["kind"] != FlowKind.tool_call.value:
        return False
    if graph.nodes[target]["kind"] not in STORE_KINDS:
        return False
    return WRITE_SCOPES.isdisjoint(attrs["permission"].scopes)  # members hash as their values


# Scopes that only put data into a store: a permission holding nothing else reads none back.
_STORE_WRITES_ONLY = frozenset({"write", "delete", "memory_write"})


def _write_only_result_from_store(graph: Any, source: str, attrs: dict[str, Any]) -> bool:
    """A result through a permission that only writes brings nothing of the store back."""
    if not attrs.get("implied") or attrs["kind"] != FlowKind.tool_result.value:
        return False
    if graph.nodes[source]["kind"] not in STORE_KINDS:
        return False
    return _STORE_WRITES_ONLY.issuperset(attrs["permission"].scopes)


def _read_only_tools(graph: Any) -> frozenset[str]:
    """Tools reached only by implied calls through permissions without write scopes."""
    callers: dict[str, bool] = {}  # tool -> every edge into it is a read-only call
    for _, target, _, attrs in flow_edges(graph):
        if graph.nodes[target]["kind"] not in TOOL_KINDS:
            continue
        read_only = (
            bool(attrs.get("implied"))
            and attrs["kind"] == FlowKind.tool_call.value
            and WRITE_SCOPES.isdisjoint(attrs["permission"].scopes)
        )
        callers[target] = callers.get(target, True) and read_only
    return frozenset(tool for tool, only_reads in callers.items() if only_reads)


def flow_adjacency(graph: Any, *, reverse: bool = False) -> dict[str, list[tuple[str, Hop]]]:
    """Return node -> [(neighbour, hop)] along flows, built once per graph and direction.

    An implied tool call through a permission without write scopes is left out when its
    target is a store: reading a store does not put the agent's data into it. So is a flow
    into a store from a tool that agents only call through such permissions (and nothing
    else flows into): a lookup through a read-only tool writes nothing either. An implied
    result from a store through a permission that only writes (write, delete, memory_write)
    is left out too: writing to a store reads none of it back.
    """
    cache: dict[bool, dict[str, list[tuple[str, Hop]]]] = (
        graph._adjacency
        if isinstance(graph, FlowGraph)
        else graph.graph.setdefault("_flow_adjacency", {})
    )
    if reverse not in cache:
        adjacency: dict[str, list[tuple[str, Hop]]] = {}
        lookups = _read_only_tools(graph)
        stores = STORE_KINDS
        for source, target, _, attrs in flow_edges(graph):
            if _read_only_call_into_store(graph, target, attrs):
                continue
            if _write_only_result_from_store(graph, source, attrs):
                continue
            if source in lookups and graph.nodes[target]["kind"] in stores:
                continue
            hop = Hop(source, target, attrs["address"], attrs["kind"])
            if reverse:
                adjacency.setdefault(target, []).append((source, hop))
            else:
                adjacency.setdefault(source, []).append((target, hop))
        cache[reverse] = adjacency
    return cache[reverse]


def reachable(
    graph: Any,
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


# At most this many distinct origins are followed per node by ``reachable_origins``.
ORIGIN_LIMIT = 20


def reachable_origins(
    graph: Any,
    sources: Iterable[str],
    *,
    kinds: frozenset[str] | None = None,
    reverse: bool = False,
    through: frozenset[str] | None = None,
    limit: int = ORIGIN_LIMIT,
) -> tuple[dict[str, dict[str, Hop | None]], dict[str, list[str]]]:
    """Breadth-first search that keeps, for each node, up to ``limit`` distinct origins.

    Returns (origin -> its own ``reachable``-style map, node -> origins nearest first). Each
    (node, origin) pair is visited once and a node accepts at most ``limit`` origins, so it
    costs O(limit × edges), not a search per source. Once a node is full, further origins stop
    there: beyond ``limit``, counts are lower bounds. Options are those of ``reachable``.
    """
    by_origin: dict[str, dict[str, Hop | None]] = {}
    origins_at: dict[str, list[str]] = {}
    queue: deque[tuple[str, str]] = deque()
    for source in sources:
        if source in graph and source not in by_origin:
            by_origin[source] = {source: None}
            origins_at.setdefault(source, []).append(source)
            queue.append((source, source))
    adjacency = flow_adjacency(graph, reverse=reverse)
    nodes = graph.nodes
    while queue:
        node, origin = queue.popleft()
        if through is not None and node not in by_origin and nodes[node]["kind"] not in through:
            continue
        found = by_origin[origin]
        for nxt, hop in adjacency.get(node, ()):
            if nxt in found or (kinds is not None and hop.kind not in kinds):
                continue
            at = origins_at.setdefault(nxt, [])
            if len(at) >= limit:
                continue
            found[nxt] = hop
            at.append(origin)
            queue.append((nxt, origin))
    return by_origin, origins_at


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


# An evidence path longer than 2 * PATH_END_HOPS + 1 hops keeps this many hops at each end.
PATH_END_HOPS = 6


def elided(hops: int) -> str:
    """The element that stands for the hops left out of the middle of a long evidence path."""
    return f"… {hops} more hops …"


class EvidencePaths:
    """Evidence paths from one ``reachable`` result, each bounded in length.

    A path of at most ``2 * ends + 1`` hops is given whole; a longer one as its first and last
    ``ends`` hops and the number left out, found without walking the middle (each node's depth
    and the node ``ends`` hops from the search's source are memoised). So n paths along one
    chain of n nodes cost O(n), not O(n²).
    """

    def __init__(
        self, found: dict[str, Hop | None], *, reverse: bool = False, ends: int = PATH_END_HOPS
    ) -> None:
        self.found = found
        self.reverse = reverse
        self.ends = ends
        self._depth: dict[str, int] = {}
        self._anchor: dict[str, str] = {}  # node -> the node `ends` hops from the source

    def _back(self, node: str) -> str | None:
        """The node one hop nearer the search's source, or None at a source."""
        hop = self.found.get(node)
        if hop is None:
            return None
        return hop.target if self.reverse else hop.source

    def _settle(self, node: str) -> None:
        pending: list[str] = []
        current: str | None = node
        while current is not None and current not in self._depth:
            pending.append(current)
            current = self._back(current)
        for n in reversed(pending):
            parent = self._back(n)
            depth = 0 if parent is None else self._depth[parent] + 1
            self._depth[n] = depth
            if depth == self.ends:
                self._anchor[n] = n
            elif depth > self.ends:
                assert parent is not None
                self._anchor[n] = self._anchor[parent]

    def _walk(self, node: str, limit: int) -> list[Hop]:
        hops: list[Hop] = []
        current = node
        while len(hops) < limit and (hop := self.found.get(current)) is not None:
            hops.append(hop)
            current = hop.target if self.reverse else hop.source
        return hops

    def path(self, node: str) -> tuple[list[Hop], int, list[Hop]]:
        """Return (first hops, hops left out, last hops) in flow order; whole when short."""
        self._settle(node)
        depth = self._depth[node]
        if depth <= 2 * self.ends + 1:
            return path_to(self.found, node, reverse=self.reverse), 0, []
        near_node = self._walk(node, self.ends)
        near_source = self._walk(self._anchor[node], self.ends)
        left_out = depth - 2 * self.ends
        if self.reverse:
            return near_node, left_out, near_source
        return near_source[::-1], left_out, near_node[::-1]

    def elements(self, node: str) -> tuple[str | None, list[str]]:
        """Return the path's origin and its addresses (``path_elements``), the middle elided."""
        first, left_out, last = self.path(node)
        if not first:
            return None, []
        origin = (last or first)[-1].target if self.reverse else first[0].source
        if not left_out:
            return origin, path_elements(first)
        return origin, [*path_elements(first), elided(left_out), *path_elements(last)]


def context_sources(graph: Any, node: str) -> dict[str, Hop | None]:
    """Return every component whose data can reach ``node``'s context, with the way it does."""
    return reachable(graph, [node], reverse=True)
