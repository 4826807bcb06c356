"""Reachability along flows: taint, sensitive data, `reached_by`/`reaches`, egress, neighbours."""

from __future__ import annotations

from collections.abc import Callable, Hashable

from tmcode.catalog.conditions.core import (
    COMPONENT_SUBJECT,
    COMPONENTS,
    CONTEXT_FLOW_KINDS,
    FALSE,
    FLOW_KINDS,
    SENSITIVE_TAGS,
    Call,
    EvalContext,
    Operator,
    Predicate,
    Result,
    Search,
    Subject,
    Tier,
    classification_option,
    kinds_option,
    options,
    plain,
    show,
)
from tmcode.graph import EGRESS_SCOPES, EvidencePaths, flow_adjacency, reachable, reachable_origins
from tmcode.model.elements import KIND_CLASSES, UI, User
from tmcode.model.enums import Classification, Trust, WritesTo
from tmcode.model.kinds import Trait, has
from tmcode.model.address import SYSTEM_ADDRESS
from tmcode.model.index import ModelIndex
from tmcode.report import PATHS_SHOWN

# The sources of a search, in tiers, strongest first.
Sources = Callable[[EvalContext], list[Tier]]
_COMPONENT_KINDS = frozenset(KIND_CLASSES)
# At most this many labelled paths per reachability test; further sources are counted.
PATH_LIMIT = PATHS_SHOWN


class Reach(Predicate):
    """The subject is reached along flows from any component the source test selects.

    Sources come in tiers, strongest first: the evidence names a path from the strongest tier
    that reaches the subject. Each tier is searched in one breadth-first traversal, kept for
    the whole evaluation, so a rule costs a traversal per tier whatever the number of subjects.
    """

    def __init__(
        self,
        sources: Sources,
        flow_kinds: frozenset[str] | None,
        through: frozenset[str] | None,
        self_counts: bool,
        reverse: bool = False,
        share: Hashable | None = None,
        labels: tuple[str, ...] = ("from `{origin}`",),
        self_label: str = "`{origin}` itself",
    ) -> None:
        self.sources = sources
        self.flow_kinds = flow_kinds
        self.through = through
        self.self_counts = self_counts
        self.reverse = reverse
        # How a path from each tier is labelled ({origin}: its source); the last for the rest.
        self.labels = labels
        self.self_label = self_label
        # Built-in queries (taint, sensitive data) with the same options share one search and
        # one result per subject across every threat that asks them.
        self.key: Hashable = ("reach", share) if share is not None else ("reach", id(self))

    def _search(self, ctx: EvalContext) -> tuple[Search, ...]:
        searches = ctx.searches.get(self.key)
        if searches is None:
            found = []
            for tier in self.sources(ctx):
                reached = reachable(
                    ctx.graph,
                    tier,
                    kinds=self.flow_kinds,
                    through=self.through,
                    reverse=self.reverse,
                )
                found.append(Search(tier, reached, EvidencePaths(reached, reverse=self.reverse)))
            searches = ctx.searches[self.key] = tuple(found)
        return searches

    def _origins(
        self, ctx: EvalContext, tier: int
    ) -> tuple[dict[str, EvidencePaths], dict[str, list[str]]]:
        """Every origin's paths in one tier (searched once, on the first finding that needs it)."""
        key = (self.key, tier)
        known = ctx.origins.get(key)
        if known is None:
            by_origin, at = reachable_origins(
                ctx.graph,
                self._search(ctx)[tier].sources,
                kinds=self.flow_kinds,
                through=self.through,
                reverse=self.reverse,
            )
            paths = {
                o: EvidencePaths(found, reverse=self.reverse) for o, found in by_origin.items()
            }
            known = ctx.origins[key] = (paths, at)
        return known

    def _label(self, tier: int, origin: str) -> str:
        return self.labels[min(tier, len(self.labels) - 1)].format(origin=origin)

    @staticmethod
    def _lead(
        ctx: EvalContext, search: Search, origin: str, elements: tuple[str, ...]
    ) -> tuple[str, tuple[str, ...]]:
        """Where a path really starts: a source that stands for a component before it.

        A store outsiders write into is a source, found by the flow that writes it: the path
        then starts at the writer (`reporter -> reporter->issues -> issues -> ...`).
        """
        start = Reach._start(ctx, search, origin)
        if start == origin:
            return origin, elements
        return start, (*search.sources[origin], *elements)

    @staticmethod
    def _start(ctx: EvalContext, search: Search, origin: str) -> str:
        """The component a path from ``origin`` is shown starting at (see ``_lead``)."""
        lead = search.sources.get(origin, ())
        return lead[0] if lead and lead[0] in ctx.model.components else origin

    def _paths(
        self, ctx: EvalContext, first: int, key: str, primary: tuple[str, tuple[str, ...]]
    ) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], int]:
        """The primary path, then other sources' nearest paths, tier by tier; and how many more."""
        paths = [primary]
        seen = {primary[0]}
        left_out = 0
        searches = self._search(ctx)
        for tier in range(first, len(searches)):
            if key not in searches[tier].found:
                continue
            by_origin, at = self._origins(ctx, tier)
            for origin in at.get(key, ()):
                if origin == key:
                    continue
                start = self._start(ctx, searches[tier], origin)
                label = self._label(tier, start)
                if label in seen:
                    continue
                seen.add(label)
                if len(paths) >= PATH_LIMIT:
                    left_out += 1
                    continue
                _, elements = by_origin[origin].elements(key)
                _, shown = self._lead(ctx, searches[tier], origin, tuple(elements))
                paths.append((label, shown))
        return tuple(paths), left_out

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        results = ctx.reached.setdefault(self.key, {})
        result = results.get(key)
        if result is None:
            result = results[key] = self._test(ctx, key)
        return result

    def _test(self, ctx: EvalContext, key: str) -> Result:
        for tier, search in enumerate(self._search(ctx)):
            if key not in search.found:
                continue
            origin, elements = search.paths.elements(key)
            if origin is None:
                if self.self_counts and key in search.sources:
                    evidence = search.sources[key]
                    primary = (self.self_label.format(origin=key), evidence or (key,))
                    paths, left_out = self._paths(ctx, tier, key, primary)
                    # A path from elsewhere says more than "it holds some": it goes first.
                    return Result(True, evidence, (), (*paths[1:], paths[0]), left_out)
                continue
            start, shown = self._lead(ctx, search, origin, tuple(elements))
            primary = (self._label(tier, start), shown)
            paths, left_out = self._paths(ctx, tier, key, primary)
            return Result(True, (*search.sources.get(origin, ()), *elements), (), paths, left_out)
        return FALSE


