"""The bounded search: from a hijacked component to everything it can reach."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tmcode.model.address import (
    SYSTEM_ADDRESS,
    artifact_address,
    permission_address,
    trained_on_address,
)
from tmcode.model.elements import Agent, ComponentBase, Flow, Model, Permission
from tmcode.model.enums import Classification, FlowKind, Trust
from tmcode.model.index import ModelIndex, PermissionEntry
from tmcode.model.kinds import Trait, has
from tmcode.reach.rules import CUTS, DRIVES, HOT_TAGS, harm, sort_key
from tmcode.reach.values import Limits, Path, Recipient, Verb


_ENDPOINT_TRAITS = (Trait.human, Trait.ui, Trait.outsider, Trait.outside_content)
_ANYONE = "anyone on the internet"
_UNMODELLED = "whoever it can address (not modelled)"


# --- the model's index, and what the search derives from it ------------------------------------


@dataclass
class Index:
    """The lookups the search needs, derived once per model from its ``ModelIndex``."""

    facts: ModelIndex
    model: Model
    out_flows: dict[str, list[Flow]] = field(default_factory=dict)
    in_flows: dict[str, list[Flow]] = field(default_factory=dict)
    holders: dict[str, list[PermissionEntry]] = field(default_factory=dict)
    people_of_ui: dict[str, list[str]] = field(default_factory=dict)
    agents: set[str] = field(default_factory=set)
    endpoints: set[str] = field(default_factory=set)  # people, interfaces and outsiders
    models: set[str] = field(default_factory=set)
    llms: set[str] = field(default_factory=set)
    store_ids: set[str] = field(default_factory=set)
    tools: set[str] = field(default_factory=set)
    uis: set[str] = field(default_factory=set)
    _data_at: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _profiles: dict[tuple[str, ...], Any] = field(default_factory=dict)
    _reads: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, facts: ModelIndex) -> Index:
        """Group components by trait and resolve the index's flow and permission addresses."""
        model = facts.model
        index = cls(facts, model)
        flows, permissions = facts.flows, facts.permissions
        index.out_flows = {c: [flows[a] for a in found] for c, found in facts.flows_out.items()}
        index.in_flows = {c: [flows[a] for a in found] for c, found in facts.flows_in.items()}
        index.holders = {
            target: [permissions[a] for a in found]
            for target, found in facts.permissions_to_target.items()
        }
        for kind, ids in facts.components_by_kind.items():
            for group, trait in (
                (index.models, Trait.model),
                (index.store_ids, Trait.store),
                (index.tools, Trait.callable_tool),
                (index.uis, Trait.ui),
            ):
                if has(kind, trait):
                    group.update(ids)
            if any(has(kind, t) for t in _ENDPOINT_TRAITS):
                index.endpoints.update(ids)
            else:
                index.endpoints.update(cid for cid in ids if outside_service(facts, cid))
            if is_llm(kind):
                index.llms.update(ids)
        index.agents = {cid for ids in facts.agents_of_llm.values() for cid in ids}
        for flow in model.flows:
            for ui, other in ((flow.to, flow.from_), (flow.from_, flow.to)):
                if ui in index.uis and _kind_has(model, other, Trait.human):
                    people = index.people_of_ui.setdefault(ui, [])
                    if other not in people:
                        people.append(other)
        return index

    @property
    def driven(self) -> Mapping[str, tuple[str, ...]]:
        """LLM -> the agents it drives."""
        return self.facts.agents_of_llm

    def trains(self, source: str) -> tuple[str, ...]:
        """The models that load ``source`` (a model artifact) or were trained on it (a dataset)."""
        facts = self.facts
        return facts.loaded_by.get(source, ()) + facts.trained_by.get(source, ())

    def component(self, cid: str) -> ComponentBase:
        """The component ``cid``."""
        return self.model.components[cid]

    def data_at(self, cid: str) -> tuple[str, ...]:
        """Data a component holds, or receives or passes on by flows (what reading it yields)."""
        found = self._data_at.get(cid)
        if found is None:
            facts = self.facts
            ids = list(facts.data_of(cid))
            for address in facts.flows_in.get(cid, ()):
                ids += facts.data_of(address)
            for address in facts.flows_out.get(cid, ()):
                ids += facts.data_of(address)
            found = self._data_at[cid] = tuple(dict.fromkeys(ids))
        return found

    def reads(self, cid: str) -> tuple[str, ...]:
        """Everything a component has in hand: its flows' data and what it may read."""
        found = self._reads.get(cid)
        if found is None:
            facts = self.facts
            ids = list(self.data_at(cid))
            for address in facts.permissions_of_agent.get(cid, ()):
                entry = facts.permissions[address]
                if any(s.value == "read" for s in entry.permission.scopes):
                    ids += self.data_at(entry.target)
            found = self._reads[cid] = tuple(dict.fromkeys(ids))
        return found

    def profile(self, data: tuple[str, ...]) -> tuple[Classification | None, tuple[str, ...], bool]:
        """The highest classification, the tags and whether any is secret, of data assets."""
        found = self._profiles.get(data)
        if found is None:
            assets = [self.model.data[d] for d in data if d in self.model.data]
            top = max((a.classification for a in assets), default=None)
            tags = tuple(sorted({t for a in assets for t in a.tags}))
            hot = top is Classification.restricted or bool(HOT_TAGS.intersection(tags))
            found = self._profiles[data] = (top, tags, hot)
        return found

    def trust(self, cid: str) -> Trust:
        """The component's effective trust."""
        return self.facts.trust[cid]


