"""Import a Threagile YAML model: technical assets, trust boundaries, links and data assets.

Threagile describes conventional architectures; the result is a starting point that a person
refines into an AI model (which asset is the LLM, the agent, the vector store). Whatever has
no counterpart is listed in the result, never silently dropped.
"""

from __future__ import annotations

from typing import Any

from tmcode.errors import Problem
from tmcode.input_file import ANY, SCALAR, TEXT, list_of, map_of, obj
from tmcode.interchange import ImportResult, InterchangeError, check_shape, safe_id
from tmcode.model.kinds import Trait, has

_CLASSIFICATION = {
    "public": "public",
    "internal": "internal",
    "restricted": "confidential",
    "confidential": "confidential",
    "strictly-confidential": "restricted",
}
_TAGS = {
    "pii": "pii",
    "personal": "pii",
    "gdpr": "pii",
    "phi": "phi",
    "health": "phi",
    "pci": "pci",
    "card": "pci",
    "secret": "secret",
    "password": "credentials",
    "credential": "credentials",
    "credentials": "credentials",
    "ip": "ip",
    "financial": "financial",
}
_TECH_KINDS = [
    (("llm", "language-model", "genai", "ai-model"), "llm"),
    (("vector",), "vector_store"),
    (("vault", "secret", "hsm", "kms"), "secret_store"),
    (("log", "siem", "monitoring"), "log_sink"),
    (
        ("database", "file-server", "local-file-system", "block-storage", "data-lake", "storage"),
        "datastore",
    ),
    (("browser", "desktop", "mobile-app", "client-system", "web-ui"), "ui"),
]
_MAPPED_ASSET_KEYS = {
    "id",
    "description",
    "type",
    "technology",
    "technologies",
    "tags",
    "internet",
    "owner",
    "data_assets_processed",
    "data_assets_stored",
    "communication_links",
    "used_as_client_by_human",
    "out_of_scope",
    "justification_out_of_scope",
    "multi_tenant",
}
_MAPPED_LINK_KEYS = {
    "target",
    "description",
    "protocol",
    "authentication",
    "data_assets_sent",
    "data_assets_received",
    "tags",
    "usage",
}
_MAPPED_TOP = {
    "threagile_version",
    "title",
    "description",
    "date",
    "author",
    "business_criticality",
    "data_assets",
    "technical_assets",
    "trust_boundaries",
    "tags_available",
    "management_summary_comment",
    "business_overview",
    "technical_overview",
    "questions",
    "abuse_cases",
    "security_requirements",
}


def _kind(asset: dict[str, Any]) -> str:
    kind = str(asset.get("type", "process"))
    technology = " ".join(
        str(t) for t in [asset.get("technology", ""), *(asset.get("technologies") or [])]
    ).lower()
    if any(h in technology for h in _TECH_KINDS[0][0]):
        return "llm"
    if kind == "external-entity":
        if asset.get("used_as_client_by_human"):
            return "user"
        return "external_service"
    for hints, guess in _TECH_KINDS:
        if any(h in technology for h in hints):
            return guess
    if kind == "datastore":
        return "datastore"
    return "service"


_LINK = obj(data_assets_sent=list_of(SCALAR), data_assets_received=list_of(SCALAR))
THREAGILE_SHAPE = obj(
    data_assets=map_of(obj(tags=list_of(SCALAR))),
    trust_boundaries=map_of(
        obj(technical_assets_inside=list_of(ANY), trust_boundaries_nested=list_of(ANY))
    ),
    technical_assets=map_of(
        obj(
            technologies=list_of(TEXT),
            tags=list_of(ANY),
            data_assets_stored=list_of(SCALAR),
            communication_links=map_of(_LINK),
        )
    ),
)


