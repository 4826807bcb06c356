"""The AI bill of materials: a CycloneDX 1.6 JSON document built from a model and its report.

LLMs and model artifacts become `machine-learning-model` components with a model card,
datasets and data assets `data` components, and agents, tools, MCP servers, retrievers,
stores and services become `services` with their trust zone, data flows and whether using
them crosses a trust boundary. The document is plain JSON, validated in the tests with
cyclonedx-python-lib's strict validator.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Sequence
from typing import Any

from tmcode import __version__
from tmcode.model.elements import LLM, Agent, ComponentBase, Dataset, Model
from tmcode.model.enums import Origin, Source
from tmcode.model.index import ModelIndex
from tmcode.model.kinds import Trait, has
from tmcode.model.load import LoadedModel
from tmcode.render.escape import json_text
from tmcode.report import GATING_STATUSES, Finding

CYCLONEDX_SPEC = "1.6"
# Kinds the BOM lists as neither models, datasets nor services.
_NOT_SERVICES = (Trait.model, Trait.dataset, Trait.human, Trait.outside_content, Trait.ui)


def _properties(pairs: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"name": f"tmcode:{k}", "value": str(v)}
        for k, v in pairs.items()
        if v not in (None, "", [])
    ]


def _value(v: Any) -> Any:
    return getattr(v, "value", v)


def serial_uuid(model: Model) -> uuid.UUID:
    """A UUID that depends only on the model's content, so that output is reproducible."""
    canonical = json.dumps(model.model_dump(mode="json", by_alias=True), sort_keys=True)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return uuid.uuid5(uuid.NAMESPACE_URL, "tmcode:" + digest)


def _serial(model: Model) -> str:
    return f"urn:uuid:{serial_uuid(model)}"


# CycloneDX names the algorithms of `hash:` in capitals.
_CDX_ALGORITHM = {
    "sha256": "SHA-256",
    "sha384": "SHA-384",
    "sha512": "SHA-512",
    "sha3-256": "SHA3-256",
    "sha3-384": "SHA3-384",
    "sha3-512": "SHA3-512",
    "blake2b-256": "BLAKE2b-256",
    "blake2b-512": "BLAKE2b-512",
}


def supplier_of(model: Model, c: ComponentBase) -> str | None:
    """Who supplies a component: its own provider, or the system's for first-party parts."""
    own = getattr(c, "provider", None)
    if own:
        return str(own)
    internal = isinstance(c, Dataset) and c.origin is Origin.internal
    if c.assumed("source") is Source.first_party or internal:
        return model.system.provider
    return None


def _supplied(c: ComponentBase, reference: str) -> dict[str, Any]:
    """Licence, hash and published address of a model or dataset, as CycloneDX says them."""
    out: dict[str, Any] = {}
    license_ = getattr(c, "license", None)
    if license_:
        out["licenses"] = [{"expression": license_}]
    digest = getattr(c, "hash", None)
    if digest:
        algorithm, _, value = digest.partition(":")
        out["hashes"] = [{"alg": _CDX_ALGORITHM[algorithm], "content": value}]
    url = getattr(c, "url", None)
    if url:
        out["externalReferences"] = [{"type": reference, "url": url}]
    return out


def _trust_zone(model: Model, component: ComponentBase) -> str:
    boundary = model.boundaries[component.boundary]
    return f"{boundary.name or component.boundary} ({boundary.trust.value})"


