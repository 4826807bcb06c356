"""The condition language of threats: compiled once, checked against the model schema.

A condition is a small tree of single-key mappings (``all``, ``any``, ``not``, ``attr``, graph
tests). ``compile_condition`` turns it into predicate objects and refuses anything it does not
know — an unknown operator, attribute, option or enum value — so that no rule can be silently
dead. Evaluation never runs code from the catalog: there is no ``eval`` anywhere.
"""

from __future__ import annotations

import types
import typing
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from typing import Any, Literal, Union

from pydantic import TypeAdapter, ValidationError

from tmcode.graph import EvidencePaths, FlowGraph, Hop, flow_adjacency, reachable
from tmcode.model.elements import (
    KIND_CLASSES,
    Agent,
    Flow,
    Model,
    Permission,
    System,
)
from tmcode.model.address import permission_address
from tmcode.model.kinds import Trait, has
from tmcode.model.enums import Classification, FlowKind, PromptContent, Trust, _Ordered

SENSITIVE_TAGS = ("pii", "phi", "pci", "secret", "credentials")
CONTEXT_FLOW_KINDS = frozenset(k.value for k in FlowKind) - {
    "training_data",
    "artifact",
    "deploy",
    "log",
}


class ConditionError(Exception):
    """A condition the compiler refuses, with the path inside the condition."""

    def __init__(self, loc: tuple[Any, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


@dataclass(frozen=True)
class Subject:
    """What a predicate is about: a kind of element and, for components, which kinds."""

    type: str  # component | permission | flow | system
    kinds: frozenset[str] = frozenset()

    def describe(self) -> str:
        """Name the subject for error messages."""
        if self.type == "component" and self.kinds:
            return "component (" + ", ".join(sorted(self.kinds)) + ")"
        return self.type


@dataclass(frozen=True)
class Result:
    """The outcome of a predicate: true or false, with the evidence and assumptions used."""

    ok: bool
    evidence: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()


FALSE = Result(False)


@dataclass
class EvalContext:
    """The model, its graph and indexes built once for a whole evaluation."""

    model: Model
    graph: FlowGraph
    permissions: dict[str, tuple[str, str, Permission]] = field(default_factory=dict)
    by_agent: dict[str, list[str]] = field(default_factory=dict)
    flows: dict[str, Flow] = field(default_factory=dict)
    agents_of_llm: dict[str, list[str]] = field(default_factory=dict)
    cache: dict[Any, Any] = field(default_factory=dict)
    components_by_kind: dict[str, list[str]] = field(default_factory=dict)
    flows_by_kind: dict[str, list[str]] = field(default_factory=dict)
    permissions_by_target_kind: dict[str, list[str]] = field(default_factory=dict)
    _control_ids: dict[str, tuple[frozenset[str], frozenset[str]]] = field(default_factory=dict)
    _data: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, model: Model, graph: FlowGraph) -> EvalContext:
        """Index the model once: permissions by address and agent, flows, LLM users."""
        ctx = cls(model, graph)
        for agent_id, target_id, permission in model.permissions():
            address = permission_address(agent_id, target_id)
            ctx.permissions[address] = (agent_id, target_id, permission)
            ctx.by_agent.setdefault(agent_id, []).append(address)
        ctx.flows = {flow.address: flow for flow in model.flows}
        for cid, component in model.components.items():
            ctx.components_by_kind.setdefault(component.kind, []).append(cid)
            if isinstance(component, Agent):
                ctx.agents_of_llm.setdefault(component.model, []).append(cid)
        for flow in model.flows:
            ctx.flows_by_kind.setdefault(flow.kind.value, []).append(flow.address)
        for address, (_, target, _) in ctx.permissions.items():
            ctx.permissions_by_target_kind.setdefault(model.components[target].kind, []).append(
                address
            )
        return ctx

    def element(self, subject: Subject, key: str) -> Any:
        """Return the model object a subject key names."""
        if subject.type == "component":
            return self.model.components[key]
        if subject.type == "permission":
            return self.permissions[key][2]
        if subject.type == "flow":
            return self.flows[key]
        return self.model.system

    def control_ids(self, address: str) -> tuple[frozenset[str], frozenset[str]]:
        """Return the (implemented, planned) control ids declared on ``address``, memoised."""
        ids = self._control_ids.get(address)
        if ids is None:
            controls = self.controls_of(address)
            ids = self._control_ids[address] = (
                frozenset(c.id for c in controls if c.implemented),
                frozenset(c.id for c in controls if not c.implemented),
            )
        return ids

    def controls_of(self, address: str) -> list[Any]:
        """Return the controls declared on the element at ``address``."""
        if address == "system":
            return list(self.model.system.controls)
        if address in self.model.components:
            return list(self.model.components[address].controls)
        if address in self.permissions:
            return list(self.permissions[address][2].controls)
        if address in self.flows:
            return list(self.flows[address].controls)
        return []

    def data_of(self, address: str) -> list[str]:
        """Return the data asset ids an element stores, contains or carries, memoised."""
        data = self._data.get(address)
        if data is None:
            data = []
            component = self.model.components.get(address)
            if component is not None:
                fields = type(component).__pydantic_fields__
                data = list(
                    component.stores
                    if "stores" in fields
                    else component.contains
                    if "contains" in fields
                    else []
                )
            elif address in self.flows:
                data = list(self.flows[address].data)
            self._data[address] = data
        return data

    def is_sensitive(
        self, data_ids: list[str], at_least: Classification | None, tags: set[str]
    ) -> bool:
        """True when any of the data assets reaches ``at_least`` or carries one of ``tags``."""
        for did in data_ids:
            asset = self.model.data.get(did)
            if asset is None:
                continue
            if (at_least is not None and asset.classification >= at_least) or tags.intersection(
                asset.tags
            ):
                return True
        return False


class Predicate(ABC):
    """One compiled node of a condition."""

    @abstractmethod
    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        """Evaluate against the element ``key`` of the given subject type."""


# ---------------------------------------------------------------- combinators


class All(Predicate):
    def __init__(self, parts: list[Predicate]) -> None:
        self.parts = parts

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        evidence: list[str] = []
        assumptions: list[str] = []
        for part in self.parts:
            result = part.test(ctx, subject, key)
            assumptions += result.assumptions
            if not result.ok:
                return Result(False, (), tuple(assumptions))
            evidence += result.evidence
        return Result(True, tuple(evidence), tuple(assumptions))


class Any_(Predicate):
    def __init__(self, parts: list[Predicate]) -> None:
        self.parts = parts

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        assumptions: list[str] = []
        for part in self.parts:
            result = part.test(ctx, subject, key)
            if result.ok:
                return Result(True, result.evidence, tuple(assumptions) + result.assumptions)
            assumptions += result.assumptions
        return Result(False, (), tuple(assumptions))


class Not(Predicate):
    def __init__(self, part: Predicate) -> None:
        self.part = part

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        result = self.part.test(ctx, subject, key)
        return Result(not result.ok, (), result.assumptions)


# ---------------------------------------------------------------- attributes


def _derived_trust(ctx: EvalContext, key: str) -> Any:
    return ctx.model.effective_trust(key)


def _derived_classification(ctx: EvalContext, key: str) -> Any:
    levels = [ctx.model.data[d].classification for d in ctx.data_of(key) if d in ctx.model.data]
    return max(levels) if levels else None


def _derived_tags(ctx: EvalContext, key: str) -> Any:
    return sorted(
        {t for d in ctx.data_of(key) if d in ctx.model.data for t in ctx.model.data[d].tags}
    )


def _derived_used_by_agent(ctx: EvalContext, key: str) -> Any:
    return key in ctx.agents_of_llm


def _derived_prompt_contains(ctx: EvalContext, key: str) -> Any:
    prompt = getattr(ctx.model.components[key], "system_prompt", None)
    return [c.value for c in prompt.contains] if prompt is not None else []


def _trained_on(ctx: EvalContext, key: str) -> list[Any]:
    ids = getattr(ctx.model.components[key], "trained_on", [])
    return [ctx.model.components[d] for d in ids if d in ctx.model.components]


def _derived_trained_on_sensitive(ctx: EvalContext, key: str) -> Any:
    return any(
        ctx.is_sensitive(list(d.contains), Classification.confidential, set(SENSITIVE_TAGS))
        for d in _trained_on(ctx, key)
    )


def _derived_used_for_training(ctx: EvalContext, key: str) -> Any:
    return any(key in getattr(c, "trained_on", []) for c in ctx.model.components.values())


def _derived_target_kind(ctx: EvalContext, key: str) -> Any:
    return ctx.model.components[ctx.permissions[key][1]].kind


_Derived = tuple[Callable[[EvalContext, str], Any], Any]
DERIVED: dict[str, dict[str, _Derived]] = {
    "component": {
        "trust": (_derived_trust, Trust),
        "data_classification": (_derived_classification, Classification),
        "data_tags": (_derived_tags, list[str]),
        "used_by_agent": (_derived_used_by_agent, bool),
        "prompt_contains": (_derived_prompt_contains, list[PromptContent]),
        "trained_on_sensitive": (_derived_trained_on_sensitive, bool),
        "used_for_training": (_derived_used_for_training, bool),
    },
    "flow": {
        "data_classification": (_derived_classification, Classification),
        "data_tags": (_derived_tags, list[str]),
    },
    "permission": {"target_kind": (_derived_target_kind, str)},
    "system": {},
}


def _fields_for(subject: Subject) -> dict[str, Any]:
    """Return attribute name -> annotation for a subject type (common to all its kinds)."""
    if subject.type == "component":
        kinds = sorted(subject.kinds) if subject.kinds else list(KIND_CLASSES)
        fields = {}
        for kind in kinds:
            for n, f in KIND_CLASSES[kind].model_fields.items():
                fields.setdefault(n, f.annotation)
    else:
        model = {"permission": Permission, "flow": Flow, "system": System}[subject.type]
        fields = {n: f.annotation for n, f in model.model_fields.items()}
    fields.pop("controls", None)
    for name, (_, annotation) in DERIVED[subject.type].items():
        fields[name] = annotation
    return fields


def _element_type(annotation: Any) -> tuple[Any, bool]:
    """Unwrap Optional and list: return (element type, whether the attribute is a list)."""
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _element_type(args[0])
        if any(typing.get_origin(a) is list for a in args):
            return str, True
        return args[0], False
    if origin is list:
        return typing.get_args(annotation)[0], True
    if typing.get_origin(annotation) is typing.Annotated:
        return _element_type(typing.get_args(annotation)[0])
    return annotation, False


_OPS = ("eq", "in", "not_in", "contains", "contains_any", "at_least", "at_most", "is_set")


class Attr(Predicate):
    """Test one attribute of the subject, using its assumed value while it is unset."""

    def __init__(self, name: str, op: str, value: Any, derived: _Derived | None) -> None:
        self.name = name
        self.op = op
        self.value = value
        self.derived = derived
        self._fields: dict[type, tuple[bool, Any]] = {}

    def _field(self, element: Any) -> tuple[bool, Any]:
        """Return (whether the element's class has the attribute, its assumed value)."""
        cls = type(element)
        found = self._fields.get(cls)
        if found is None:
            info = cls.__pydantic_fields__.get(self.name)
            extra = info.json_schema_extra if info is not None else None
            assumed = extra.get("x-tmcode-assumed") if isinstance(extra, dict) else None
            found = self._fields[cls] = (info is not None, assumed)
        return found

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        assumptions: tuple[str, ...] = ()
        if self.derived is not None:
            actual = self.derived[0](ctx, key)
        else:
            element = ctx.element(subject, key)
            has, assumed = self._field(element)
            if not has:
                return FALSE  # this kind has no such attribute
            actual = getattr(element, self.name)
            if self.op == "is_set":
                return Result((actual is not None) == self.value)
            if actual is None:
                actual = assumed
                if actual is None:
                    return FALSE
                shown = actual.value if isinstance(actual, Enum) else actual
                assumptions = (f"{key}: `{self.name}` is unset; assumed `{_show(shown)}`",)
        if self.op == "is_set":
            return Result((actual is not None) == self.value)
        return Result(self._compare(actual), (), assumptions)

    def _compare(self, actual: Any) -> bool:
        # String enum members compare and hash as their values, so no conversion is needed.
        op, value = self.op, self.value
        if op == "eq":
            return bool(actual == value)
        if op == "in":
            return actual in value
        if op == "not_in":
            return actual not in value
        if op == "contains":
            return value in (actual or [])
        if op == "contains_any":
            return not value.isdisjoint(actual or ())
        if actual is None:
            return False
        if op == "at_least":
            return bool(actual >= value)
        return bool(actual <= value)


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [
            v.value if isinstance(v, Enum) and not isinstance(v, _Ordered) else v for v in value
        ]
    if isinstance(value, Enum) and not isinstance(value, _Ordered):
        return value.value
    return value


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(str(_plain(v)) for v in value) + "]"
    return str(value)


class HasControl(Predicate):
    """The subject element declares an implemented control."""

    def __init__(self, control: str) -> None:
        self.control = control

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        address = "system" if subject.type == "system" else key
        return Result(any(c.id == self.control and c.implemented for c in ctx.controls_of(address)))


# ---------------------------------------------------------------- switches


class Switch(Predicate):
    """Evaluate the inner predicate on a related element (the agent, the tool, the model...)."""

    def __init__(self, relation: str, inner: Predicate, inner_subject: Subject) -> None:
        self.relation = relation
        self.inner = inner
        self.inner_subject = inner_subject

    def related(self, ctx: EvalContext, key: str) -> str | None:
        r = self.relation
        if r == "system":
            return "system"
        if r == "agent":
            return ctx.permissions[key][0]
        if r == "tool":
            return ctx.permissions[key][1]
        if r == "model":
            component = ctx.model.components[key]
            return component.model if isinstance(component, Agent) else None
        if r == "from":
            return ctx.flows[key].from_
        return ctx.flows[key].to

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        other = self.related(ctx, key)
        if other is None:
            return FALSE
        result = self.inner.test(ctx, self.inner_subject, other)
        if result.ok and self.relation != "system":
            return Result(True, (other, *result.evidence), result.assumptions)
        return result


class HasPermission(Predicate):
    """The agent holds at least ``min`` permissions matching the inner predicate."""

    def __init__(self, where: Predicate | None, minimum: int) -> None:
        self.where = where
        self.minimum = minimum

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        evidence: list[str] = []
        assumptions: list[str] = []
        for address in ctx.by_agent.get(key, []):
            if self.where is None:
                evidence.append(address)
                continue
            result = self.where.test(ctx, PERMISSION_SUBJECT, address)
            assumptions += result.assumptions
            if result.ok:
                evidence += [address, ctx.permissions[address][1]]
        matched = sum(1 for e in evidence if e in ctx.permissions)
        return Result(matched >= self.minimum, tuple(evidence), tuple(assumptions))


PERMISSION_SUBJECT = Subject("permission")
COMPONENT_SUBJECT = Subject("component")


# ---------------------------------------------------------------- graph queries


Tiers = list[dict[str, tuple[str, ...]]]


class Reach(Predicate):
    """The subject is reached along flows from any component the source test selects.

    Sources come in tiers, strongest first: the evidence names a path from the strongest tier
    that reaches the subject. Each tier is searched in one breadth-first traversal, cached for
    the whole evaluation, so a rule costs a traversal per tier whatever the number of subjects.
    """

    def __init__(
        self,
        sources: Callable[[EvalContext], Tiers],
        flow_kinds: frozenset[str] | None,
        through: frozenset[str] | None,
        self_counts: bool,
        reverse: bool = False,
        share: tuple[Any, ...] | None = None,
    ) -> None:
        self.sources = sources
        self.flow_kinds = flow_kinds
        self.through = through
        self.self_counts = self_counts
        self.reverse = reverse
        # Built-in queries (taint, sensitive data) with the same options share one search and
        # one result per subject across every threat that asks them.
        self.key: Any = ("reach", *share) if share is not None else ("reach", id(self))

    def _search(
        self, ctx: EvalContext
    ) -> list[tuple[dict[str, tuple[str, ...]], dict[str, Hop | None], EvidencePaths]]:
        cached = ctx.cache.get(self.key)
        if cached is None:
            cached = ctx.cache[self.key] = []
            for tier in self.sources(ctx):
                found = reachable(
                    ctx.graph,
                    tier,
                    kinds=self.flow_kinds,
                    through=self.through,
                    reverse=self.reverse,
                )
                cached.append((tier, found, EvidencePaths(found, reverse=self.reverse)))
        return cached  # type: ignore[no-any-return]

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        results = ctx.cache.setdefault((self.key, "results"), {})
        result = results.get(key)
        if result is None:
            result = results[key] = self._test(ctx, key)
        return result

    def _test(self, ctx: EvalContext, key: str) -> Result:
        for sources, found, paths in self._search(ctx):
            if key not in found:
                continue
            origin, elements = paths.elements(key)
            if origin is None:
                if self.self_counts and key in sources:
                    return Result(True, sources[key])
                continue
            return Result(True, (*sources.get(origin, ()), *elements))
        return FALSE


def _select(inner: Predicate) -> Callable[[EvalContext], Tiers]:
    subject = COMPONENT_SUBJECT

    def sources(ctx: EvalContext) -> Tiers:
        return [{cid: () for cid in ctx.model.components if inner.test(ctx, subject, cid).ok}]

    return sources


def _taint_sources(users: bool) -> Callable[[EvalContext], Tiers]:
    """Outsider content first; then community code and partner-trust components."""

    def sources(ctx: EvalContext) -> Tiers:
        outside: dict[str, tuple[str, ...]] = {}
        weaker: dict[str, tuple[str, ...]] = {}
        for cid, c in ctx.model.components.items():
            kind = c.kind
            if has(kind, Trait.generates) or (has(kind, Trait.human) and not users):
                continue
            trust = ctx.model.effective_trust(cid)
            if has(kind, Trait.outsider) or trust is Trust.untrusted:
                outside[cid] = ()
            elif trust < Trust.internal or (
                has(kind, Trait.callable_tool)
                and c.source is not None
                and c.source.value in ("community", "public_hub")
            ):
                weaker[cid] = ()
        return [outside, weaker]

    return sources


def _sensitive_sources(
    at_least: Classification | None, tags: set[str]
) -> Callable[[EvalContext], Tiers]:
    def sources(ctx: EvalContext) -> Tiers:
        found: dict[str, tuple[str, ...]] = {}
        for cid in ctx.model.components:
            if ctx.is_sensitive(ctx.data_of(cid), at_least, tags):
                found.setdefault(cid, ())
        for address, flow in ctx.flows.items():
            if ctx.is_sensitive(list(flow.data), at_least, tags):
                found.setdefault(flow.from_, (address,))
                found.setdefault(flow.to, (address,))
        return [found]

    return sources


class Egress(Predicate):
    """The agent or model can send data out: send/network scopes, or a UI that fetches URLs."""

    SCOPES = frozenset({"send", "network"})
    RENDERS = frozenset({"images", "links", "html"})

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        evidence: list[str] = []
        assumptions: list[str] = []
        for address in ctx.by_agent.get(key, []):
            agent_id, target_id, permission = ctx.permissions[address]
            if self.SCOPES.intersection(s.value for s in permission.scopes):
                evidence += [address, target_id]
        for ui, hop in flow_adjacency(ctx.graph).get(key, ()):
            if hop.kind != "output" or not has(ctx.graph.nodes[ui]["kind"], Trait.ui):
                continue
            component = ctx.model.components[ui]
            renders = component.renders
            if renders is None:
                renders = component.assumed("renders")
                assumptions.append(f"{ui}: `renders` is unset; assumed `{_show(renders)}`")
            if self.RENDERS.intersection(_plain(renders)):
                evidence += [hop.address, ui]
        return Result(bool(evidence), tuple(evidence), tuple(assumptions))


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
        for peer, hop in flow_adjacency(ctx.graph, reverse=not self.outgoing).get(key, ()):
            if self.kinds is not None and hop.kind not in self.kinds:
                continue
            if self.peer is not None:
                result = self.peer.test(ctx, COMPONENT_SUBJECT, peer)
                assumptions += result.assumptions
                if not result.ok:
                    continue
            evidence += [hop.address, peer]
        return Result(bool(evidence), tuple(evidence), tuple(assumptions))


class DataTest(Predicate):
    """The subject's own data (stored, contained or carried) is sensitive."""

    def __init__(self, at_least: Classification | None, tags: set[str]) -> None:
        self.at_least = at_least
        self.tags = tags

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        return Result(ctx.is_sensitive(ctx.data_of(key), self.at_least, self.tags))


class CrossesTrust(Predicate):
    """The flow moves data from a less to a more trusted component (or the reverse)."""

    def __init__(self, raising: bool) -> None:
        self.raising = raising

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        flow = ctx.flows[key]
        low, high = ctx.model.effective_trust(flow.from_), ctx.model.effective_trust(flow.to)
        return Result(low < high if self.raising else low > high)


# ---------------------------------------------------------------- compiler


def _one_key(raw: Any, loc: tuple[Any, ...]) -> tuple[str, Any]:
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ConditionError(loc, "each condition is a mapping with exactly one operator")
    ((key, value),) = raw.items()
    return str(key), value


def _options(raw: Any, loc: tuple[Any, ...], allowed: dict[str, Any]) -> dict[str, Any]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConditionError(loc, "expected a mapping of options")
    for name in raw:
        if name not in allowed:
            known = ", ".join(f"`{n}`" for n in allowed) or "none"
            raise ConditionError((*loc, name), f"unknown option `{name}` (known: {known})")
    return {**allowed, **raw}


def _kinds(
    raw: Any, loc: tuple[Any, ...], vocabulary: set[str], what: str
) -> frozenset[str] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not raw:
        raise ConditionError(loc, f"expected a non-empty list of {what}")
    for i, item in enumerate(raw):
        if item not in vocabulary:
            raise ConditionError((*loc, i), f"`{item}` is not a {what[:-1]}")
    return frozenset(raw)


_FLOW_KINDS = {k.value for k in FlowKind}


def _classification(raw: Any, loc: tuple[Any, ...]) -> Classification | None:
    if raw is None:
        return None
    try:
        return Classification(raw)
    except ValueError:
        raise ConditionError(loc, f"`{raw}` is not a classification") from None


_RELATIONS = {
    "system": ("any", Subject("system")),
    "agent": ("permission", Subject("component", frozenset({"agent"}))),
    "tool": ("permission", COMPONENT_SUBJECT),
    "model": ("component", Subject("component", frozenset({"llm"}))),
    "from": ("flow", COMPONENT_SUBJECT),
    "to": ("flow", COMPONENT_SUBJECT),
}


def compile_condition(raw: Any, subject: Subject, loc: tuple[Any, ...] = ()) -> Predicate:
    """Compile a condition for a subject type, or raise ConditionError at its location."""
    op, arg = _one_key(raw, loc)
    here = (*loc, op)
    if op in ("all", "any"):
        if not isinstance(arg, list) or not arg:
            raise ConditionError(here, f"`{op}` needs a non-empty list of conditions")
        parts = [compile_condition(p, subject, (*here, i)) for i, p in enumerate(arg)]
        return All(parts) if op == "all" else Any_(parts)
    if op == "not":
        return Not(compile_condition(arg, subject, here))
    if op == "attr":
        return _compile_attr(arg, subject, here)
    if op == "has_control":
        if not isinstance(arg, str):
            raise ConditionError(here, "`has_control` takes a control id")
        return HasControl(arg)
    if op in _RELATIONS:
        needs, inner_subject = _RELATIONS[op]
        if op == "tool" and subject.kinds:
            inner_subject = Subject("component", subject.kinds)
        if needs != "any" and subject.type != needs:
            raise ConditionError(here, f"`{op}` applies to a {needs}, not a {subject.describe()}")
        if op == "model" and subject.kinds != frozenset({"agent"}):
            raise ConditionError(here, "`model` applies to agents only (set kinds: [agent])")
        return Switch(op, compile_condition(arg, inner_subject, here), inner_subject)
    if op == "has_permission":
        _require(subject, here, op, component_kinds={"agent"})
        opts = _options(arg, here, {"where": None, "min": 1})
        where = (
            compile_condition(opts["where"], PERMISSION_SUBJECT, (*here, "where"))
            if opts["where"]
            else None
        )
        if not isinstance(opts["min"], int) or opts["min"] < 1:
            raise ConditionError((*here, "min"), "`min` is a whole number from 1")
        return HasPermission(where, opts["min"])
    if op == "tainted":
        _require(subject, here, op)
        opts = _options(arg, here, {"users": True, "flow_kinds": None})
        kinds = _kinds(opts["flow_kinds"], (*here, "flow_kinds"), _FLOW_KINDS, "flow kinds")
        kinds = kinds or CONTEXT_FLOW_KINDS
        return Reach(
            _taint_sources(bool(opts["users"])),
            kinds,
            None,
            False,
            share=("tainted", bool(opts["users"]), kinds),
        )
    if op == "sensitive":
        _require(subject, here, op)
        opts = _options(
            arg,
            here,
            {"at_least": "confidential", "tags": list(SENSITIVE_TAGS), "flow_kinds": None},
        )
        level = _classification(opts["at_least"], (*here, "at_least"))
        kinds = _kinds(opts["flow_kinds"], (*here, "flow_kinds"), _FLOW_KINDS, "flow kinds")
        kinds = kinds or CONTEXT_FLOW_KINDS
        return Reach(
            _sensitive_sources(level, set(opts["tags"])),
            kinds,
            None,
            True,
            share=("sensitive", level, frozenset(opts["tags"]), kinds),
        )
    if op in ("reached_by", "reaches"):
        _require(subject, here, op)
        peer_key = "from" if op == "reached_by" else "to"
        opts = _options(arg, here, {peer_key: None, "flow_kinds": None, "through": None})
        if opts[peer_key] is None:
            raise ConditionError(here, f"`{op}` needs `{peer_key}:` (a condition on components)")
        peer = compile_condition(opts[peer_key], COMPONENT_SUBJECT, (*here, peer_key))
        kinds = _kinds(opts["flow_kinds"], (*here, "flow_kinds"), _FLOW_KINDS, "flow kinds")
        through = _kinds(opts["through"], (*here, "through"), set(KIND_CLASSES), "component kinds")
        return Reach(_select(peer), kinds, through, False, reverse=op == "reaches")
    if op == "egress":
        _require(subject, here, op)
        _options(arg, here, {})
        return Egress()
    if op in ("flow_in", "flow_out"):
        _require(subject, here, op)
        peer_key = "from" if op == "flow_in" else "to"
        opts = _options(arg, here, {"kinds": None, peer_key: None})
        kinds = _kinds(opts["kinds"], (*here, "kinds"), _FLOW_KINDS, "flow kinds")
        peer = (
            compile_condition(opts[peer_key], COMPONENT_SUBJECT, (*here, peer_key))
            if opts[peer_key]
            else None
        )
        return Neighbour(op == "flow_out", kinds, peer)
    if op == "data":
        if subject.type not in ("component", "flow"):
            raise ConditionError(
                here, f"`data` applies to components and flows, not a {subject.describe()}"
            )
        opts = _options(arg, here, {"at_least": "confidential", "tags": list(SENSITIVE_TAGS)})
        return DataTest(_classification(opts["at_least"], (*here, "at_least")), set(opts["tags"]))
    if op == "crosses_trust":
        if subject.type != "flow":
            raise ConditionError(here, "`crosses_trust` applies to flows")
        if arg not in ("raising", "lowering"):
            raise ConditionError(here, "`crosses_trust` is `raising` or `lowering`")
        return CrossesTrust(arg == "raising")
    raise ConditionError(here, f"unknown operator `{op}`")


def _require(
    subject: Subject, loc: tuple[Any, ...], op: str, component_kinds: set[str] | None = None
) -> None:
    if subject.type != "component":
        raise ConditionError(loc, f"`{op}` applies to components, not a {subject.describe()}")
    if component_kinds and not (subject.kinds and subject.kinds <= component_kinds):
        raise ConditionError(loc, f"`{op}` applies to {', '.join(sorted(component_kinds))} only")


@cache
def _adapter(element: Any) -> TypeAdapter[Any]:
    """A validator for one attribute type, built once per type (building one costs ~0.1 ms)."""
    return TypeAdapter(element)


def _compile_attr(arg: Any, subject: Subject, loc: tuple[Any, ...]) -> Attr:
    if not isinstance(arg, dict) or "name" not in arg:
        raise ConditionError(loc, "`attr` needs `name:` and one test such as `eq:`")
    name = arg["name"]
    tests = [k for k in arg if k != "name"]
    if len(tests) != 1 or tests[0] not in _OPS:
        raise ConditionError(loc, "`attr` takes exactly one test: " + ", ".join(_OPS))
    op = tests[0]
    value = arg[op]
    fields = _fields_for(subject)
    if name not in fields:
        raise ConditionError(
            (*loc, "name"),
            f"`{name}` is not an attribute of any {subject.describe()}",
        )
    derived = DERIVED[subject.type].get(name)
    element, is_list = _element_type(fields[name])
    if op == "is_set":
        if not isinstance(value, bool):
            raise ConditionError((*loc, op), "`is_set` takes true or false")
        if derived is not None:
            raise ConditionError((*loc, op), f"`{name}` is always set")
        return Attr(name, op, value, None)
    if op in ("contains", "contains_any") and not is_list:
        raise ConditionError((*loc, op), f"`{name}` is not a list; use `eq` or `in`")
    if op in ("eq", "in", "not_in", "at_least", "at_most") and is_list:
        raise ConditionError((*loc, op), f"`{name}` is a list; use `contains` or `contains_any`")
    values = value if op in ("in", "not_in", "contains_any") else [value]
    if not isinstance(values, list) or not values:
        raise ConditionError((*loc, op), f"`{op}` takes a non-empty list")
    if name == "kind" and subject.type == "component":
        element = Literal[tuple(sorted(subject.kinds or KIND_CLASSES))]  # type: ignore[misc]
    adapter = _adapter(element)
    checked = []
    for v in values:
        try:
            checked.append(
                adapter.validate_python(v, strict=isinstance(v, bool) or element is bool)
            )
        except ValidationError:
            raise ConditionError((*loc, op), f"`{v}` is not a valid value of `{name}`") from None
    if op in ("at_least", "at_most"):
        if not (isinstance(element, type) and issubclass(element, _Ordered)):
            raise ConditionError((*loc, op), f"`{name}` has no order; use `eq` or `in`")
        return Attr(name, op, checked[0], derived)
    plain = [_plain(v) for v in checked]
    return Attr(
        name, op, frozenset(plain) if op in ("in", "not_in", "contains_any") else plain[0], derived
    )