def is_llm(kind: str) -> bool:
    """A generative model: model weights that generate (an agent generates, but is no model)."""
    return has(kind, Trait.model) and has(kind, Trait.generates)


def outside_service(facts: ModelIndex, cid: str) -> bool:
    """A plain service (no traits) run by someone else: what reaches it has left the system."""
    kind = facts.model.components[cid].kind
    return not any(has(kind, t) for t in Trait) and facts.trust[cid] < Trust.internal


def _kind_has(model: Model, cid: str, trait: Trait) -> bool:
    component = model.components.get(cid)
    return component is not None and has(component.kind, trait)


def _is_endpoint(model: Model, cid: str) -> bool:
    return any(_kind_has(model, cid, t) for t in _ENDPOINT_TRAITS)


def actors(model: Model) -> list[str]:
    """Components whose hijack acts: agents, models, MCP servers and tools, in model order."""
    return [
        cid
        for cid, c in model.components.items()
        if isinstance(c, Agent) or has(c.kind, Trait.model) or has(c.kind, Trait.callable_tool)
    ]


# --- controls --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hop:
    """One step of a path: the edge taken, the component it reaches, the cut set it checks."""

    address: str
    target: str
    rule: str
    kind: str = ""  # the flow kind or permission scope, for the record
    source: str | None = None  # the actor of an effect: its own controls count too


@dataclass(frozen=True)
class _Cuts:
    """What the hops taken so far say about cutting: implemented, planned, would."""

    cut_by: frozenset[str] = frozenset()
    planned: frozenset[str] = frozenset()
    would: tuple[str, ...] = ()


class ControlLookup:
    """Answers which controls of a rule are declared at a hop, memoised per hop."""

    def __init__(self, facts: ModelIndex) -> None:
        self.facts = facts
        self._memo: dict[tuple[Any, ...], tuple[frozenset[str], frozenset[str]]] = {}

    def at(self, hop: _Hop) -> tuple[frozenset[str], frozenset[str]]:
        """The (implemented, planned) controls of ``hop.rule`` on the hop, its target or system."""
        key = (hop.address, hop.target, hop.rule, hop.source)
        found = self._memo.get(key)
        if found is None:
            done: set[str] = set()
            planned: set[str] = set()
            wanted = CUTS[hop.rule]
            # A hop's address is a flow or permission, or the component it reaches (its target).
            # Controls count as in `tmcode check` (docs/credit.md): a component's include those
            # of its boundaries, and a control that `covers` some components counts for a hop
            # that reaches one of them.
            subjects = (hop.target,)
            for address in (hop.address, hop.target, hop.source, SYSTEM_ADDRESS):
                if address is None:
                    continue
                for control, _ in self.facts.credited_at(address):
                    if control.id not in wanted or not self.facts.covers(control, subjects):
                        continue
                    (done if control.implemented else planned).add(control.id)
            found = self._memo[key] = (frozenset(done), frozenset(planned - done))
        return found

    def extend(self, cuts: _Cuts, hop: _Hop) -> _Cuts:
        """The cuts after taking ``hop``."""
        done, planned = self.at(hop)
        if not done and not planned and all(c in cuts.would for c in CUTS[hop.rule]):
            return cuts
        would = tuple(dict.fromkeys([*cuts.would, *(c for c in CUTS[hop.rule] if c not in done)]))
        return _Cuts(cuts.cut_by | done, cuts.planned | planned, would)