def _model_component(
    index: ModelIndex, cid: str, c: ComponentBase, findings: Sequence[Finding]
) -> dict[str, Any]:
    model = index.model
    card: dict[str, Any] = {}
    parameters: dict[str, Any] = {}
    if isinstance(c, LLM):
        parameters["task"] = "text-generation"
        if c.trained_on:
            parameters["datasets"] = [{"ref": d} for d in c.trained_on]
        if c.model:
            parameters["modelArchitecture"] = c.model
    if parameters:
        card["modelParameters"] = parameters
    limitations = sorted(
        {f"{f.threat}: {f.title}" for f in findings if f.status in GATING_STATUSES}
    )
    considerations: dict[str, Any] = {}
    if limitations:
        considerations["technicalLimitations"] = limitations
    users = index.agents_of_llm.get(cid, ())
    if users:
        considerations["useCases"] = [f"model of agent {a}" for a in users]
    if considerations:
        card["considerations"] = considerations
    props = {
        "kind": c.kind,
        "trust-zone": _trust_zone(model, c),
        "hosting": _value(getattr(c, "hosting", None)),
        "format": _value(getattr(c, "format", None)),
        "source": _value(c.source),
        "exposure": _value(c.exposure),
        "artifact": getattr(c, "artifact", None),
        "proprietary": getattr(c, "proprietary", None),
        "decision": _value(getattr(c, "decision", None)),
        "released": getattr(c, "released", None),
        "training": getattr(c, "training", None),
    }
    component: dict[str, Any] = {
        "type": "machine-learning-model",
        "bom-ref": cid,
        "name": c.name or cid,
    }
    if c.description:
        component["description"] = c.description
    if c.version:
        component["version"] = c.version
    provider = supplier_of(model, c)
    if provider:
        component["supplier"] = {"name": provider}
    component.update(_supplied(c, "model-card"))
    if card:
        component["modelCard"] = card
    component["properties"] = _properties(props)
    return component


def _data_component(
    model: Model,
    ident: str,
    name: str,
    data_ids: Sequence[str],
    kind: str,
    description: str | None,
    extra: dict[str, Any],
) -> dict[str, Any]:
    assets = [model.data[d] for d in data_ids if d in model.data]
    entries = [
        {
            "type": "dataset",
            "name": name,
            **({"description": description} if description else {}),
            **({"classification": max(a.classification for a in assets).value} if assets else {}),
            **(
                {"sensitiveData": sorted({t for a in assets for t in a.tags})}
                if any(a.tags for a in assets)
                else {}
            ),
        }
    ]
    return {
        "type": "data",
        "bom-ref": ident,
        "name": name,
        "data": entries,
        "properties": _properties({"kind": kind, **extra}),
    }


def _service(index: ModelIndex, cid: str, c: ComponentBase) -> dict[str, Any]:
    model = index.model
    inbound, outbound = index.flows_into(cid), index.flows_from(cid)
    flows = []
    for direction, items, peer in (("inbound", inbound, "from_"), ("outbound", outbound, "to")):
        for f in items:
            classes = [model.data[d].classification for d in f.data if d in model.data]
            entry: dict[str, Any] = {
                "flow": direction,
                "classification": max(classes).value if classes else "unclassified",
                "name": f"{f.kind.value}: {f.address}",
            }
            other = getattr(f, peer)
            entry["source" if direction == "inbound" else "destination"] = [
                f"urn:tmcode:component:{other}"
            ]
            flows.append(entry)
    crosses = any(
        model.components[getattr(f, peer)].boundary != c.boundary
        for items, peer in ((inbound, "from_"), (outbound, "to"))
        for f in items
    )
    service: dict[str, Any] = {"bom-ref": cid, "name": c.name or cid}
    if c.description:
        service["description"] = c.description
    if c.version:
        service["version"] = c.version
    service["trustZone"] = _trust_zone(model, c)
    service["x-trust-boundary"] = crosses
    if flows:
        service["data"] = flows
    props: dict[str, Any] = {
        "kind": c.kind,
        "source": _value(c.source),
        "exposure": _value(c.exposure),
    }
    if isinstance(c, Agent):
        props.update(autonomy=_value(c.autonomy), identity=_value(c.identity), model=c.model)
        for target, permission in c.tools.items():
            props[f"permission:{target}"] = ", ".join(s.value for s in permission.scopes)
    for attr in ("transport", "auth", "interprets", "tenancy", "persistent", "scope"):
        value = getattr(c, attr, None)
        if value is not None:
            props[attr] = (
                ", ".join(_value(v) for v in value) if isinstance(value, list) else _value(value)
            )
    props["stores"] = ", ".join(index.data_of(cid))  # an empty property is left out
    service["properties"] = _properties(props)
    return service


