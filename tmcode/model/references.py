"""Cross-reference checks: every id a model names must exist and be of the right kind."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from tmcode.errors import Problem
from tmcode.model.diagnose import Suggester, closest
from tmcode.model.elements import (
    LLM,
    Agent,
    ComponentBase,
    Controls,
    Dataset,
    Memory,
    Model,
    ModelArtifact,
    KIND_CLASSES,
    Store,
    User,
    kinds_of,
)
from tmcode.model.address import SYSTEM_ADDRESS, flow_ends, owner, permission_address
from tmcode.model.kinds import Trait, has
from tmcode.model.yaml_reader import position

Locate = Callable[[tuple[Any, ...]], tuple[int | None, int | None]]

# The sections a reference can point into; a decision's target may point into any of them.
TARGET_SECTIONS = ("boundaries", "data", "components", "flows")


@dataclass(frozen=True)
class Unvalidated:
    """What of a file failed validation: its own problem is reported, references to it are not."""

    ids: frozenset[str] = frozenset()  # ids and flow addresses of elements that failed
    sections: frozenset[str] = frozenset()  # sections unusable as a whole (missing, misspelt)


_LISTED = 10  # the most ids a hint lists
_SUGGESTED = 100  # the most unknown threat names matched closely (difflib is slow on many)


@dataclass(frozen=True)
class ThreatNames:
    """What a decision's ``threat`` may name: a catalog threat id or a reference one cites."""

    ids: frozenset[str]
    references: frozenset[str]

    @cached_property
    def all(self) -> frozenset[str]:
        """Every name a decision may use."""
        return self.ids | self.references

    @cached_property
    def _by_case(self) -> dict[str, str]:
        return {name.lower(): name for name in self.all}

    @cached_property
    def _by_part(self) -> dict[str, list[str]]:
        # `LLM01` for `owasp-llm:LLM01:2025`: a reference written without its standard. Every
        # edition is offered, since a number may name a different risk in each.
        by_part: dict[str, list[str]] = {}
        for r in sorted(self.references):
            for part in r.lower().split(":")[1:]:
                if not part.isdigit():
                    by_part.setdefault(part, []).append(r)
        return by_part

    def suggest(self, word: str, *, close: bool = True) -> str:
        """Say what to write instead of the unknown threat ``word`` (``close``: try difflib)."""
        match = closest(word.lower(), self._by_case) if close else None
        if match is not None:
            return f"did you mean `{self._by_case[match]}`?"
        cited = self._by_part.get(word.lower())
        if cited:
            return "did you mean " + " or ".join(f"`{r}`" for r in cited) + "?"
        return (
            "run `tmcode catalog list` for the threat ids, or name a reference a threat cites, "
            "e.g. `owasp-llm:LLM01:2025`"
        )


# Threat names are only needed for a model with decisions: they are loaded on first use.
ThreatNamesSource = Callable[[], ThreatNames]


def model_addresses(model: Model) -> list[str]:
    """Return every address a finding or decision can target, in model order."""
    addresses = [SYSTEM_ADDRESS, *model.boundaries, *model.data, *model.components]
    addresses += [flow.address for flow in model.flows]
    addresses += [permission_address(a, t) for a, t, _ in model.permissions()]
    return addresses


