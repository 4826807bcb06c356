"""What a model does not yet say against the G7 "SBOM for AI" minimum elements.

The elements are grouped in the G7 paper's clusters. Those the tool fills itself (the BOM's
format, tool, timestamp and dependency relationships) are never gaps; every other element is
a field of the model, and a gap names the field that would say it. Key performance indicators
(the seventh cluster) are not checked: the model format has no place for them yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from tmcode.assurance import control_claims
from tmcode.bom import supplier_of
from tmcode.model.elements import LLM, ComponentBase, Dataset, Flow, MlModel, ModelArtifact
from tmcode.model.enums import FlowKind, Hosting
from tmcode.model.index import ModelIndex
from tmcode.model.kinds import Trait, has
from tmcode.model.load import LoadedModel
from tmcode.render.escape import terminal_text

CLUSTERS = ("metadata", "system", "models", "datasets", "infrastructure", "security")


@dataclass(frozen=True)
class Gap:
    """One minimum element the model does not say: where, and which field would say it."""

    cluster: str
    element: str
    address: str
    field: str
    hint: str


def _flows_into(index: ModelIndex, cid: str, kind: FlowKind) -> list[Flow]:
    return [f for f in index.flows_into(cid) if f.kind is kind]


def _artifact_of(index: ModelIndex, cid: str, c: ComponentBase) -> str | None:
    """The model_artifact a model loads its weights from, if the model says."""
    if isinstance(c, LLM) and c.artifact:
        return c.artifact
    for f in _flows_into(index, cid, FlowKind.artifact):
        if isinstance(index.model.components.get(f.from_), ModelArtifact):
            return f.from_
    return None


def _holds_weights(c: ComponentBase) -> bool:
    """True when the exact weights are a file the system holds, so a hash can pin them."""
    if isinstance(c, LLM):
        return c.assumed("hosting") is Hosting.self_hosted
    return True


def _trained(index: ModelIndex, cid: str, c: ComponentBase) -> bool:
    if getattr(c, "training", None):
        return True
    if isinstance(c, LLM) and c.trained_on:
        return True
    return bool(_flows_into(index, cid, FlowKind.training_data))


def _model_gaps(index: ModelIndex, cid: str, c: ComponentBase) -> list[Gap]:
    model = index.model
    at = f"components.{cid}"
    gaps: list[Gap] = []

    def need(element: str, field: str, hint: str) -> None:
        gaps.append(Gap("models", element, cid, f"{at}.{field}", hint))

    if isinstance(c, (LLM, MlModel)) and not _trained(index, cid, c):
        need("training", "training", "how the weights were produced (or `trained_on` datasets)")
    if not c.description:
        need("description", "description", "what the model does and its known limits")
    if isinstance(c, LLM) and c.hosting is None:
        gaps.append(
            Gap("infrastructure", "hosting", cid, f"{at}.hosting", "`vendor_api` or `self_hosted`")
        )
    if _artifact_of(index, cid, c) is not None:
        return gaps  # its identity (version, licence, hash, ...) is said by the weights file
    version = c.version or (c.model if isinstance(c, LLM) else None)
    if not version:
        need("version", "version", "the model's version or exact name")
    if not supplier_of(model, c):
        need("producer", "provider", "who supplies the model (or `system.provider` if you do)")
    if not getattr(c, "license", None):
        need("licence", "license", "an SPDX expression, or `LicenseRef-<name>` for vendor terms")
    if _holds_weights(c) and not getattr(c, "hash", None):
        need("hash", "hash", "`sha256:<hex>` of the weights file in use")
    if not getattr(c, "url", None):
        need("external reference", "url", "a model card or download address")
    if not getattr(c, "released", None):
        need("timestamp", "released", "the release date of this version")
    return gaps


def _dataset_gaps(index: ModelIndex, cid: str, c: Dataset) -> list[Gap]:
    model = index.model
    at = f"components.{cid}"
    gaps: list[Gap] = []

    def need(element: str, field: str, hint: str) -> None:
        gaps.append(Gap("datasets", element, cid, f"{at}.{field}", hint))

    if not c.description:
        need("description", "description", "what the dataset is and what it is used for")
    if not index.data_of(cid):
        need("content and sensitivity", "contains", "the data assets it holds (their classes)")
    if c.origin is None:
        need("origin", "origin", "internal, public, scraped, vendor, user_feedback or synthetic")
    if not c.provenance:
        need("provenance", "provenance", "where its records come from and how they were made")
    if not supplier_of(model, c):
        need("producer", "provider", "who supplies the dataset")
    if not c.license:
        need("licence", "license", "an SPDX expression, or `LicenseRef-<name>`")
    if not c.hash:
        need("hash", "hash", "`sha256:<hex>` of the snapshot in use")
    if not c.size:
        need("statistical properties", "size", "how many records, tokens or bytes")
    return gaps


def check_elements(loaded: LoadedModel) -> list[Gap]:
    """Every minimum element the model does not yet say, cluster by cluster."""
    index, model = loaded.index, loaded.model
    s = model.system
    gaps: list[Gap] = []
    if not s.owner:
        gaps.append(Gap("metadata", "author", "system", "system.owner", "who answers for the BOM"))
    for element, field, value, hint in (
        ("producer", "provider", s.provider, "the organisation that makes the system"),
        ("version", "version", s.version, "the system's release"),
        ("intended application area", "intended_use", s.intended_use, "what it is for"),
    ):
        if not value:
            gaps.append(Gap("system", element, "system", f"system.{field}", hint))
    if not model.flows:
        gaps.append(Gap("system", "data flow", "system", "flows", "how data moves between parts"))
    if not model.data:
        gaps.append(Gap("system", "data usage", "system", "data", "the kinds of data it handles"))
    for cid, c in model.components.items():
        if has(c.kind, Trait.model):
            gaps += _model_gaps(index, cid, c)
        elif isinstance(c, Dataset):
            gaps += _dataset_gaps(index, cid, c)
    if not s.infrastructure:
        gaps.append(
            Gap(
                "infrastructure",
                "software and hardware",
                "system",
                "system.infrastructure",
                "what it runs on",
            )
        )
    if not any(ref.implemented for _, ref in control_claims(index)):
        gaps.append(
            Gap("security", "controls", "system", "controls", "the controls in place, anywhere")
        )
    if not s.compliance:
        gaps.append(
            Gap("security", "compliance", "system", "system.compliance", "standards it claims")
        )
    if not s.security_policy:
        gaps.append(
            Gap(
                "security",
                "cybersecurity policy",
                "system",
                "system.security_policy",
                "where the policy is, and how to report a vulnerability",
            )
        )
    order = {c: i for i, c in enumerate(CLUSTERS)}
    return sorted(gaps, key=lambda g: order[g.cluster])


def render_gaps(loaded: LoadedModel, gaps: list[Gap]) -> str:
    """The gaps for a terminal: one line each, with where the element belongs in the file."""
    name = terminal_text(loaded.model.system.name)
    if not gaps:
        return f"{name}: the model says every AI-BOM minimum element tmcode checks.\n"
    out = [f"{name}: {len(gaps)} AI-BOM minimum elements not yet said"]
    cluster = None
    for g in gaps:
        if g.cluster != cluster:
            cluster = g.cluster
            out += ["", cluster]
        where = loaded.location(g.address)
        line = f":{where.line}" if where.line else ""
        out.append(
            f"  {terminal_text(where.file)}{line}: {terminal_text(g.address)}: {g.element}"
            f" — set `{terminal_text(g.field)}`: {g.hint}"
        )
    return "\n".join(out) + "\n"