def _timestamp(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_bom(
    loaded: LoadedModel,
    findings: list[Finding],
    report_url: str | None = None,
    created: dt.datetime | None = None,
) -> dict[str, Any]:
    """Return the CycloneDX 1.6 AI-BOM of one model as plain JSON data."""
    index, model = loaded.index, loaded.model
    s = model.system
    components: list[dict[str, Any]] = []
    services: list[dict[str, Any]] = []
    by_target: dict[str, list[Finding]] = {}
    for f in findings:  # grouped once: a model of thousands of models stays linear
        by_target.setdefault(f.target, []).append(f)
    for cid, c in model.components.items():
        if has(c.kind, Trait.model):
            components.append(_model_component(index, cid, c, by_target.get(cid, [])))
        elif isinstance(c, Dataset):
            components.append(
                _data_component(
                    model,
                    cid,
                    c.name or cid,
                    index.data_of(cid),
                    "dataset",
                    c.description,
                    {
                        "origin": _value(c.origin),
                        "source": _value(c.source),
                        "provenance": c.provenance,
                        "size": c.size,
                        "released": c.released,
                    },
                )
                | ({"supplier": {"name": supplier_of(model, c)}} if supplier_of(model, c) else {})
                | _supplied(c, "distribution")
            )
        elif not any(has(c.kind, t) for t in _NOT_SERVICES):
            services.append(_service(index, cid, c))
    for did, asset in model.data.items():
        components.append(
            _data_component(
                model, f"data:{did}", asset.name or did, [did], "data_asset", asset.description, {}
            )
        )
    refs = {item["bom-ref"] for item in components + services}
    dependencies = [
        {"ref": "system", "dependsOn": sorted(cid for cid in model.components if cid in refs)}
    ]
    for cid, c in model.components.items():
        if cid not in refs:
            continue
        needs: list[str] = []
        if isinstance(c, Agent):
            needs = [c.model, *c.tools]
        elif isinstance(c, LLM):
            needs = [*([c.artifact] if c.artifact else []), *c.trained_on]
        needs += [f"data:{d}" for d in loaded.index.data_of(cid)]
        dependencies.append({"ref": cid, "dependsOn": sorted({n for n in needs if n in refs})})
    metadata: dict[str, Any] = {
        "tools": {
            "components": [{"type": "application", "name": "tmcode", "version": __version__}]
        },
        "component": {
            "type": "application",
            "bom-ref": "system",
            "name": s.name,
            **({"description": s.description} if s.description else {}),
            **({"version": s.version} if s.version else {}),
            **({"supplier": {"name": s.provider}} if s.provider else {}),
            **(
                {"externalReferences": [{"type": "security-contact", "url": s.security_policy}]}
                if s.security_policy
                else {}
            ),
        },
        "properties": _properties(
            {
                "lifecycle": _value(s.lifecycle),
                "owner": s.owner,
                "model-file": loaded.path,
                "intended-use": s.intended_use,
                "infrastructure": "; ".join(s.infrastructure),
                "compliance": "; ".join(s.compliance),
            }
        ),
    }
    if created is not None:
        metadata = {"timestamp": _timestamp(created), **metadata}
    if s.owner:
        metadata["authors"] = [{"name": s.owner}]
    bom: dict[str, Any] = {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": CYCLONEDX_SPEC,
        "serialNumber": _serial(model),
        "version": 1,
        "metadata": metadata,
        "components": components,
        "services": services,
        "dependencies": dependencies,
    }
    if report_url:
        bom["externalReferences"] = [
            {
                "type": "threat-model",
                "url": report_url,
                "comment": "tmcode threat-model report of this system",
            }
        ]
    return bom


def bom_json(
    loaded: LoadedModel,
    findings: list[Finding],
    report_url: str | None = None,
    created: dt.datetime | None = None,
) -> str:
    """The AI-BOM as stable, indented JSON text; ``created`` stamps it (no clock is read)."""
    text = json.dumps(
        build_bom(loaded, findings, report_url, created), indent=2, ensure_ascii=False
    )
    return json_text(text) + "\n"