# --- the search ---------------------------------------------------------------------------------

_CONTROL, _CONTENT, _CALLED = 0, 1, 2  # taken over; its content written; called with content
_MESSAGE, _STORED, _CHANGE, _MEMORY_WRITE, _EXECUTE = (
    "message",
    "stored",
    Verb.change.value,
    "memory_write",
    Verb.execute.value,
)
_WRITES = frozenset({"write", "memory_write", "admin"})


@dataclass(frozen=True)
class _State:
    """A component reached, how, by whom and along which hops."""

    node: str
    mode: int
    actor: str  # the last component taken over on the way
    hops: int  # components taken over on the way
    chain: tuple[str, ...]  # addresses from the source
    cuts: _Cuts
    last: _Hop | None = None


# One effect a reached component has: (verb, target, hop, data or recipients).
_Effect = tuple[Verb, str, _Hop, tuple[Any, ...]]


class Search:
    """The blast radius of one source component over an index."""

    def __init__(self, index: Index, lookup: ControlLookup, limits: Limits) -> None:
        self.index = index
        self.lookup = lookup
        self.limits = limits
        self.model = index.model

    def run(self, source: str) -> tuple[list[Path], list[str], bool]:
        """Return (paths, components taken over, truncated) for ``source``.

        A best-first search over (component, how reached): uncut ways before cut ones, fewer
        take-overs before more; each state is settled once, and at most ``limits.steps`` edges
        are examined, so the cost is bounded whatever the model's shape.
        """
        start = _State(source, _CONTROL, source, 0, (source,), _Cuts())
        heap: list[tuple[int, int, int, _State]] = [(0, 0, 0, start)]
        settled: set[tuple[str, int]] = set()
        taken: list[str] = []
        paths: dict[tuple[str, str], Path] = {}
        truncated = out_of_steps = False
        steps = 0
        seq = 0
        while heap and not out_of_steps:
            state = heapq.heappop(heap)[3]
            if (state.node, state.mode) in settled or (state.node, _CONTROL) in settled:
                continue
            settled.add((state.node, state.mode))
            for effect in self._arrival(state):
                self._record(paths, state, effect)
            if state.mode == _CONTROL:
                taken.append(state.node)
                for effect in self._effects(state):
                    self._record(paths, state, effect)
            for node, mode, hop in self._spread(state):
                steps += 1
                if steps > self.limits.steps:
                    truncated = out_of_steps = True
                    break
                if (node, mode) in settled or (node, _CONTROL) in settled:
                    continue
                hops = state.hops + (mode == _CONTROL)
                if hops > self.limits.hops:
                    truncated = True
                    continue
                cuts = self.lookup.extend(state.cuts, hop)
                # A model driving an agent has no edge address of its own: the agent stands for it.
                via = (hop.address,) if hop.address != node else ()
                chain = (*state.chain, *via, node)
                actor = node if mode == _CONTROL else state.actor
                seq += 1
                nxt = _State(node, mode, actor, hops, chain, cuts, hop)
                heapq.heappush(heap, (int(bool(cuts.cut_by)), hops, seq, nxt))
        return list(paths.values()), taken, truncated

    def _record(self, paths: dict[tuple[str, str], Path], state: _State, effect: _Effect) -> None:
        verb, target, hop, extra = effect
        path = self._path(state, verb, target, hop, extra)
        key = (verb.value, target)
        known = paths.get(key)
        if known is None or sort_key(path) < sort_key(known):
            paths[key] = path

    # What a reached component does ----------------------------------------------------------

    def _arrival(self, state: _State) -> Iterable[_Effect]:
        """What reaching a component is in itself: taking it over, or changing a store."""
        hop = state.last
        if hop is None:
            return
        if state.mode == _CONTROL and hop.rule != Verb.execute.value:
            yield Verb.control, state.node, hop, ()  # running code as a tool is its execute path
        elif state.mode == _CONTENT and hop.kind != FlowKind.log.value:
            if state.node in self.index.store_ids:
                yield Verb.change, state.node, hop, self.index.data_at(state.node)

    def _effects(self, state: _State) -> Iterable[_Effect]:
        """What a component taken over does itself: reads, and its permissions and flows."""
        index, node = self.index, state.node
        component = index.component(node)
        acts = node in index.agents or node in index.models or node in index.tools
        if state.hops == 0 and not acts and index.data_at(node):
            # A hijacked store, retriever or service gives away what it holds or passes on.
            yield Verb.read, node, _Hop(node, node, Verb.read.value, "", node), index.data_at(node)
        for flow in index.in_flows.get(node, ()):
            if flow.data:
                hop = _Hop(flow.address, node, Verb.read.value, flow.kind.value, node)
                yield Verb.read, flow.from_, hop, tuple(flow.data)
        for address in index.facts.permissions_of_agent.get(node, ()):
            entry = index.facts.permissions[address]
            yield from self._permission_effects(node, entry.target, entry.permission)
        own_model = getattr(component, "model", None) if isinstance(component, Agent) else None
        for flow in index.out_flows.get(node, ()):
            target = flow.to
            if target == own_model:
                continue  # an agent's prompts to its own model are the agent thinking
            if target in self.index.endpoints or target in self.index.llms:
                hop = _Hop(flow.address, target, Verb.send.value, flow.kind.value, node)
                yield Verb.send, target, hop, self._recipients(target, flow.kind.value)

    def _permission_effects(
        self, agent: str, target: str, permission: Permission
    ) -> Iterable[_Effect]:
        index = self.index
        address = permission_address(agent, target)
        if target in index.agents:
            return  # asking another agent is taking it over: see _spread
        for scope in (s.value for s in permission.scopes):
            if scope == "read":
                yield (
                    Verb.read,
                    target,
                    _Hop(address, target, "read", scope, agent),
                    index.data_at(target),
                )
            elif scope in ("write", "memory_write"):
                rule = "memory_write" if scope == "memory_write" else Verb.change.value
                hop = _Hop(address, target, rule, scope, agent)
                yield Verb.change, target, hop, index.data_at(target)
            elif scope == "delete":
                hop = _Hop(address, target, Verb.delete.value, scope, agent)
                yield Verb.delete, target, hop, index.data_at(target)
            elif scope in ("execute", "spend", "admin"):
                yield Verb(scope), target, _Hop(address, target, scope, scope, agent), ()
            elif scope in ("send", "network"):
                hop = _Hop(address, target, Verb.send.value, scope, agent)
                yield Verb.send, target, hop, self._recipients(target, scope)

    def _recipients(self, target: str, scope: str) -> tuple[Recipient, ...]:
        """Who a send through ``target`` reaches; unknown recipients count as outsiders."""
        index = self.index
        if scope == "network":
            return (Recipient(None, _ANYONE, Trust.untrusted.value),)
        if target in index.uis:
            people = index.people_of_ui.get(target) or [target]
            return tuple(Recipient(p, p, index.trust(p).value) for p in people)
        if target in index.endpoints or target in index.llms:
            return (Recipient(target, target, index.trust(target).value),)
        onward = [f.to for f in index.out_flows.get(target, ()) if f.to in index.endpoints]
        if onward:
            return tuple(Recipient(p, p, index.trust(p).value) for p in dict.fromkeys(onward))
        return (Recipient(None, _UNMODELLED, Trust.untrusted.value),)

    # Where control and content go next -------------------------------------------------------

    def _spread(self, state: _State) -> Iterable[tuple[str, int, _Hop]]:
        """The components a reached one hands control or content to, and by which hop."""
        index, node = self.index, state.node
        acts = node in index.agents or node in index.models or node in index.tools
        if state.mode == _CONTROL:
            if node in index.agents:
                yield from self._permission_spread(node)
            if node in index.models:
                for agent in index.driven.get(node, ()):
                    yield agent, _CONTROL, _Hop(agent, agent, DRIVES, DRIVES)
            if node in index.tools and state.hops == 0:
                for entry in index.holders.get(node, ()):
                    hop = _Hop(entry.address, entry.agent, _MESSAGE, "tool_result")
                    yield entry.agent, _CONTROL, hop
        elif node in index.endpoints or node in index.models:
            return  # people, outsiders and models pass nothing on from one call to the next
        # Content kept in a store, or passed on from one, is stored content wherever it goes.
        stored = node in index.store_ids or (state.last is not None and state.last.rule == _STORED)
        rule = _STORED if stored else _MESSAGE
        if state.mode == _CONTENT or (state.mode == _CONTROL and not acts):
            # What it holds or passes on goes back to whoever calls it: a store's readers,
            # a retriever's or a tool's callers (a call alone, _CALLED, brings nothing back).
            for entry in index.holders.get(node, ()):
                scopes = {s.value for s in entry.permission.scopes}
                if node in index.store_ids and "read" not in scopes:
                    continue
                yield entry.agent, _CONTROL, _Hop(entry.address, entry.agent, rule, "read")
        if state.mode != _CALLED:
            for target in index.trains(node):
                yield target, _CONTROL, self._training_hop(node, target)
        for flow in index.out_flows.get(node, ()):
            target = flow.to
            if target in index.agents:
                via = rule if state.mode != _CONTROL or not acts else _MESSAGE
                yield target, _CONTROL, _Hop(flow.address, target, via, flow.kind.value)
            elif target in index.endpoints or target in index.models:
                continue
            elif target in index.store_ids:
                change = _MEMORY_WRITE if flow.kind is FlowKind.memory_write else _CHANGE
                writer = node if state.mode == _CONTROL else None
                yield target, _CONTENT, _Hop(flow.address, target, change, flow.kind.value, writer)
            else:
                via = rule if state.mode != _CONTROL or not acts else _MESSAGE
                yield target, _CONTENT, _Hop(flow.address, target, via, flow.kind.value)

    def _training_hop(self, source: str, model_id: str) -> _Hop:
        component = self.model.components[model_id]
        if getattr(component, "artifact", None) == source:
            return _Hop(artifact_address(model_id), model_id, "training", FlowKind.artifact.value)
        address = trained_on_address(model_id, source)
        return _Hop(address, model_id, "training", FlowKind.training_data.value)

    def _permission_spread(self, node: str) -> Iterable[tuple[str, int, _Hop]]:
        index = self.index
        for address in index.facts.permissions_of_agent.get(node, ()):
            entry = index.facts.permissions[address]
            target, permission = entry.target, entry.permission
            scopes = {s.value for s in permission.scopes}
            label = "+".join(sorted(scopes))
            if target in index.agents:
                yield target, _CONTROL, _Hop(address, target, _MESSAGE, label)
            elif target in index.store_ids:
                if scopes & _WRITES:
                    rule = _MEMORY_WRITE if "memory_write" in scopes else _CHANGE
                    yield target, _CONTENT, _Hop(address, target, rule, label, node)
            elif "execute" in scopes and target in index.tools:
                yield target, _CONTROL, _Hop(address, target, _EXECUTE, label, node)
            elif target not in index.endpoints and target not in index.models:
                yield target, _CALLED, _Hop(address, target, _MESSAGE, label)

    # Paths ------------------------------------------------------------------------------------

    def _path(
        self, state: _State, verb: Verb, target: str, hop: _Hop, extra: tuple[Any, ...]
    ) -> Path:
        index = self.index
        arrival = hop is state.last  # its cut set was checked on the way in
        cuts = state.cuts if arrival else self.lookup.extend(state.cuts, hop)
        recipients: list[Recipient] = []
        if verb is Verb.send:
            recipients = list(extra)
            data: tuple[str, ...] = index.reads(state.actor)
        else:
            data = tuple(extra)
        classification, tags, hot = index.profile(data)
        outside = any(r.component is None or Trust(r.trust) < Trust.internal for r in recipients)
        elements = list(state.chain)
        if not arrival:
            if hop.address != elements[-1]:
                elements.append(hop.address)
            if target != elements[-1]:
                elements.append(target)
        return Path(
            verb=verb,
            target=target,
            actor=state.actor,
            via=hop.address,
            scope=hop.kind or None,
            harm=harm(verb, classification, hot, outside),
            hops=state.hops,
            elements=elements,
            data=list(data),
            classification=classification.value if classification else None,
            tags=list(tags),
            recipients=recipients,
            cut=bool(cuts.cut_by),
            cut_by=sorted(cuts.cut_by),
            planned=sorted(cuts.planned),
            would_cut=[c for c in cuts.would if c not in cuts.cut_by],
        )
