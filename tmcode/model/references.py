"""Cross-reference checks: every id a model names must exist and be of the right kind."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable
from typing import Any

from tmcode.errors import Problem
from tmcode.model.diagnose import Suggester
from tmcode.model.elements import (
    LLM,
    NO_PERMISSION_KINDS,
    Agent,
    ComponentBase,
    Controls,
    Dataset,
    Memory,
    Model,
    Store,
    permission_address,
)
from tmcode.model.yaml_reader import position

SYSTEM_ADDRESS = "system"

Locate = Callable[[tuple[Any, ...]], tuple[int | None, int | None]]


def model_addresses(model: Model) -> list[str]:
    """Return every address a finding or decision can target, in model order."""
    addresses = [SYSTEM_ADDRESS, *model.boundaries, *model.data, *model.components]
    addresses += [flow.address for flow in model.flows]
    addresses += [permission_address(a, t) for a, t, _ in model.permissions()]
    return addresses


class _Checker:
    def __init__(
        self, model: Model, path: str, locate: Locate, invalid: frozenset[str] = frozenset()
    ) -> None:
        self.model = model
        self.path = path
        self.locate = locate
        # Ids written in the file whose element failed validation: they exist, so references to
        # them are not reported as unknown (their own problem already is).
        self.invalid = invalid
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
    ) -> bool:
        if value in pool:
            return True
        if value in self.invalid:
            return False
        self.add(
            loc,
            f"unknown {what} `{value}` in {owner}",
            self.did_you_mean(value, pool) or hint or f"declare `{value}` first",
        )
        return False

    def check(self, known_controls: frozenset[str] | None) -> list[Problem]:
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
                )
        self.boundary_cycles()
        for cid, component in m.components.items():
            self.component(cid, component)
        self.flows()
        addresses = set(model_addresses(m)) if m.decisions else set()
        for index, decision in enumerate(m.decisions):
            self.ref(
                ("decisions", index, "target"),
                "target",
                decision.target,
                addresses,
                f"decision {index + 1}",
                "a target is a component, boundary, data, flow or permission address",
            )
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
        self.ref(("components", cid, "boundary"), "boundary", c.boundary, m.boundaries, owner)
        if isinstance(c, (Store, Memory)):
            for i, d in enumerate(c.stores):
                self.ref(("components", cid, "stores", i), "data asset", d, m.data, owner)
        if isinstance(c, Dataset):
            for i, d in enumerate(c.contains):
                self.ref(("components", cid, "contains", i), "data asset", d, m.data, owner)
        if isinstance(c, LLM):
            for i, d in enumerate(c.trained_on):
                self.kind_ref(("components", cid, "trained_on", i), d, {"dataset"}, owner)
            if c.artifact is not None:
                self.kind_ref(
                    ("components", cid, "artifact"), c.artifact, {"model_artifact"}, owner
                )
        if isinstance(c, Agent):
            self.kind_ref(("components", cid, "model"), c.model, {"llm"}, owner)
            for target in c.tools:
                loc = ("components", cid, "tools", target)
                where = f"the tools of agent `{cid}`"
                if not self.ref(loc, "component", target, m.components, where):
                    continue
                kind = m.components[target].kind
                if kind in NO_PERMISSION_KINDS:
                    self.add(
                        loc,
                        f"agent `{cid}` cannot hold a permission on {kind} `{target}`",
                        "permissions go to tools, MCP servers, stores, services, agents and "
                        "models; draw a flow for users, UIs and outside content instead",
                    )
                elif target == cid:
                    self.add(loc, f"agent `{cid}` holds a permission on itself", "remove it")

    def kind_ref(self, loc: tuple[Any, ...], value: str, kinds: set[str], owner: str) -> None:
        m = self.model
        if value in self.invalid:
            return
        key = frozenset(kinds)
        if key not in self.pools:
            self.pools[key] = set().union(*(self.by_kind.get(kind, set()) for kind in kinds))
        pool = self.pools[key]
        noun = " or ".join(sorted(kinds))
        if value in m.components and value not in pool:
            self.add(
                loc,
                f"`{value}` in {owner} is a {m.components[value].kind}, not a {noun}",
                f"name a {noun} component"
                + (f" ({self.did_you_mean(value, pool)})" if pool else ""),
            )
        elif value not in m.components:
            self.ref(loc, noun, value, pool, owner)

    def flows(self) -> None:
        m = self.model
        counts = Counter(f.address for f in m.flows)
        for i, flow in enumerate(m.flows):
            owner = f"flow {i + 1} (`{flow.address}`)"
            self.ref(("flows", i, "from"), "component", flow.from_, m.components, owner)
            self.ref(("flows", i, "to"), "component", flow.to, m.components, owner)
            for j, d in enumerate(flow.data):
                self.ref(("flows", i, "data", j), "data asset", d, m.data, owner)
            if counts[flow.address] > 1:
                if flow.id is None:
                    self.add(
                        ("flows", i),
                        f"{owner} shares its address with another flow",
                        "give each flow between the same components an `id`",
                    )
                else:
                    self.add(("flows", i, "id"), f"flow id `{flow.id}` is used twice", "rename one")

    def controls(self, known: frozenset[str]) -> None:
        m = self.model
        places: list[tuple[tuple[Any, ...], Controls]] = [(("system",), m.system.controls)]
        places += [(("components", cid), c.controls) for cid, c in m.components.items()]
        places += [(("flows", i), f.controls) for i, f in enumerate(m.flows)]
        places += [(("components", a, "tools", t), p.controls) for a, t, p in m.permissions()]
        for loc, controls in places:
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
    *,
    invalid: frozenset[str] = frozenset(),
    locate: Locate | None = None,
) -> list[Problem]:
    """Return a problem for every dangling, mistyped, duplicate or cyclic reference."""
    where = locate or (lambda loc: position(raw, loc))
    return _Checker(model, path, where, invalid).check(known_controls)