def import_threagile(document: Any, source: str) -> ImportResult:
    """Map a parsed Threagile YAML document to tmcode model data."""
    if not isinstance(document, dict) or "technical_assets" not in document:
        raise InterchangeError(
            Problem(
                source,
                None,
                None,
                "not a Threagile model: no `technical_assets`",
                "pass a Threagile YAML model",
            )
        )
    check_shape(
        document, THREAGILE_SHAPE, source, "a Threagile model", "pass a Threagile YAML model"
    )
    unmapped: list[str] = []
    used: set[str] = set()
    for key in document:
        if key not in _MAPPED_TOP:
            unmapped.append(f"top-level `{key}`")
    data: dict[str, Any] = {}
    data_ids: dict[str, str] = {}
    for title, asset in (document.get("data_assets") or {}).items():
        asset = asset or {}
        did = safe_id(asset.get("id", title), used)
        data_ids[str(asset.get("id", title))] = did
        entry: dict[str, Any] = {
            "classification": _CLASSIFICATION.get(
                str(asset.get("confidentiality", "internal")), "internal"
            ),
            "name": str(title),
        }
        tags = sorted({_TAGS[t] for t in (asset.get("tags") or []) if t in _TAGS})
        if tags:
            entry["tags"] = tags
        if asset.get("description"):
            entry["description"] = str(asset["description"])
        data[did] = entry
        for key in ("integrity", "availability", "quantity", "origin", "usage"):
            if key in asset:
                unmapped.append(f"data asset {did}: `{key}: {asset[key]}`")
    boundaries: dict[str, Any] = {}
    inside: dict[str, str] = {}
    boundary_ids: dict[str, str] = {}
    trust_boundaries = document.get("trust_boundaries") or {}
    for title, tb in trust_boundaries.items():
        tb = tb or {}
        bid = safe_id(tb.get("id", title), used)
        boundary_ids[str(tb.get("id", title))] = bid
        boundaries[bid] = {
            "trust": "internal",
            "name": str(title),
            "kind": str(tb.get("type", "network")),
        }
        if tb.get("description"):
            boundaries[bid]["description"] = str(tb["description"])
        for asset_id in tb.get("technical_assets_inside") or []:
            inside[str(asset_id)] = bid
    for title, tb in trust_boundaries.items():
        for nested in (tb or {}).get("trust_boundaries_nested") or []:
            if str(nested) in boundary_ids:
                boundaries[boundary_ids[str(nested)]]["parent"] = boundary_ids[
                    str((tb or {}).get("id", title))
                ]
    components: dict[str, Any] = {}
    asset_ids: dict[str, str] = {}
    assets = document.get("technical_assets") or {}
    for title, asset in assets.items():
        asset = asset or {}
        asset_ids[str(asset.get("id", title))] = safe_id(asset.get("id", title), used)
    needs_internet = False
    needs_default = False
    for title, asset in assets.items():
        asset = asset or {}
        raw_id = str(asset.get("id", title))
        cid = asset_ids[raw_id]
        kind = _kind(asset)
        boundary = inside.get(raw_id)
        if boundary is None:
            if asset.get("internet") or asset.get("type") == "external-entity":
                boundary, needs_internet = "internet", True
            else:
                boundary, needs_default = "unbounded", True
        entry = {"kind": kind, "boundary": boundary, "name": str(title)}
        if asset.get("description"):
            entry["description"] = str(asset["description"])
        if asset.get("owner"):
            entry["owner"] = str(asset["owner"])
        tags = [str(t) for t in asset.get("tags") or []]
        if asset.get("out_of_scope"):
            tags.append("out-of-scope")
        if tags:
            entry["tags"] = tags
        if asset.get("internet") and kind not in ("user", "external_service"):
            entry["exposure"] = "internet"
        stored = [data_ids[d] for d in asset.get("data_assets_stored") or [] if d in data_ids]
        if stored and has(kind, Trait.holds_data):
            entry["stores"] = stored
        if has(kind, Trait.holds_data) and asset.get("multi_tenant"):
            entry["tenancy"] = "multi"
        if kind == "user":
            entry["audience"] = "public" if asset.get("internet") else "employees"
        components[cid] = entry
        technology = asset.get("technology") or ", ".join(asset.get("technologies") or [])
        unmapped.append(
            f"technical asset {cid}: {asset.get('type', 'process')} `{technology or 'no technology'}` "
            f"imported as `{kind}`; mark LLMs, agents and AI stores by hand"
        )
        for key in sorted(set(asset) - _MAPPED_ASSET_KEYS):
            unmapped.append(f"technical asset {cid}: `{key}`")
    if needs_internet:
        boundaries.setdefault("internet", {"trust": "untrusted", "name": "Internet"})
    if needs_default:
        boundaries.setdefault(
            "unbounded", {"trust": "internal", "name": "Outside any Threagile trust boundary"}
        )
        unmapped.append(
            "assets outside every trust boundary were placed in an internal `unbounded` boundary"
        )
    flows: list[dict[str, Any]] = []
    for title, asset in assets.items():
        asset = asset or {}
        source_id = asset_ids[str(asset.get("id", title))]
        for link_title, link in (asset.get("communication_links") or {}).items():
            link = link or {}
            target = asset_ids.get(str(link.get("target")))
            if target is None:
                unmapped.append(
                    f"link {link_title} of {source_id}: unknown target `{link.get('target')}`"
                )
                continue
            sent = [data_ids[d] for d in link.get("data_assets_sent") or [] if d in data_ids]
            received = [
                data_ids[d] for d in link.get("data_assets_received") or [] if d in data_ids
            ]
            flow: dict[str, Any] = {
                "from": source_id,
                "to": target,
                "kind": "api",
                "id": safe_id(f"{source_id}-{link_title}", used),
            }
            if sent:
                flow["data"] = sent
            if link.get("protocol"):
                flow["protocol"] = str(link["protocol"])
                flow["encrypted"] = str(link["protocol"]).endswith("s") or "encrypted" in str(
                    link["protocol"]
                )
            if link.get("authentication") is not None:
                flow["authenticated"] = str(link["authentication"]) != "none"
            if link.get("description"):
                flow["description"] = str(link["description"])
            flows.append(flow)
            if received:
                flows.append(
                    {
                        "from": target,
                        "to": source_id,
                        "kind": "api",
                        "id": safe_id(f"{target}-{link_title}-response", used),
                        "data": received,
                    }
                )
            for key in sorted(set(link) - _MAPPED_LINK_KEYS):
                unmapped.append(f"link {link_title} of {source_id}: `{key}`")
    if not boundaries:
        boundaries["unbounded"] = {"trust": "internal"}
    system = {"name": str(document.get("title") or "Imported Threagile model")}
    if document.get("description"):
        system["description"] = str(document["description"])
    if (
        document.get("author")
        and isinstance(document["author"], dict)
        and document["author"].get("name")
    ):
        system["owner"] = str(document["author"]["name"])
    model = {
        "tmcode": 1,
        "system": system,
        "boundaries": boundaries,
        "data": data,
        "components": components,
        "flows": flows,
    }
    return ImportResult(model, unmapped)