def _selected(inner: Predicate) -> Sources:
    def sources(ctx: EvalContext) -> list[Tier]:
        subject = COMPONENT_SUBJECT
        return [{cid: () for cid in ctx.model.components if inner.test(ctx, subject, cid).ok}]

    return sources


def _kept_apart(index: ModelIndex, user: str) -> bool:
    """Whether every store a user writes into declares `tenant_isolation` (implemented).

    `writes_to: own_tenant` is a claim; tenant isolation on what they write into is what
    keeps it true. Without it, what they write is outsider content like anyone's.
    """
    for address in index.flows_out.get(user, ()):
        to = index.flows[address].to
        if not has(index.model.components[to].kind, Trait.store):
            continue
        if not any(
            credit.control.id == "tenant_isolation" and credit.control.implemented
            for credit in (*index.credited_at(to), *index.credited_at(SYSTEM_ADDRESS))
        ):
            return False
    return True


def _taint_sources(users: bool) -> Sources:
    """Outsider content first; then community code and partner-trust components."""

    def sources(ctx: EvalContext) -> list[Tier]:
        outside: dict[str, tuple[str, ...]] = {}
        weaker: dict[str, tuple[str, ...]] = {}
        index = ctx.index
        trust = index.trust
        for cid, c in ctx.model.components.items():
            kind = c.kind
            if (
                isinstance(c, User)
                and c.writes_to is WritesTo.own_tenant
                and _kept_apart(index, cid)
            ):
                continue  # read back only by its writers' own tenant: not outsider content
            if has(kind, Trait.human) and not users:
                # What outsiders type at an agent is direct injection, not counted here; what
                # they write into a store (error reports, reviews) is read later by others.
                if has(kind, Trait.outsider) or trust[cid] is Trust.untrusted:
                    for address in index.flows_out.get(cid, ()):
                        store = index.flows[address].to
                        if has(index.model.components[store].kind, Trait.store):
                            outside.setdefault(store, (cid, address))
                continue
            if has(kind, Trait.generates):
                continue
            level = trust[cid]
            if has(kind, Trait.outsider) or level is Trust.untrusted:
                outside[cid] = ()
            elif level < Trust.internal or (
                has(kind, Trait.callable_tool)
                and c.source is not None
                and c.source.value in ("community", "public_hub")
            ):
                weaker[cid] = ()
        return [outside, weaker]

    return sources


