"""The values a blast radius is made of: verbs, paths, ownership, limits."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from tmcode.report import Severity


class Verb(str, Enum):
    """What a hijacked component can do to a target, in the matrix's column order."""

    read = "read"
    change = "change"
    delete = "delete"
    execute = "execute"
    spend = "spend"
    send = "send"
    admin = "admin"
    control = "control"  # takes over another agent or model: its own reach follows


VERBS = tuple(Verb)


@dataclass(frozen=True)
class Limits:
    """How far one component's search may go; past a limit the result says it was truncated."""

    hops: int = 4  # components taken over one after another
    steps: int = 2_000  # components and edges examined
    paths: int = 200  # paths listed; the rest are counted


@dataclass(frozen=True)
class Recipient:
    """Who a send reaches: a component (and its trust), or someone the model does not name."""

    component: str | None
    who: str
    trust: str


@dataclass(frozen=True)
class Path:
    """One thing a hijacked component can do, the way it gets there and what cuts it."""

    verb: Verb
    target: str
    actor: str  # the component that does it: the hijacked one or one it took over
    via: str  # the address of the permission or flow that grants it
    scope: str | None  # the permission scope, or the flow kind
    harm: Severity
    hops: int  # components taken over on the way (0: the hijacked component itself)
    elements: list[str]  # addresses from the hijacked component to the target
    data: list[str]
    classification: str | None
    tags: list[str]
    recipients: list[Recipient]
    cut: bool
    cut_by: list[str]
    planned: list[str]
    would_cut: list[str]


@dataclass(frozen=True)
class Ownership:
    """Who owns a component, who can change it, what stops it, and what is missing."""

    component: str
    kind: str
    owner: str | None
    owner_from: str | None  # "component", "system" or None
    changed_by: str
    pinned: bool | None  # None where pinning does not apply (first-party code)
    kill_switch: list[str]  # addresses declaring an implemented kill_switch
    rollback: list[str]
    incident_response: list[str]
    planned: list[str]
    gaps: list[str]


@dataclass(frozen=True)
class ComponentReach:
    """The blast radius of one component."""

    component: str
    kind: str
    takes_over: list[str]  # components it controls, the hijacked one first
    matrix: dict[str, dict[str, dict[str, Any]]]  # target -> verb -> {harm, cut}: the best path
    data: dict[str, dict[str, Any]]  # data asset -> classification, tags, verbs
    paths: list[Path]
    total: int
    open: int
    worst: Severity | None  # the worst harm of an open path
    truncated: bool
    ownership: Ownership


@dataclass(frozen=True)
class BlastRadius:
    """The blast radius and ownership of every component that can act in one model."""

    system: str | None
    name: str
    file: str | None
    components: list[ComponentReach]
    ownership: list[Ownership]
    gaps: list[str]


class UnknownComponent(Exception):
    """A component id the model does not have; ``candidates`` are the ones it could be."""

    def __init__(self, component: str, candidates: list[str]) -> None:
        self.component = component
        self.candidates = candidates
        super().__init__(component)
