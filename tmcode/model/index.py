"""The model index: every fact about a model worked out once, frozen, read by every stage."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple, Union

from tmcode.model.address import SYSTEM_ADDRESS, permission_address
from tmcode.model.elements import (
    LLM,
    Agent,
    ComponentBase,
    ControlRef,
    Dataset,
    Flow,
    Memory,
    Model,
    Permission,
    Store,
    System,
    User,
)
from tmcode.model.enums import Classification, Trust
from tmcode.model.kinds import Trait, has

__all__ = [
    "EMPTY_CONTROLS",
    "Credit",
    "DeclaredControls",
    "Element",
    "ModelIndex",
    "PermissionEntry",
]

Element = Union[ComponentBase, Flow, Permission, System]


class PermissionEntry(NamedTuple):
    """One permission with its address and the agent and target it joins."""

    address: str
    agent: str
    target: str
    permission: Permission


@dataclass(frozen=True)
class DeclaredControls:
    """The controls declared on one address: every entry, and the ids implemented or planned."""

    entries: tuple[ControlRef, ...]
    implemented: frozenset[str]
    planned: frozenset[str]

    @classmethod
    def of(cls, entries: Iterable[ControlRef]) -> DeclaredControls:
        """Sort declared controls into implemented and planned ids."""
        kept = tuple(entries)
        return cls(
            kept,
            frozenset(c.id for c in kept if c.implemented),
            frozenset(c.id for c in kept if not c.implemented),
        )


EMPTY_CONTROLS = DeclaredControls((), frozenset(), frozenset())


class Credit(NamedTuple):
    """A declared control that counts at an address, and the address it is written at."""

    control: ControlRef
    declared_on: str  # the element itself, a boundary it sits in, or the system


_NONE: tuple[str, ...] = ()


def _frozen(groups: Mapping[str, list[str]]) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({key: tuple(values) for key, values in groups.items()})


def _held(component: ComponentBase) -> tuple[str, ...]:
    """The data assets a component stores or contains, in declared order."""
    if isinstance(component, (Store, Memory)):
        return tuple(component.stores)
    if isinstance(component, Dataset):
        return tuple(component.contains)
    return _NONE


@dataclass(frozen=True)
class ModelIndex:
    """Facts about one model, each computed once: addresses, controls, data, adjacency, trust."""

    model: Model
    flows: Mapping[str, Flow]
    permissions: Mapping[str, PermissionEntry]
    permissions_of_agent: Mapping[str, tuple[str, ...]]
    permissions_to_target: Mapping[str, tuple[str, ...]]
    components_by_kind: Mapping[str, tuple[str, ...]]
    # boundary -> the components declared directly in it, in model order
    components_in: Mapping[str, tuple[str, ...]]
    flows_by_kind: Mapping[str, tuple[str, ...]]
    permissions_by_target_kind: Mapping[str, tuple[str, ...]]
    agents_of_llm: Mapping[str, tuple[str, ...]]
    trained_by: Mapping[str, tuple[str, ...]]
    controls: Mapping[str, DeclaredControls]  # as written, boundaries included
    # What counts at each address (docs/credit.md): a component's own controls, then those of
    # each boundary it sits in, innermost first; any other address's own. Only non-empty ones.
    credited: Mapping[str, tuple[Credit, ...]]
    # What a `covers:` entry may name that a component matches: its id, kind, boundary chain.
    cover_keys: Mapping[str, frozenset[str]]
    data: Mapping[str, tuple[str, ...]]
    flows_out: Mapping[str, tuple[str, ...]]
    flows_in: Mapping[str, tuple[str, ...]]
    trust: Mapping[str, Trust]
    has_ai: bool  # some component has an AI kind; without one no catalog threat applies
    # component -> the innermost boundary declared `ephemeral: true` it sits in
    ephemeral: Mapping[str, str]
    # user component -> the data assets it declares it is entitled to see
    entitled_to: Mapping[str, frozenset[str]]
    # --- consumers (reach, BOM, SPDX, OTM, assurance, drift) --------------------------------
    loaded_by: Mapping[str, tuple[str, ...]]  # model artifact -> the LLMs that load it
    # --- end consumers ----------------------------------------------------------------------

    @classmethod
    def build(cls, model: Model) -> ModelIndex:
        """Index a model in one pass over its components, flows and permissions."""
        permissions: dict[str, PermissionEntry] = {}
        of_agent: dict[str, list[str]] = {}
        to_target: dict[str, list[str]] = {}
        by_target_kind: dict[str, list[str]] = {}
        for agent_id, target_id, permission in model.permissions():
            address = permission_address(agent_id, target_id)
            permissions[address] = PermissionEntry(address, agent_id, target_id, permission)
            of_agent.setdefault(agent_id, []).append(address)
            to_target.setdefault(target_id, []).append(address)
            by_target_kind.setdefault(model.components[target_id].kind, []).append(address)

        by_kind: dict[str, list[str]] = {}
        components_in: dict[str, list[str]] = {}
        agents_of_llm: dict[str, list[str]] = {}
        trained_by: dict[str, list[str]] = {}
        controls: dict[str, DeclaredControls] = {}
        data: dict[str, tuple[str, ...]] = {}
        trust: dict[str, Trust] = {}
        has_ai = False
        ephemeral: dict[str, str] = {}
        entitled_to: dict[str, frozenset[str]] = {}
        throwaway: dict[str, str | None] = {}  # boundary -> innermost ephemeral boundary
        for bid in model.boundaries:
            throwaway[bid] = next(
                (b for b in model.boundary_chain(bid) if model.boundaries[b].ephemeral), None
            )
        if model.system.controls:
            controls[SYSTEM_ADDRESS] = DeclaredControls.of(model.system.controls)
        for bid, boundary in model.boundaries.items():
            if boundary.controls:
                controls[bid] = DeclaredControls.of(boundary.controls)
        credited: dict[str, tuple[Credit, ...]] = {}
        cover_keys: dict[str, frozenset[str]] = {}
        for cid, component in model.components.items():
            chain = model.boundary_chain(component.boundary)
            cover_keys[cid] = frozenset((cid, component.kind, *chain))
            counted = [Credit(c, cid) for c in component.controls]
            counted += [Credit(c, b) for b in chain for c in model.boundaries[b].controls]
            if counted:
                credited[cid] = tuple(counted)
        for cid, component in model.components.items():
            by_kind.setdefault(component.kind, []).append(cid)
            components_in.setdefault(component.boundary, []).append(cid)
            if isinstance(component, Agent):
                agents_of_llm.setdefault(component.model, []).append(cid)
            elif isinstance(component, LLM):
                for dataset in component.trained_on:
                    trained_by.setdefault(dataset, []).append(cid)
            if component.controls:
                controls[cid] = DeclaredControls.of(component.controls)
            held = _held(component)
            if held:
                data[cid] = held
            trust[cid] = model.effective_trust(cid)
            box = throwaway.get(component.boundary)
            if box is not None:
                ephemeral[cid] = box
            if isinstance(component, User) and component.entitled_to:
                entitled_to[cid] = frozenset(component.entitled_to)
            has_ai = has_ai or has(component.kind, Trait.ai)

        flows: dict[str, Flow] = {}
        flows_by_kind: dict[str, list[str]] = {}
        flows_out: dict[str, list[str]] = {}
        flows_in: dict[str, list[str]] = {}
        for flow in model.flows:
            address = flow.address
            flows[address] = flow
            flows_by_kind.setdefault(flow.kind.value, []).append(address)
            flows_out.setdefault(flow.from_, []).append(address)
            flows_in.setdefault(flow.to, []).append(address)
            if flow.controls:
                controls[address] = DeclaredControls.of(flow.controls)
            if flow.data:
                data[address] = tuple(flow.data)
        for address, entry in permissions.items():
            if entry.permission.controls:
                controls[address] = DeclaredControls.of(entry.permission.controls)
        for address, declared in controls.items():
            if address not in credited and address not in model.boundaries:
                credited[address] = tuple(Credit(c, address) for c in declared.entries)

        # --- consumers ------------------------------------------------------------------------
        loaded_by: dict[str, list[str]] = {}
        for cid, component in model.components.items():
            if isinstance(component, LLM) and component.artifact is not None:
                loaded_by.setdefault(component.artifact, []).append(cid)
        # --- end consumers --------------------------------------------------------------------

        return cls(
            model=model,
            flows=MappingProxyType(flows),
            permissions=MappingProxyType(permissions),
            permissions_of_agent=_frozen(of_agent),
            permissions_to_target=_frozen(to_target),
            components_by_kind=_frozen(by_kind),
            components_in=_frozen(components_in),
            flows_by_kind=_frozen(flows_by_kind),
            permissions_by_target_kind=_frozen(by_target_kind),
            agents_of_llm=_frozen(agents_of_llm),
            trained_by=_frozen(trained_by),
            controls=MappingProxyType(controls),
            credited=MappingProxyType(credited),
            cover_keys=MappingProxyType(cover_keys),
            data=MappingProxyType(data),
            flows_out=_frozen(flows_out),
            flows_in=_frozen(flows_in),
            trust=MappingProxyType(trust),
            has_ai=has_ai,
            ephemeral=MappingProxyType(ephemeral),
            entitled_to=MappingProxyType(entitled_to),
            loaded_by=_frozen(loaded_by),
        )

    def element(self, address: str) -> Element | None:
        """The component, flow, permission or system at ``address``, or None."""
        if address == SYSTEM_ADDRESS:
            return self.model.system
        component = self.model.components.get(address)
        if component is not None:
            return component
        flow = self.flows.get(address)
        if flow is not None:
            return flow
        entry = self.permissions.get(address)
        return entry.permission if entry is not None else None

    def controls_on(self, address: str) -> DeclaredControls:
        """The controls declared on ``address`` (none for an address that declares none)."""
        return self.controls.get(address, EMPTY_CONTROLS)

    def all_controls(self) -> Iterable[tuple[str, DeclaredControls]]:
        """Every address that declares controls, system first, then in model order."""
        return self.controls.items()

    def credited_at(self, address: str) -> tuple[Credit, ...]:
        """The controls that count at ``address``, with where each is written (docs/credit.md)."""
        return self.credited.get(address, ())

    def covers(self, control: ControlRef, subjects: Iterable[str]) -> bool:
        """True when a control reaches a finding about ``subjects`` (its ``covers``, if any)."""
        if not control.covers:
            return True
        wanted = set(control.covers)
        return any(not wanted.isdisjoint(self.cover_keys.get(s, ())) for s in subjects)

    def data_of(self, address: str) -> tuple[str, ...]:
        """The data asset ids a component stores or contains, or a flow carries."""
        return self.data.get(address, _NONE)

    def is_sensitive(
        self, data_ids: Iterable[str], at_least: Classification | None, tags: Iterable[str]
    ) -> bool:
        """True when any of the data assets reaches ``at_least`` or carries one of ``tags``."""
        wanted = set(tags)
        for did in data_ids:
            asset = self.model.data.get(did)
            if asset is None:
                continue
            if (at_least is not None and asset.classification >= at_least) or wanted.intersection(
                asset.tags
            ):
                return True
        return False

    # --- consumers: flows as elements, and every declaration in model order --------------------

    def flows_into(self, cid: str) -> tuple[Flow, ...]:
        """The flows that end at ``cid``, in model order."""
        return tuple(self.flows[a] for a in self.flows_in.get(cid, _NONE))

    def flows_from(self, cid: str) -> tuple[Flow, ...]:
        """The flows that start at ``cid``, in model order."""
        return tuple(self.flows[a] for a in self.flows_out.get(cid, _NONE))

    def declared_controls(self) -> Iterator[tuple[str, ControlRef]]:
        """Each declared control with its address, system and boundaries first, in model order."""
        addresses = (
            SYSTEM_ADDRESS,
            *self.model.boundaries,
            *self.model.components,
            *self.permissions,
            *self.flows,
        )
        for address in addresses:
            for control in self.controls_on(address).entries:
                yield address, control

    # --- end consumers ----------------------------------------------------------------------------