def _sensitive_sources(
    at_least: Classification | None, tags: frozenset[str], readers: Predicate | None = None
) -> Sources:
    """Holders and carriers of sensitive data, less data every one of ``readers`` may see."""

    def sources(ctx: EvalContext) -> list[Tier]:
        index = ctx.index
        entitled: frozenset[str] = frozenset()
        if readers is not None:
            peers = [c for c in ctx.model.components if readers.test(ctx, COMPONENT_SUBJECT, c).ok]
            if peers:
                entitled = frozenset.intersection(
                    *(index.entitled_to.get(p, frozenset()) for p in peers)
                )
        found: dict[str, tuple[str, ...]] = {}
        for cid, held in index.data.items():
            kept = [d for d in held if d not in entitled]
            if cid in ctx.model.components and index.is_sensitive(kept, at_least, tags):
                found.setdefault(cid, ())
        for address, flow in index.flows.items():
            kept = [d for d in flow.data if d not in entitled]
            if kept and index.is_sensitive(kept, at_least, tags):
                found.setdefault(flow.from_, (address,))
                found.setdefault(flow.to, (address,))
        return [found]

    return sources


def _flow_kinds(
    call: Call, opts: dict[str, object], name: str = "flow_kinds"
) -> frozenset[str] | None:
    return kinds_option(call, name, opts[name], FLOW_KINDS, "flow kinds")


def _tainted(call: Call) -> Predicate:
    opts = options(call, {"users": True, "flow_kinds": None})
    kinds = _flow_kinds(call, opts) or CONTEXT_FLOW_KINDS
    users = bool(opts["users"])
    return Reach(
        _taint_sources(users),
        kinds,
        None,
        False,
        share=("tainted", users, kinds),
        labels=("untrusted content in from `{origin}`", "lower-trust content in from `{origin}`"),
    )


def _sensitive(call: Call) -> Predicate:
    defaults = {
        "at_least": "confidential",
        "tags": list(SENSITIVE_TAGS),
        "flow_kinds": None,
        "unless_entitled": None,
    }
    opts = options(call, defaults)
    level = classification_option(call, "at_least", opts["at_least"])
    kinds = _flow_kinds(call, opts) or CONTEXT_FLOW_KINDS
    tags = frozenset(opts["tags"])
    if opts["unless_entitled"] is not None:
        readers = call.sub(opts["unless_entitled"], COMPONENT_SUBJECT, "unless_entitled")
        return Reach(
            _sensitive_sources(level, tags, readers),
            kinds,
            None,
            True,
            labels=("private data read from `{origin}`",),
            self_label="private data held or carried by `{origin}`",
        )
    return Reach(
        _sensitive_sources(level, tags),
        kinds,
        None,
        True,
        share=("sensitive", level, tags, kinds),
        labels=("private data read from `{origin}`",),
        self_label="private data held or carried by `{origin}`",
    )


def _reach(call: Call) -> Predicate:
    peer_key = "from" if call.op == "reached_by" else "to"
    opts = options(call, {peer_key: None, "flow_kinds": None, "through": None})
    if opts[peer_key] is None:
        raise call.fail(f"`{call.op}` needs `{peer_key}:` (a condition on components)")
    peer = call.sub(opts[peer_key], COMPONENT_SUBJECT, peer_key)
    kinds = _flow_kinds(call, opts)
    through = kinds_option(call, "through", opts["through"], _COMPONENT_KINDS, "component kinds")
    reverse = call.op == "reaches"
    label = "to `{origin}`" if reverse else "from `{origin}`"
    return Reach(_selected(peer), kinds, through, False, reverse=reverse, labels=(label,))


