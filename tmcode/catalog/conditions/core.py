"""What every operator shares: subjects, results, the evaluation context and option parsing."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal, NamedTuple

from tmcode.graph import EvidencePaths, FlowGraph, Hop
from tmcode.model.elements import Model
from tmcode.model.enums import Classification, FlowKind, _Ordered
from tmcode.model.index import Element, ModelIndex

Loc = tuple[Any, ...]
SubjectType = Literal["component", "permission", "flow", "system", "repository"]

SENSITIVE_TAGS = ("pii", "phi", "pci", "secret", "credentials")
FLOW_KINDS = frozenset(k.value for k in FlowKind)
CONTEXT_FLOW_KINDS = FLOW_KINDS - {"training_data", "artifact", "deploy", "log"}


class ConditionError(Exception):
    """A condition the compiler refuses, with the path inside the condition."""

    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


@dataclass(frozen=True)
class Subject:
    """What a predicate is about: a kind of element and, for components, which kinds."""

    type: SubjectType
    kinds: frozenset[str] = frozenset()

    def describe(self) -> str:
        """Name the subject for error messages."""
        if self.type == "component" and self.kinds:
            return "component (" + ", ".join(sorted(self.kinds)) + ")"
        return self.type


COMPONENT_SUBJECT = Subject("component")
PERMISSION_SUBJECT = Subject("permission")
SYSTEM_SUBJECT = Subject("system")


@dataclass(frozen=True)
class Result:
    """The outcome of a predicate: true or false, with the evidence and assumptions used."""

    ok: bool
    evidence: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    # Labelled evidence paths, for operators whose evidence is one or more paths (`tainted`,
    # `egress`...): (label, elements in flow order). `evidence` stays the primary chain.
    paths: tuple[tuple[str, tuple[str, ...]], ...] = ()
    left_out: int = 0  # distinct sources found beyond the paths given (a lower bound at a cap)


FALSE = Result(False)

# The plain records (Search, Call, AppliesTo, Operator) are NamedTuples: defining one costs a
# tenth of a dataclass, and every CLI run defines them.

# Sources of a reachability search, strongest tier first: component -> evidence it brings.
Tier = Mapping[str, tuple[str, ...]]


class Search(NamedTuple):
    """One breadth-first search from one tier of sources, with its evidence paths."""

    sources: Tier
    found: dict[str, Hop | None]
    paths: EvidencePaths


@dataclass
class EvalContext:
    """One evaluation: the model index and flow graph, and the searches done so far."""

    index: ModelIndex
    graph: FlowGraph
    model: Model = field(init=False)  # the index's model, read on every test
    # Owned by conditions.reach: searches and per-subject results, shared by every threat
    # that asks the same reachability question.
    searches: dict[Hashable, tuple[Search, ...]] = field(default_factory=dict)
    reached: dict[Hashable, dict[str, Result]] = field(default_factory=dict)
    # Per search and tier, every origin's paths and each node's origins (labelled evidence).
    origins: dict[Hashable, tuple[dict[str, EvidencePaths], dict[str, list[str]]]] = field(
        default_factory=dict
    )

    def __post_init__(self) -> None:
        self.model = self.index.model

    def element(self, subject: Subject, key: str) -> Element:
        """Return the model object a subject key names."""
        if subject.type == "component":
            return self.model.components[key]
        if subject.type == "permission":
            return self.index.permissions[key].permission
        if subject.type == "flow":
            return self.index.flows[key]
        return self.model.system


class Predicate(ABC):
    """One compiled node of a condition."""

    @abstractmethod
    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        """Evaluate against the element ``key`` of the given subject type."""


Recurse = Callable[[Any, Subject, Loc], Predicate]


class Call(NamedTuple):
    """One operator node being compiled: its name, argument, subject and place."""

    op: str
    arg: Any
    subject: Subject
    loc: Loc  # the path to the operator inside the condition, the operator last
    recurse: Recurse

    def sub(self, raw: Any, subject: Subject, *path: Any) -> Predicate:
        """Compile a nested condition found at ``path`` below this operator."""
        return self.recurse(raw, subject, (*self.loc, *path))

    def fail(self, message: str, *path: Any) -> ConditionError:
        """An error at ``path`` below this operator."""
        return ConditionError((*self.loc, *path), message)


Compile = Callable[[Call], Predicate]


class AppliesTo(NamedTuple):
    """The subjects an operator applies to, and what the compiler says about any other."""

    types: frozenset[SubjectType] = frozenset()  # empty: every subject
    kinds: frozenset[str] = frozenset()  # component kinds, when limited to some
    wrong_type: str = ""  # the refusal, formatted with {op} and {subject}
    wrong_kind: str = ""  # the refusal, formatted with {op} and {kinds}

    def check(self, op: str, subject: Subject, loc: Loc) -> None:
        """Raise ConditionError unless the operator applies to ``subject``."""
        if self.types and subject.type not in self.types:
            raise ConditionError(loc, self.wrong_type.format(op=op, subject=subject.describe()))
        if self.kinds and not (subject.kinds and subject.kinds <= self.kinds):
            kinds = ", ".join(sorted(self.kinds))
            raise ConditionError(loc, self.wrong_kind.format(op=op, kinds=kinds))

    def describe(self) -> str:
        """Name the subjects for the docs: the kinds if limited, else the types, else any."""
        if self.kinds:
            return ", ".join(sorted(self.kinds))
        if self.types:
            return ", ".join(t for t in ("component", "permission", "flow") if t in self.types)
        return "any"


ANY = AppliesTo()
COMPONENTS = AppliesTo(
    frozenset({"component"}), wrong_type="`{op}` applies to components, not a {subject}"
)


class Operator(NamedTuple):
    """One operator of the condition language, as the registry holds it."""

    name: str
    applies_to: AppliesTo
    form: str  # how it is written, for the docs
    summary: str  # when it is true, in one line
    compile: Compile


# ---------------------------------------------------------------- option parsing


def options(call: Call, allowed: Mapping[str, Any]) -> dict[str, Any]:
    """The operator's options over their defaults; refuse any option it does not know."""
    raw = call.arg
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise call.fail("expected a mapping of options")
    for name in raw:
        if name not in allowed:
            known = ", ".join(f"`{n}`" for n in allowed) or "none"
            raise call.fail(f"unknown option `{name}` (known: {known})", name)
    return {**allowed, **raw}


def kinds_option(
    call: Call, name: str, raw: Any, vocabulary: frozenset[str], what: str
) -> frozenset[str] | None:
    """A non-empty list of words from ``vocabulary`` (``what`` names them, plural), or None."""
    if raw is None:
        return None
    if not isinstance(raw, list) or not raw:
        raise call.fail(f"expected a non-empty list of {what}", name)
    for i, item in enumerate(raw):
        if item not in vocabulary:
            raise call.fail(f"`{item}` is not a {what[:-1]}", name, i)
    return frozenset(raw)


def classification_option(call: Call, name: str, raw: Any) -> Classification | None:
    """A classification level, or None."""
    if raw is None:
        return None
    try:
        return Classification(raw)
    except ValueError:
        raise call.fail(f"`{raw}` is not a classification", name) from None


def plain(value: Any) -> Any:
    """Unordered enum members as their string values (ordered ones keep their order)."""
    if isinstance(value, list):
        return [
            v.value if isinstance(v, Enum) and not isinstance(v, _Ordered) else v for v in value
        ]
    if isinstance(value, Enum) and not isinstance(value, _Ordered):
        return value.value
    return value


def show(value: Any) -> str:
    """A value as the YAML of a model would write it."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(str(plain(v)) for v in value) + "]"
    return str(value)