class _Checker:
    def __init__(self, model: Model, path: str, locate: Locate, failed: Unvalidated) -> None:
        self.model = model
        self.path = path
        self.locate = locate
        # Ids written in the file whose element failed validation: they exist, so references to
        # them are not reported as unknown (their own problem already is).
        self.invalid = failed.ids
        self.broken = failed.sections
        # Addresses of elements with a reference problem: never suggested; a decision may name
        # the address the element was meant to have, so the pattern of it is kept.
        self.doubtful: set[str] = set()
        # Elements whose sub-addresses (`<id>.tools.<target>`) are in doubt.
        self.doubtful_owners: set[str] = set(self.invalid)
        # The ends of id-less flows with a bad end (None): their `from->to` address is in doubt.
        self.doubtful_flows: set[tuple[str | None, str | None]] = set()
        self.problems: list[Problem] = []
        self.did_you_mean = Suggester()
        self.pools: dict[frozenset[str], set[str]] = {}
        self.by_kind: dict[str, set[str]] = {}
        for cid, component in model.components.items():
            self.by_kind.setdefault(component.kind, set()).add(cid)

    def add(self, loc: tuple[Any, ...], message: str, hint: str = "") -> None:
        line, column = self.locate(loc)
        self.problems.append(Problem(self.path, line, column, message, hint))

    def ref(
        self,
        loc: tuple[Any, ...],
        what: str,
        value: str,
        pool: Collection[str],
        owner: str,
        hint: str = "",
        section: str = "",
    ) -> bool:
        if value in pool:
            return True
        if value in self.invalid or section in self.broken:
            return False
        self.add(
            loc,
            f"unknown {what} `{value}` in {owner}",
            self.did_you_mean(value, pool) or hint or f"declare `{value}` first",
        )
        return False

    def check(
        self, known_controls: frozenset[str] | None, known_threats: ThreatNamesSource | None
    ) -> list[Problem]:
        m = self.model
        self.unique_ids()
        for bid, boundary in m.boundaries.items():
            if boundary.parent is not None:
                self.ref(
                    ("boundaries", bid, "parent"),
                    "boundary",
                    boundary.parent,
                    m.boundaries,
                    f"boundary `{bid}`",
                    section="boundaries",
                )
        self.boundary_cycles()
        for cid, component in m.components.items():
            self.component(cid, component)
        self.flows()
        if m.decisions:
            self.decisions(known_threats)
        self.covers()
        if known_controls is not None:
            self.controls(known_controls)
        return self.problems

    def unique_ids(self) -> None:
        m = self.model
        seen: dict[str, str] = {}
        groups: list[tuple[str, Iterable[tuple[str, tuple[Any, ...]]]]] = [
            ("boundary", ((b, ("boundaries", b)) for b in m.boundaries)),
            ("data asset", ((d, ("data", d)) for d in m.data)),
            ("component", ((c, ("components", c)) for c in m.components)),
            ("flow", ((f.id, ("flows", i, "id")) for i, f in enumerate(m.flows) if f.id)),
        ]
        for noun, items in groups:
            for ident, loc in items:
                if ident in seen:
                    self.add(
                        loc,
                        f"id `{ident}` of this {noun} is already used by a {seen[ident]}",
                        "ids are unique across the whole model: rename one",
                    )
                else:
                    seen[ident] = noun

    def boundary_cycles(self) -> None:
        m = self.model
        # Each boundary is walked once: a walk stops at a boundary an earlier walk settled.
        settled: set[str] = set()
        for start in m.boundaries:
            chain: dict[str, int] = {}
            current: str | None = start
            while current is not None and current in m.boundaries and current not in settled:
                if current in chain:
                    cycle = list(chain)[chain[current] :]
                    self.add(
                        ("boundaries", current, "parent"),
                        "boundaries nest in a cycle: " + " -> ".join(cycle + [current]),
                        "a boundary cannot contain itself; remove one `parent`",
                    )
                    break
                chain[current] = len(chain)
                current = m.boundaries[current].parent
            settled.update(chain)

    def component(self, cid: str, c: ComponentBase) -> None:
        m = self.model
        owner = f"component `{cid}`"
        self.ref(
            ("components", cid, "boundary"),
            "boundary",
            c.boundary,
            m.boundaries,
            owner,
            section="boundaries",
        )
        if isinstance(c, (Store, Memory)):
            for i, d in enumerate(c.stores):
                self.data_ref(("components", cid, "stores", i), d, owner)
        if isinstance(c, User):
            for i, d in enumerate(c.entitled_to):
                self.data_ref(("components", cid, "entitled_to", i), d, owner)
        if isinstance(c, Dataset):
            for i, d in enumerate(c.contains):
                self.data_ref(("components", cid, "contains", i), d, owner)
        if isinstance(c, LLM):
            for i, d in enumerate(c.trained_on):
                self.kind_ref(
                    ("components", cid, "trained_on", i), d, set(kinds_of(Dataset)), owner
                )
            if c.artifact is not None:
                self.kind_ref(
                    ("components", cid, "artifact"), c.artifact, set(kinds_of(ModelArtifact)), owner
                )
        if isinstance(c, Agent):
            self.kind_ref(("components", cid, "model"), c.model, set(kinds_of(LLM)), owner)
            for target in c.tools:
                loc = ("components", cid, "tools", target)
                where = f"the tools of agent `{cid}`"
                if not self.ref(
                    loc, "component", target, m.components, where, section="components"
                ):
                    self.doubtful.add(permission_address(cid, target))
                    self.doubtful_owners.add(cid)
                    continue
                kind = m.components[target].kind
                if has(kind, Trait.no_permission):
                    self.add(
                        loc,
                        f"agent `{cid}` cannot hold a permission on {kind} `{target}`",
                        "permissions go to tools, MCP servers, stores, services, agents and "
                        "models; draw a flow for users, UIs and outside content instead",
                    )
                elif target == cid:
                    self.add(loc, f"agent `{cid}` holds a permission on itself", "remove it")

    def data_ref(self, loc: tuple[Any, ...], value: str, owner: str) -> bool:
        return self.ref(loc, "data asset", value, self.model.data, owner, section="data")

    def kind_ref(self, loc: tuple[Any, ...], value: str, kinds: set[str], owner: str) -> None:
        m = self.model
        if value in self.invalid:
            return
        key = frozenset(kinds)
        if key not in self.pools:
            self.pools[key] = set().union(*(self.by_kind.get(kind, set()) for kind in kinds))
        pool = self.pools[key]
        noun = " or ".join(sorted(kinds))
        if pool:
            listed = sorted(pool)
            names = ", ".join(f"`{c}`" for c in listed[:_LISTED])
            more = f" and {len(listed) - _LISTED} more" if len(listed) > _LISTED else ""
            hint = f"name a {noun} component of this model: {names}{more}"
        else:
            hint = f"this model has no {noun} component: declare one"
        close = self.did_you_mean(value, pool)
        if close:
            hint = f"{close} ({hint})"
        if value in m.components and value not in pool:
            self.add(
                loc, f"`{value}` in {owner} is a {m.components[value].kind}, not a {noun}", hint
            )
        elif value not in m.components:
            self.ref(loc, noun, value, pool, owner, hint, section="components")

    def flows(self) -> None:
        m = self.model
        counts = Counter(f.address for f in m.flows)
        for i, flow in enumerate(m.flows):
            owner = f"flow {i + 1} (`{flow.address}`)"
            ends = [
                self.ref(
                    ("flows", i, key), "component", end, m.components, owner, section="components"
                )
                for key, end in (("from", flow.from_), ("to", flow.to))
            ]
            if not all(ends) and flow.id is None:
                self.doubtful.add(flow.address)
                self.doubtful_flows.add(
                    (flow.from_ if ends[0] else None, flow.to if ends[1] else None)
                )
            for j, d in enumerate(flow.data):
                self.data_ref(("flows", i, "data", j), d, owner)
            if counts[flow.address] > 1:
                if flow.id is None:
                    self.add(
                        ("flows", i),
                        f"{owner} shares its address with another flow",
                        "give each flow between the same components an `id`",
                    )
                else:
                    self.add(("flows", i, "id"), f"flow id `{flow.id}` is used twice", "rename one")

    def decisions(self, known_threats: ThreatNamesSource | None) -> None:
        m = self.model
        addresses = set(model_addresses(m)) - self.doubtful
        names = known_threats() if known_threats is not None else None
        hints: dict[str, str] = {}
        for index, decision in enumerate(m.decisions):
            if not self.unsure(decision.target):
                self.ref(
                    ("decisions", index, "target"),
                    "target",
                    decision.target,
                    addresses,
                    f"decision {index + 1}",
                    "a target is a component, boundary, data, flow or permission address",
                )
            if names is not None and decision.threat not in names.all:
                word = decision.threat
                if word not in hints:
                    hints[word] = names.suggest(word, close=len(hints) < _SUGGESTED)
                self.add(
                    ("decisions", index, "threat"),
                    f"unknown threat `{word}` in decision {index + 1}",
                    hints[word],
                )

    def unsure(self, target: str) -> bool:
        """True when a target may name an element whose own problem is already reported."""
        if self.broken.intersection(TARGET_SECTIONS):
            return True
        if target in self.invalid or target in self.doubtful:
            return True
        if owner(target) != target and owner(target) in self.doubtful_owners:
            return True
        flow = flow_ends(target)
        if flow is None:
            return False
        source, sink = flow
        ends = ((source, sink), (None, sink), (source, None), (None, None))
        return not self.doubtful_flows.isdisjoint(ends)

    def control_places(self) -> list[tuple[tuple[Any, ...], Controls]]:
        """Every place a control can be declared, with its position in the file."""
        # Read off the elements, not the model index: the index cannot be built from a model
        # with dangling references (this check finds them), keeps one flow per address (this
        # check reports every one) and has no file positions.
        m = self.model
        places: list[tuple[tuple[Any, ...], Controls]] = [(("system",), m.system.controls)]
        places += [(("boundaries", bid), b.controls) for bid, b in m.boundaries.items()]
        places += [(("components", cid), c.controls) for cid, c in m.components.items()]
        places += [(("flows", i), f.controls) for i, f in enumerate(m.flows)]
        places += [(("components", a, "tools", t), p.controls) for a, t, p in m.permissions()]
        return places

    def covers(self) -> None:
        """Each `covers` entry names a component, a boundary or a component kind."""
        m = self.model
        pool: set[str] | None = None
        for loc, controls in self.control_places():
            for j, control in enumerate(controls):
                for k, word in enumerate(control.covers or ()):
                    if pool is None:
                        pool = {*m.components, *m.boundaries, *KIND_CLASSES}
                    if word in pool or word in self.invalid or self.broken:
                        continue
                    self.add(
                        (*loc, "controls", j, "covers", k),
                        f"unknown `{word}` in what control `{control.id}` covers",
                        self.did_you_mean(word, pool)
                        or "name a component id, a boundary id or a component kind",
                    )

    def controls(self, known: frozenset[str]) -> None:
        for loc, controls in self.control_places():
            for j, control in enumerate(controls):
                if control.id not in known:
                    self.add(
                        (*loc, "controls", j),
                        f"unknown control `{control.id}`",
                        self.did_you_mean(control.id, known)
                        or "run `tmcode controls` for the known ids, or add it in a custom catalog",
                    )


def check_references(
    model: Model,
    path: str,
    raw: Any = None,
    known_controls: frozenset[str] | None = None,
    known_threats: ThreatNamesSource | None = None,
    *,
    failed: Unvalidated = Unvalidated(),
    locate: Locate | None = None,
) -> list[Problem]:
    """Return a problem for every dangling, mistyped, duplicate or cyclic reference."""
    where = locate or (lambda loc: position(raw, loc))
    return _Checker(model, path, where, failed).check(known_controls, known_threats)