class Egress(Predicate):
    """The agent or model can send data out: send/network scopes, or a UI that fetches URLs."""

    SCOPES = EGRESS_SCOPES
    RENDERS = frozenset({"images", "links", "html"})

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        evidence: list[str] = []
        assumptions: list[str] = []
        permissions = ctx.index.permissions
        for address in ctx.index.permissions_of_agent.get(key, ()):
            entry = permissions[address]
            if not self.SCOPES.isdisjoint(entry.permission.scopes):
                evidence += [address, entry.target]
        for ui, hop in flow_adjacency(ctx.graph).get(key, ()):
            if hop.kind != "output" or not has(ctx.graph.nodes[ui]["kind"], Trait.ui):
                continue
            component = ctx.model.components[ui]
            assert isinstance(component, UI)  # the only class with the ui trait
            renders = component.renders
            if renders is None:
                renders = component.assumed("renders")
                assumptions.append(f"{ui}: `renders` is unset; assumed `{show(renders)}`")
            if self.RENDERS.intersection(plain(renders)):
                evidence += [hop.address, ui]
        paths = tuple(
            (f"way out to `{evidence[i + 1]}`", (key, evidence[i], evidence[i + 1]))
            for i in range(0, len(evidence), 2)
        )
        return Result(bool(evidence), tuple(evidence), tuple(assumptions), paths)


def _egress(call: Call) -> Predicate:
    options(call, {})
    return Egress()


class Neighbour(Predicate):
    """A direct flow into (or out of) the subject, of given kinds, from (to) a matching peer."""

    def __init__(
        self, outgoing: bool, kinds: frozenset[str] | None, peer: Predicate | None
    ) -> None:
        self.outgoing = outgoing
        self.kinds = kinds
        self.peer = peer

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        evidence: list[str] = []
        assumptions: list[str] = []
        paths: list[tuple[str, tuple[str, ...]]] = []
        for peer, hop in flow_adjacency(ctx.graph, reverse=not self.outgoing).get(key, ()):
            if self.kinds is not None and hop.kind not in self.kinds:
                continue
            if self.peer is not None:
                result = self.peer.test(ctx, COMPONENT_SUBJECT, peer)
                assumptions += result.assumptions
                if not result.ok:
                    continue
            if self.outgoing:
                evidence += [hop.address, peer]
                paths.append((f"flow out to `{peer}`", (key, hop.address, peer)))
            else:
                evidence += [peer, hop.address]
                paths.append((f"flow in from `{peer}`", (peer, hop.address, key)))
        if evidence and not self.outgoing:
            evidence.append(key)  # in flow order: each source and its flow, then the subject
        return Result(bool(evidence), tuple(evidence), tuple(assumptions), tuple(paths))


def _neighbour(call: Call) -> Predicate:
    peer_key = "from" if call.op == "flow_in" else "to"
    opts = options(call, {"kinds": None, peer_key: None})
    kinds = _flow_kinds(call, opts, "kinds")
    peer = call.sub(opts[peer_key], COMPONENT_SUBJECT, peer_key) if opts[peer_key] else None
    return Neighbour(call.op == "flow_out", kinds, peer)


OPERATORS = (
    Operator(
        "tainted",
        COMPONENTS,
        "tainted: {users: true, flow_kinds: [...]}",
        "content from outside reaches it along flows",
        _tainted,
    ),
    Operator(
        "sensitive",
        COMPONENTS,
        "sensitive: {at_least: confidential, tags: [...], flow_kinds: [...], unless_entitled: c}",
        "sensitive data reaches it along flows, or it holds some; with `unless_entitled`, data "
        "every component passing `c` declares in `entitled_to` does not count",
        _sensitive,
    ),
    Operator(
        "reached_by",
        COMPONENTS,
        "reached_by: {from: c, flow_kinds: [...], through: [...]}",
        "a component passing `c` reaches it along flows",
        _reach,
    ),
    Operator(
        "reaches",
        COMPONENTS,
        "reaches: {to: c, flow_kinds: [...], through: [...]}",
        "it reaches a component passing `c` along flows",
        _reach,
    ),
    Operator(
        "egress",
        COMPONENTS,
        "egress: {}",
        "it can send data out: send or network scopes, or output to a UI rendering links, "
        "images or HTML",
        _egress,
    ),
    Operator(
        "flow_in",
        COMPONENTS,
        "flow_in: {kinds: [...], from: c}",
        "a direct flow of those kinds comes in from a component passing `c`",
        _neighbour,
    ),
    Operator(
        "flow_out",
        COMPONENTS,
        "flow_out: {kinds: [...], to: c}",
        "a direct flow of those kinds goes out to a component passing `c`",
        _neighbour,
    ),
)
