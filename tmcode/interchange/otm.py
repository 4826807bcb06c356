"""Open Threat Model (OTM 0.2.0) export and import.

Export maps boundaries to trust zones, components and flows to OTM components and dataflows,
data assets to assets, and findings to threat instances with their state and mitigations.
Everything OTM has no field for travels under each element's ``attributes.tmcode``, so a model
exported and imported back is equal to the original. Import of a foreign OTM file (one without
those attributes) maps what it can and lists the rest.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tmcode.errors import Problem
from tmcode.input_file import ANY, Shape, list_of, obj
from tmcode.interchange import ImportResult, InterchangeError, check_shape, safe_id
from tmcode.model.address import permission_ends
from tmcode.model.elements import Model
from tmcode.model.elements import KIND_CLASSES
from tmcode.model.enums import Classification, Trust
from tmcode.model.index import ModelIndex
from tmcode.render.escape import json_text
from tmcode.report import Finding, Status

OTM_VERSION = "0.2.0"
_TRUST_RATING = {Trust.untrusted: 10, Trust.partner: 40, Trust.internal: 70, Trust.privileged: 95}
_CONFIDENTIALITY = {
    Classification.public: 0,
    Classification.internal: 40,
    Classification.confidential: 70,
    Classification.restricted: 100,
}
_STATE = {
    Status.open: "exposed",
    Status.expired: "exposed",
    Status.mitigated: "mitigated",
    Status.accepted: "accepted",
    Status.false_positive: "not-applicable",
}
_LEVEL = {"low": 25, "medium": 50, "high": 75, "critical": 100}


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def _instances(findings: list[Finding], address: str) -> list[dict[str, Any]]:
    out = []
    for f in findings:
        if f.target != address:
            continue
        mitigations = [
            {"mitigation": c, "state": "implemented" if c in cs.present else "required"}
            for cs in f.controls
            for c in cs.all
        ]
        out.append({"threat": f.threat, "state": _STATE[f.status], "mitigations": mitigations})
    return out


def export_otm(model: Model, findings: list[Finding], catalog: Any) -> dict[str, Any]:
    """Return the model and its findings as an OTM 0.2.0 document."""
    data = model.model_dump(mode="json", by_alias=True, exclude_unset=True)
    model_index = ModelIndex.build(model)
    s = model.system
    # Findings on permissions are shown on the agent that holds the permission.
    by_owner: dict[str, list[Finding]] = {}
    for f in findings:
        permission = permission_ends(f.target)
        owner = permission[0] if permission else f.target
        by_owner.setdefault(owner, []).append(f)
    project = _drop_none(
        {
            "name": s.name,
            "id": s.id or re.sub(r"[^a-z0-9]+", "-", s.name.lower()).strip("-") or "system",
            "description": s.description,
            "owner": s.owner,
            "attributes": {
                "tmcode": {
                    "version": 1,
                    "system": data["system"],
                    "decisions": data.get("decisions", []),
                    "threats": _instances(findings, "system"),
                }
            },
        }
    )
    zones = []
    for bid, b in model.boundaries.items():
        zones.append(
            _drop_none(
                {
                    "id": bid,
                    "name": b.name or bid,
                    "type": b.kind or b.trust.value,
                    "description": b.description,
                    "risk": {"trustRating": _TRUST_RATING[b.trust]},
                    "parent": {"trustZone": b.parent} if b.parent else None,
                    "attributes": {"tmcode": data["boundaries"][bid]},
                }
            )
        )
    assets = []
    for did, d in model.data.items():
        assets.append(
            _drop_none(
                {
                    "id": did,
                    "name": d.name or did,
                    "description": d.description,
                    "risk": {
                        "confidentiality": _CONFIDENTIALITY[d.classification],
                        "integrity": 50,
                        "availability": 50,
                    },
                    "attributes": {"tmcode": data["data"][did]},
                }
            )
        )
    components = []
    for cid, c in model.components.items():
        stored = list(model_index.data_of(cid))
        processed = sorted({d for f in model.flows if cid in (f.from_, f.to) for d in f.data})
        components.append(
            _drop_none(
                {
                    "id": cid,
                    "name": c.name or cid,
                    "type": c.kind,
                    "description": c.description,
                    "parent": {"trustZone": c.boundary},
                    "tags": list(c.tags) or None,
                    "assets": {"processed": processed, "stored": stored}
                    if stored or processed
                    else None,
                    "threats": _instances(by_owner.get(cid, []), cid)
                    + [
                        i
                        for f in by_owner.get(cid, [])
                        if f.target != cid
                        for i in _instances([f], f.target)
                    ]
                    or None,
                    "attributes": {"tmcode": data["components"][cid]},
                }
            )
        )
    dataflows = []
    for index, flow in enumerate(model.flows):
        dataflows.append(
            _drop_none(
                {
                    "id": flow.address,
                    "name": f"{flow.kind.value}: {flow.from_} -> {flow.to}",
                    "description": flow.description,
                    "bidirectional": False,
                    "source": flow.from_,
                    "destination": flow.to,
                    "assets": list(flow.data) or None,
                    "threats": _instances(findings, flow.address) or None,
                    "attributes": {"tmcode": data["flows"][index]},
                }
            )
        )
    fired = {f.threat for f in findings}
    threats = []
    for tid in sorted(fired):
        t = catalog.threats[tid].threat
        threats.append(
            {
                "id": tid,
                "name": t.title,
                "description": t.docs.what_it_detects,
                "categories": [t.area],
                "cwes": [r.split(":", 1)[1] for r in t.references if r.startswith("cwe:")],
                "risk": {
                    "likelihood": _LEVEL[t.severity.likelihood],
                    "impact": _LEVEL[t.severity.impact],
                },
                "attributes": {"references": list(t.references)},
            }
        )
    used = sorted({c for f in findings for cs in f.controls for c in cs.all})
    mitigations = [
        {"id": c, "name": c, "description": catalog.controls[c].description, "riskReduction": 50}
        for c in used
        if c in catalog.controls
    ]
    return {
        "otmVersion": OTM_VERSION,
        "project": project,
        "representations": [],
        "assets": assets,
        "trustZones": zones,
        "components": components,
        "dataflows": dataflows,
        "threats": threats,
        "mitigations": mitigations,
    }


def otm_json(model: Model, findings: list[Finding], catalog: Any) -> str:
    """The OTM document as indented JSON text."""
    text = json.dumps(export_otm(model, findings, catalog), indent=2, ensure_ascii=False)
    return json_text(text) + "\n"


_KIND_HINTS = [
    (("llm", "language-model", "genai", "openai", "bedrock", "model"), "llm"),
    (("agent",), "agent"),
    (("mcp",), "mcp_server"),
    (("vector",), "vector_store"),
    (("database", "db", "mongo", "sql", "storage", "bucket", "store", "s3"), "datastore"),
    (("secret", "vault", "kms"), "secret_store"),
    (("log", "siem"), "log_sink"),
    (("browser", "client", "user", "actor"), "user"),
    (("internet", "external", "third-party", "saas"), "external_service"),
]


def _guess_kind(kind: str) -> str:
    lowered = kind.lower()
    for hints, guess in _KIND_HINTS:
        if any(h in lowered for h in hints):
            return guess
    return "service"


def _trust_of(rating: Any) -> str:
    value = rating if isinstance(rating, (int, float)) else 50
    if value < 25:
        return "untrusted"
    if value < 55:
        return "partner"
    if value < 90:
        return "internal"
    return "privileged"


OTM_SHAPE = obj(
    project=obj(attributes=obj()),
    trustZones=list_of(obj(nullable=False, risk=obj(), attributes=obj())),
    assets=list_of(obj(nullable=False, risk=obj(confidentiality=Shape("number", nullable=False)))),
    components=list_of(obj(nullable=False, parent=obj(), threats=list_of(ANY))),
    dataflows=list_of(obj(nullable=False, assets=list_of(ANY))),
    threats=list_of(ANY),
    mitigations=list_of(ANY),
)
# A file tmcode exported: every element carries its id and tmcode's own attributes.
_OWN_ITEM = obj(("id",), nullable=False, id=Shape("scalar", nullable=False), attributes=obj())
OTM_TMCODE_SHAPE = obj(
    project=obj(attributes=obj(tmcode=obj(("system",), system=ANY))),
    trustZones=list_of(_OWN_ITEM),
    assets=list_of(_OWN_ITEM),
    components=list_of(_OWN_ITEM),
    dataflows=list_of(obj(nullable=False, attributes=obj())),
)
_OTM_HINT = "pass an OTM 0.2.0 JSON file"


def import_otm(document: Any, source: str) -> ImportResult:
    """Build model data from an OTM document; tmcode's own attributes restore it exactly."""
    if not isinstance(document, dict) or not isinstance(document.get("project"), dict):
        raise InterchangeError(
            Problem(
                source,
                None,
                None,
                "not an OTM document: no `project`",
                "pass a file with otmVersion, project, trustZones, components",
            )
        )
    own = (
        (document["project"].get("attributes") or {}).get("tmcode")
        if isinstance(document["project"].get("attributes"), dict)
        else None
    )
    unmapped: list[str] = []
    check_shape(document, OTM_SHAPE, source, "an OTM document", _OTM_HINT)
    if isinstance(own, dict):
        check_shape(document, OTM_TMCODE_SHAPE, source, "an OTM document", _OTM_HINT)
        return _restore(document, own, source)
    used: set[str] = set()
    zone_ids: dict[str, str] = {}
    boundaries: dict[str, Any] = {}
    for zone in document.get("trustZones") or []:
        zid = safe_id(zone.get("id"), used)
        zone_ids[str(zone.get("id"))] = zid
        boundaries[zid] = {
            "trust": _trust_of((zone.get("risk") or {}).get("trustRating")),
            "name": zone.get("name"),
        }
        if zone.get("description"):
            boundaries[zid]["description"] = zone["description"]
    if not boundaries:
        boundaries["default"] = {"trust": "internal", "name": "Imported components"}
        unmapped.append("no trust zones: every component placed in an internal `default` boundary")
    default_zone = next(iter(boundaries))
    data: dict[str, Any] = {}
    for asset in document.get("assets") or []:
        aid = safe_id(asset.get("id"), used)
        conf = (asset.get("risk") or {}).get("confidentiality", 50)
        level = (
            "public"
            if conf < 20
            else "internal"
            if conf < 55
            else "confidential"
            if conf < 90
            else "restricted"
        )
        data[aid] = {"classification": level, "name": asset.get("name")}
    components: dict[str, Any] = {}
    comp_ids: dict[str, str] = {}
    for comp in document.get("components") or []:
        cid = safe_id(comp.get("id"), used)
        comp_ids[str(comp.get("id"))] = cid
        parent = comp.get("parent") or {}
        zone = zone_ids.get(str(parent.get("trustZone")), default_zone)
        if parent.get("component"):
            unmapped.append(
                f"component {comp.get('id')}: nested in component {parent['component']}; placed in its trust zone"
            )
        raw_kind = str(comp.get("type", ""))
        kind = (
            raw_kind if raw_kind in KIND_CLASSES and raw_kind != "agent" else _guess_kind(raw_kind)
        )
        if kind == "agent":
            kind = "service"
            unmapped.append(
                f"component {comp.get('id')}: type `{comp.get('type')}` needs a model to be an agent; imported as a service"
            )
        entry: dict[str, Any] = {"kind": kind, "boundary": zone, "name": comp.get("name")}
        if comp.get("description"):
            entry["description"] = comp["description"]
        if comp.get("type") != kind:
            unmapped.append(
                f"component {comp.get('id')}: type `{comp.get('type')}` imported as `{kind}`; check it"
            )
        if comp.get("threats"):
            unmapped.append(
                f"component {comp.get('id')}: {len(comp['threats'])} threat instance(s) not imported (tmcode computes findings)"
            )
        components[cid] = entry
    flows = []
    for flow in document.get("dataflows") or []:
        src, dst = comp_ids.get(str(flow.get("source"))), comp_ids.get(str(flow.get("destination")))
        if src is None or dst is None:
            unmapped.append(
                f"dataflow {flow.get('id')}: an end is not a component (trust zones cannot be flow ends)"
            )
            continue
        entry = {"from": src, "to": dst, "kind": "api", "id": safe_id(flow.get("id"), used)}
        assets = [a for a in flow.get("assets") or [] if str(a) in data]
        if assets:
            entry["data"] = assets
        flows.append(entry)
        if flow.get("bidirectional"):
            flows.append(
                {
                    "from": dst,
                    "to": src,
                    "kind": "api",
                    "id": safe_id(f"{flow.get('id')}-back", used),
                }
            )
    if document.get("threats"):
        unmapped.append(
            f"{len(document['threats'])} threat definition(s) and {len(document.get('mitigations') or [])} "
            "mitigation(s) not imported: tmcode's catalog supplies threats and controls"
        )
    if document.get("representations"):
        unmapped.append("representations (diagram positions, code links) not imported")
    project = document["project"]
    system = {"name": str(project.get("name") or "Imported system")}
    if project.get("id"):
        system["id"] = safe_id(project["id"], set())
    if project.get("description"):
        system["description"] = project["description"]
    if project.get("owner"):
        system["owner"] = project["owner"]
    model = {
        "tmcode": 1,
        "system": system,
        "boundaries": boundaries,
        "data": data,
        "components": components,
        "flows": flows,
    }
    return ImportResult(model, unmapped)


def _restore(document: dict[str, Any], own: dict[str, Any], source: str) -> ImportResult:
    def attrs(item: dict[str, Any], what: str) -> Any:
        value = (item.get("attributes") or {}).get("tmcode")
        if value is None:
            raise InterchangeError(
                Problem(
                    source,
                    None,
                    None,
                    f"{what} `{item.get('id')}` lacks attributes.tmcode",
                    "the file mixes tmcode and foreign elements; remove attributes.tmcode from "
                    "the project to import it as a foreign OTM file",
                )
            )
        return value

    model: dict[str, Any] = {
        "tmcode": own.get("version", 1),
        "system": own["system"],
        "boundaries": {z["id"]: attrs(z, "trust zone") for z in document.get("trustZones") or []},
        "data": {a["id"]: attrs(a, "asset") for a in document.get("assets") or []},
        "components": {c["id"]: attrs(c, "component") for c in document.get("components") or []},
        "flows": [attrs(f, "dataflow") for f in document.get("dataflows") or []],
    }
    if own.get("decisions"):
        model["decisions"] = own["decisions"]
    return ImportResult(model, [])
