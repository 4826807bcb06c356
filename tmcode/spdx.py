"""The AI bill of materials as SPDX 3.0.1 JSON-LD, with its AI and Dataset profiles.

The system is a software package; LLMs, predictive models, model files and agents are
``ai_AIPackage`` elements, datasets ``dataset_DatasetPackage`` elements, every other part a
software package the system contains. Relationships say what an agent uses, what a model was
trained on and what licence each part is under. The document is plain JSON, validated in the
tests with the SPDX project's own Python bindings (spdx-python-model).

Output is deterministic: element ids derive from the model's content, and the creation time is
the one given (``created``), else the Unix epoch, never the clock.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from tmcode import __version__
from tmcode.bom import serial_uuid, supplier_of
from tmcode.model.elements import LLM, Agent, ComponentBase, Dataset, MlModel, Model, ModelArtifact
from tmcode.model.enums import Autonomy, Classification, FlowKind
from tmcode.model.index import ModelIndex
from tmcode.model.kinds import Trait, has
from tmcode.model.load import LoadedModel
from tmcode.render.escape import json_text
from tmcode.report import GATING_STATUSES, Finding

SPDX_CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_CREATION = "_:creationinfo"
# SPDX names the algorithms of `hash:` without the dash.
_ALGORITHM = {
    "sha256": "sha256",
    "sha384": "sha384",
    "sha512": "sha512",
    "sha3-256": "sha3_256",
    "sha3-384": "sha3_384",
    "sha3-512": "sha3_512",
    "blake2b-256": "blake2b256",
    "blake2b-512": "blake2b512",
}
# SPDX's confidentiality levels follow the Traffic Light Protocol.
_CONFIDENTIALITY = {
    Classification.public: "clear",
    Classification.internal: "green",
    Classification.confidential: "amber",
    Classification.restricted: "red",
}
_PERSONAL = {"pii", "phi"}
# Parts of a system that are people or content, not software.
_NOT_SOFTWARE = (Trait.human, Trait.outside_content)


def _time(value: dt.date | dt.datetime) -> str:
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Graph:
    """The elements of one document, with ids under one namespace."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.elements: list[dict[str, Any]] = []
        self.orgs: dict[str, str] = {}
        self.licenses: dict[str, str] = {}
        self.relationships: list[dict[str, Any]] = []

    def id(self, *parts: str) -> str:
        return self.base + "/".join(parts)

    def add(self, kind: str, ident: str, **props: Any) -> str:
        element = {"type": kind, "spdxId": ident, "creationInfo": _CREATION}
        element.update({k: v for k, v in props.items() if v not in (None, "", [])})
        self.elements.append(element)
        return ident

    def org(self, name: str) -> str:
        if name not in self.orgs:
            self.orgs[name] = self.add(
                "Organization", self.id("org", str(len(self.orgs))), name=name
            )
        return self.orgs[name]

    def license(self, expression: str) -> str:
        if expression not in self.licenses:
            self.licenses[expression] = self.add(
                "simplelicensing_LicenseExpression",
                self.id("license", str(len(self.licenses))),
                simplelicensing_licenseExpression=expression,
            )
        return self.licenses[expression]

    def relate(self, source: str, kind: str, targets: list[str]) -> None:
        if targets:
            ident = self.id("relationship", str(len(self.relationships)))
            self.relationships.append(
                {
                    "type": "Relationship",
                    "spdxId": ident,
                    "creationInfo": _CREATION,
                    "from": source,
                    "relationshipType": kind,
                    "to": targets,
                }
            )


def _supplied(g: _Graph, model: Model, c: ComponentBase) -> dict[str, Any]:
    """The package properties every supplied part shares: version, supplier, file, release."""
    props: dict[str, Any] = {
        "name": c.name or None,
        "description": c.description,
        "software_packageVersion": c.version or (c.model if isinstance(c, LLM) else None),
    }
    provider = supplier_of(model, c)
    if provider:
        props["suppliedBy"] = g.org(provider)
    url = getattr(c, "url", None)
    if url:
        props["software_downloadLocation"] = url
    released = getattr(c, "released", None)
    if released:
        props["releaseTime"] = _time(released)
    digest = getattr(c, "hash", None)
    if digest:
        algorithm, _, value = digest.partition(":")
        props["verifiedUsing"] = [
            {"type": "Hash", "algorithm": _ALGORITHM[algorithm], "hashValue": value}
        ]
    return props


