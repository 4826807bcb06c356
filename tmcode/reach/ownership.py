"""Who owns each component, who can change it, what stops it, and the gaps."""

from __future__ import annotations

from tmcode.graph import WRITE_SCOPES
from tmcode.model.address import SYSTEM_ADDRESS
from tmcode.model.elements import Agent
from tmcode.model.enums import Source
from tmcode.model.index import ModelIndex
from tmcode.model.kinds import Trait, has
from tmcode.reach.search import is_llm, outside_service
from tmcode.reach.values import Ownership


_CHANGED_BY = {
    Source.first_party: "internal team",
    Source.vendor: "vendor",
    Source.open_source: "open-source maintainers",
    Source.community: "anyone who publishes it",
    Source.public_hub: "anyone who uploads to the hub",
}
_STOP = ("kill_switch", "rollback", "incident_response_plan")


def _changed_by(facts: ModelIndex, cid: str) -> tuple[str, bool]:
    """Who can change the component, and whether that is someone outside the organisation."""
    component = facts.model.components[cid]
    source = component.source
    if source is None:
        hosting = getattr(component, "hosting", None)
        if hosting is not None and hosting.value == "vendor_api":
            return "vendor", True
        if has(component.kind, Trait.outsider) or outside_service(facts, cid):
            return "another organisation", True
    source = source or Source.first_party
    return _CHANGED_BY[source], source is not Source.first_party


def ownership(facts: ModelIndex, cid: str, writes: frozenset[str] = frozenset()) -> Ownership:
    """Owner, who can change it, what stops it and the gaps, for one component."""
    model = facts.model
    component = model.components[cid]
    owner, owner_from = (
        (component.owner, "component")
        if component.owner
        else (model.system.owner, "system")
        if model.system.owner
        else (None, None)
    )
    changed_by, outside = _changed_by(facts, cid)
    pinned: bool | None = None
    if outside and not has(component.kind, Trait.outsider):
        pinned = (
            bool(component.version)
            or "version_pinning" in facts.controls_on(cid).implemented
            or bool(is_llm(component.kind) and getattr(component, "model", None))
        )
    where: dict[str, list[str]] = {c: [] for c in _STOP}
    planned: list[str] = []
    places = (cid, SYSTEM_ADDRESS, *facts.permissions_to_target.get(cid, ()))
    for address in places:
        for ref in facts.controls_on(address).entries:
            if ref.id in where:
                if ref.implemented:
                    where[ref.id].append(address)
                elif ref.id not in planned:
                    planned.append(ref.id)
    acts = isinstance(component, Agent) or has(component.kind, Trait.callable_tool)
    # A way back: for what agents write, for models and agents (a known-good version to
    # redeploy) and for what someone else changes (a known-good release to return to).
    changes = (
        cid in writes or has(component.kind, Trait.model) or isinstance(component, Agent) or outside
    )
    gaps: list[str] = []
    if owner is None:
        gaps.append("no owner: set `owner` on the component or the system")
    if acts and not where["kill_switch"]:
        gaps.append("no kill switch: declare `kill_switch` on it or on the system")
    if changes and not where["rollback"]:
        gaps.append("no rollback: declare `rollback` on it or on the system")
    if pinned is False:
        field_name = "`model` (the exact model version)" if is_llm(component.kind) else "`version`"
        gaps.append(f"not pinned: {changed_by} can change it under you; set {field_name}")
    return Ownership(
        component=cid,
        kind=component.kind,
        owner=owner,
        owner_from=owner_from,
        changed_by=changed_by,
        pinned=pinned,
        kill_switch=where["kill_switch"],
        rollback=where["rollback"],
        incident_response=where["incident_response_plan"],
        planned=[p for p in planned if p not in {a for v in where.values() for a in v}],
        gaps=gaps,
    )


def owned(facts: ModelIndex) -> list[str]:
    """Components the organisation runs or depends on: everything but people and outside content."""
    return [
        cid
        for cid, c in facts.model.components.items()
        if not has(c.kind, Trait.human) and not has(c.kind, Trait.outside_content)
    ]


def written(facts: ModelIndex) -> frozenset[str]:
    """Components an agent may write or delete: they need a way back."""
    return frozenset(
        entry.target
        for entry in facts.permissions.values()
        if not WRITE_SCOPES.isdisjoint(entry.permission.scopes)  # members hash as their values
    )
