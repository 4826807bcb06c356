"""Blast radius and ownership: what a hijacked component can reach, and who owns and stops it.

``blast_radius(index)`` answers, for every component that can act (agents, models, MCP servers,
tools), what an attacker who controls it can read, change, delete, execute, spend and send, and
to whom: directly through its own permissions and flows, and transitively through the agents it
messages, spawns or drives, the tools that answer it and the stores others read from. Each path
carries the controls declared on it that cut it and the ones that would (``CUTS``). The search
is bounded (``Limits``): each component costs at most a fixed number of steps, so a whole model
costs time linear in its size. ``ownership`` says who owns each component, who can change it and
what stops it, with the gaps.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from tmcode._gc import gc_paused
from tmcode.model.address import SYSTEM_ADDRESS
from tmcode.model.elements import Model
from tmcode.model.enums import Classification
from tmcode.model.index import ModelIndex
from tmcode.model.load import LoadedModel
from tmcode.reach.ownership import owned, written, ownership
from tmcode.reach.rules import CUTS, sort_key
from tmcode.reach.search import ControlLookup, Index, Search, actors
from tmcode.reach.values import (
    VERBS,
    BlastRadius,
    ComponentReach,
    Limits,
    Ownership,
    Path,
    Recipient,
    UnknownComponent,
    Verb,
)

__all__ = [
    "CUTS",
    "BlastRadius",
    "ComponentReach",
    "Limits",
    "Ownership",
    "Path",
    "Recipient",
    "VERBS",
    "UnknownComponent",
    "Verb",
    "actors",
    "blast_radius",
    "blast_radius_dict",
    "ownership",
    "reach_of",
    "reach_summary",
]


def _matrix(paths: list[Path]) -> dict[str, dict[str, dict[str, Any]]]:
    """Target -> verb -> the harm of its first path in sort order and whether that is cut."""
    cells: dict[str, dict[str, dict[str, Any]]] = {}
    for path in sorted(paths, key=sort_key):
        row = cells.setdefault(path.target, {})
        row.setdefault(path.verb.value, {"harm": path.harm.value, "cut": path.cut})
    order = {verb.value: rank for rank, verb in enumerate(VERBS)}
    return {
        target: dict(sorted(row.items(), key=lambda kv: order[kv[0]]))
        for target, row in cells.items()
    }


def _data_summary(model: Model, paths: list[Path]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in paths:
        for did in path.data:
            asset = model.data.get(did)
            if asset is None:
                continue
            entry = found.setdefault(
                did,
                {
                    "classification": asset.classification.value,
                    "tags": list(asset.tags),
                    "open": [],
                    "cut": [],
                },
            )
            bucket = entry["cut" if path.cut else "open"]
            if path.verb.value not in bucket:
                bucket.append(path.verb.value)
    order = {v.value: i for i, v in enumerate(VERBS)}
    for entry in found.values():
        entry["open"].sort(key=order.__getitem__)
        entry["cut"] = sorted(
            (v for v in entry["cut"] if v not in entry["open"]), key=order.__getitem__
        )
    return dict(
        sorted(
            found.items(),
            key=lambda kv: (-Classification(kv[1]["classification"]).rank, kv[0]),
        )
    )


def _facts(source: ModelIndex | LoadedModel) -> ModelIndex:
    return source.index if isinstance(source, LoadedModel) else source


def reach_of(
    source: ModelIndex | LoadedModel,
    component: str,
    *,
    limits: Limits | None = None,
    _index: Index | None = None,
    _lookup: ControlLookup | None = None,
    _writes: frozenset[str] | None = None,
) -> ComponentReach:
    """The blast radius of one component; ``UnknownComponent`` names the candidates."""
    facts = _facts(source)
    model = facts.model
    if component not in model.components:
        raise UnknownComponent(component, actors(model) or list(model.components))
    limits = limits or Limits()
    index = _index or Index.build(facts)
    lookup = _lookup or ControlLookup(facts)
    found, taken, truncated = Search(index, lookup, limits).run(component)
    found.sort(key=sort_key)
    open_paths = [p for p in found if not p.cut]
    listed = found[: limits.paths]
    return ComponentReach(
        component=component,
        kind=model.components[component].kind,
        takes_over=taken,
        matrix=_matrix(listed),
        data=_data_summary(model, found),
        paths=listed,
        total=len(found),
        open=len(open_paths),
        worst=open_paths[0].harm if open_paths else None,
        truncated=truncated or len(found) > limits.paths,
        ownership=ownership(facts, component, _writes if _writes is not None else written(facts)),
    )


def blast_radius(
    source: ModelIndex | LoadedModel,
    components: list[str] | None = None,
    *,
    file: str | None = None,
    limits: Limits | None = None,
) -> BlastRadius:
    """The blast radius of the named components (default: every actor) and everyone's ownership."""
    facts = _facts(source)
    model = facts.model
    index = Index.build(facts)
    lookup = ControlLookup(facts)
    writes = written(facts)
    chosen = actors(model) if components is None else components
    with gc_paused():
        reaches = [
            reach_of(facts, cid, limits=limits, _index=index, _lookup=lookup, _writes=writes)
            for cid in chosen
        ]
        owners = [ownership(facts, cid, writes) for cid in owned(facts)]
    gaps = [f"{o.component}: {gap}" for o in owners for gap in o.gaps]
    # One plan covers the system unless a component names its own: one gap, not one each.
    if owners and not any(o.incident_response for o in owners):
        gaps.insert(
            0,
            f"{SYSTEM_ADDRESS}: no incident response plan: declare "
            "`incident_response_plan` on the system (with its evidence)",
        )
    return BlastRadius(
        system=model.system.id,
        name=model.system.name,
        file=file,
        components=reaches,
        ownership=owners,
        gaps=gaps,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    return value


def blast_radius_dict(radius: BlastRadius) -> dict[str, Any]:
    """The blast radius as plain JSON-ready data (the shape of ``tests/schemas/reach.schema.json``)."""
    return _plain(radius)  # type: ignore[no-any-return]


def reach_summary(radius: BlastRadius) -> dict[str, Any]:
    """A short summary per component (worst open harm, counts) and the gaps, e.g. for SARIF."""
    return {
        "system": radius.system,
        "name": radius.name,
        "components": [
            {
                "component": c.component,
                "kind": c.kind,
                "worst": c.worst.value if c.worst else None,
                "open": c.open,
                "total": c.total,
            }
            for c in radius.components
        ],
        "gaps": radius.gaps,
    }