def _flows_into(index: ModelIndex, cid: str) -> set[str]:
    """Tags of the data flowing into a component."""
    data = index.model.data
    return {
        tag
        for address in index.flows_in.get(cid, ())
        for d in index.data_of(address)
        if d in data
        for tag in data[d].tags
    }


def build_spdx(
    loaded: LoadedModel,
    findings: list[Finding],
    created: dt.datetime | None = None,
) -> dict[str, Any]:
    """Return the SPDX 3.0.1 document of one model as plain JSON-LD data."""
    index, model = loaded.index, loaded.model
    s = model.system
    g = _Graph(f"urn:tmcode:spdx:{serial_uuid(model)}/")
    tool = g.add("Tool", g.id("tools", "tmcode"), name=f"tmcode {__version__}")
    author = (
        g.org(s.owner)
        if s.owner
        else g.add("SoftwareAgent", g.id("agents", "tmcode"), name="tmcode")
    )
    creation = {
        "type": "CreationInfo",
        "@id": _CREATION,
        "created": _time(created or EPOCH),
        "createdBy": [author],
        "createdUsing": [tool],
        "specVersion": "3.0.1",
    }
    system = g.add(
        "software_Package",
        g.id("system"),
        name=s.name,
        description=s.description,
        summary=s.intended_use,
        software_packageVersion=s.version,
        software_primaryPurpose="application",
        suppliedBy=g.org(s.provider) if s.provider else None,
        software_homePage=s.security_policy if s.security_policy else None,
    )
    limitations: dict[str, list[str]] = {}
    for f in findings:
        if f.status in GATING_STATUSES:
            limitations.setdefault(f.target, []).append(f"{f.threat}: {f.title}")
    ids: dict[str, str] = {}
    for cid, c in model.components.items():
        if any(has(c.kind, t) for t in _NOT_SOFTWARE):
            continue
        ident = g.id("component", cid)
        ids[cid] = ident
        name = c.name or cid
        if has(c.kind, Trait.model):
            props = _supplied(g, model, c) | {"name": name, "software_primaryPurpose": "model"}
            if isinstance(c, (LLM, MlModel)):
                props["ai_typeOfModel"] = [
                    "large language model" if isinstance(c, LLM) else "predictive model"
                ]
                training = c.training or (
                    "trained on " + ", ".join(c.trained_on)
                    if isinstance(c, LLM) and c.trained_on
                    else None
                )
                props["ai_informationAboutTraining"] = training
            if isinstance(c, ModelArtifact) and c.format is not None:
                props["comment"] = f"weights serialised as {c.format.value}"
            users = list(index.agents_of_llm.get(cid, ()))
            if users or s.intended_use:
                props["ai_informationAboutApplication"] = "; ".join(
                    [
                        *(f"model of agent {a}" for a in users),
                        *([s.intended_use] if s.intended_use else []),
                    ]
                )
            if limitations.get(cid):
                props["ai_limitation"] = "; ".join(sorted(set(limitations[cid])))
            if _flows_into(index, cid) & _PERSONAL:
                props["ai_useSensitivePersonalInformation"] = "yes"
            props["ai_standardCompliance"] = list(s.compliance)
            g.add("ai_AIPackage", ident, **props)
        elif isinstance(c, Agent):
            autonomy = c.assumed("autonomy")
            g.add(
                "ai_AIPackage",
                ident,
                name=name,
                description=c.description,
                software_packageVersion=c.version,
                software_primaryPurpose="application",
                ai_autonomyType="yes" if autonomy is Autonomy.autonomous else "no",
                ai_limitation="; ".join(sorted(set(limitations.get(cid, [])))) or None,
                ai_standardCompliance=list(s.compliance),
            )
        elif isinstance(c, Dataset):
            assets = [model.data[d] for d in index.data_of(cid) if d in model.data]
            props = _supplied(g, model, c) | {
                "name": name,
                "software_primaryPurpose": "data",
                "dataset_datasetType": ["noAssertion"],
                "dataset_dataCollectionProcess": c.provenance,
                "comment": f"size: {c.size}" if c.size else None,
            }
            if "suppliedBy" in props:
                props["originatedBy"] = [props["suppliedBy"]]
            if "releaseTime" in props:
                # `released` dates the snapshot in use: it was built when it was released.
                props["builtTime"] = props["releaseTime"]
            if assets:
                top = max(a.classification for a in assets)
                props["dataset_confidentialityLevel"] = _CONFIDENTIALITY[top]
            if any(_PERSONAL & set(a.tags) for a in assets):
                props["dataset_hasSensitivePersonalInformation"] = "yes"
            trains = list(index.trained_by.get(cid, ()))
            trains += [f.to for f in index.flows_from(cid) if f.kind is FlowKind.training_data]
            if trains:
                props["dataset_intendedUse"] = "training data of " + ", ".join(
                    dict.fromkeys(trains)
                )
            g.add("dataset_DatasetPackage", ident, **props)
        else:
            g.add(
                "software_Package",
                ident,
                name=name,
                description=c.description,
                software_packageVersion=c.version,
                software_primaryPurpose="data" if has(c.kind, Trait.holds_data) else "application",
                summary=f"{c.kind}",
            )
        license_ = getattr(c, "license", None)
        if license_:
            g.relate(ident, "hasDeclaredLicense", [g.license(license_)])
    g.relate(system, "contains", list(ids.values()))
    for cid, c in model.components.items():
        if cid not in ids:
            continue
        if isinstance(c, Agent):
            tools = [
                t
                for t in c.tools
                if t in ids and has(model.components[t].kind, Trait.callable_tool)
            ]
            needs = [c.model, *(t for t in c.tools if t not in tools)]
            g.relate(ids[cid], "usesTool", [ids[t] for t in tools])
            g.relate(ids[cid], "dependsOn", [ids[t] for t in dict.fromkeys(needs) if t in ids])
        trained = list(c.trained_on) if isinstance(c, LLM) else []
        trained += [f.from_ for f in index.flows_into(cid) if f.kind is FlowKind.training_data]
        g.relate(ids[cid], "trainedOn", [ids[d] for d in dict.fromkeys(trained) if d in ids])
        weights = [c.artifact] if isinstance(c, LLM) and c.artifact else []
        weights += [f.from_ for f in index.flows_into(cid) if f.kind is FlowKind.artifact]
        g.relate(ids[cid], "dependsOn", [ids[w] for w in dict.fromkeys(weights) if w in ids])
    graph = g.elements + g.relationships
    members = [e["spdxId"] for e in graph]
    sbom = g.add(
        "software_Sbom",
        g.id("sbom"),
        name=f"AI-BOM of {s.name}",
        software_sbomType=["design"],
        rootElement=[system],
        element=members,
    )
    document = {
        "type": "SpdxDocument",
        "spdxId": g.id("document"),
        "creationInfo": _CREATION,
        "name": f"{s.name} (tmcode AI-BOM)",
        "profileConformance": ["core", "software", "ai", "dataset"],
        "rootElement": [sbom],
        "element": [*members, sbom],
    }
    return {
        "@context": SPDX_CONTEXT,
        "@graph": [creation, document, *g.elements, *g.relationships],
    }


def spdx_json(
    loaded: LoadedModel, findings: list[Finding], created: dt.datetime | None = None
) -> str:
    """The SPDX document as stable, indented JSON text."""
    text = json.dumps(build_spdx(loaded, findings, created), indent=2, ensure_ascii=False)
    return json_text(text) + "\n"
