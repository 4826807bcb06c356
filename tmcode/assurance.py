"""The assurance cross-walk: lifecycle guidance items, the controls that address each, and how
far a model has them.

The guidance items live in ``catalog/assurance.yaml`` (our own short paraphrases, each with its
source and link). A control's state in a model is the strongest of its declarations:
``implemented`` (declared in place, with evidence), ``declared`` (declared in place, no
evidence), ``planned`` (declared `status: planned`) or ``missing``; an item takes the strongest
state of its controls, or ``not_applicable`` when the system lacks the parts it is about.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tmcode.catalog.controls import CatalogError, Control, Stage, bundled_catalog_dir
from tmcode.errors import ModelError, Problem
from tmcode.model.address import SYSTEM_ADDRESS
from tmcode.model.diagnose import did_you_mean, problems_from_validation
from tmcode.model.elements import LLM, Agent, ControlRef, Id, Text
from tmcode.model.enums import FlowKind, Hosting
from tmcode.model.index import ModelIndex
from tmcode.model.kinds import Trait, has
from tmcode.model.load import LoadedModel
from tmcode.model.yaml_reader import position, read_yaml_file
from tmcode.render.escape import json_text, markdown_code, markdown_text, terminal_text

# What an item may be limited to: the parts of a system it is about.
Part = Literal["agents", "tools", "training", "weights", "stores", "generative"]
# Where a control must be declared to count for an item: on a part with this trait.
Scope = Literal["models", "datasets"]
_SCOPE_TRAIT = {"models": Trait.model, "datasets": Trait.dataset}
STAGES: tuple[Stage, ...] = ("design", "development", "deployment", "operation", "decommissioning")


class State(str, Enum):
    """How far a model has a control, or an item: strongest first."""

    implemented = "implemented"
    declared = "declared"
    planned = "planned"
    missing = "missing"
    not_applicable = "not_applicable"


_RANK = {s: i for i, s in enumerate(State)}


class Source(BaseModel):
    """A guidance document items are drawn from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Text
    publisher: Text
    year: int
    url: Text


class Item(BaseModel):
    """One guidance item in our words, its source, and the catalog controls that address it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Text
    source: Id
    ref: str | None = None
    stage: Stage
    text: Text
    controls: list[Id] = Field(min_length=1)
    when: list[Part] = Field(default_factory=list)
    scope: Scope | None = None
    url: str | None = None


class GuidanceFile(BaseModel):
    """The shape of ``assurance.yaml``."""

    model_config = ConfigDict(extra="forbid")

    sources: dict[Id, Source]
    items: list[Item]


@dataclass(frozen=True)
class Guidance:
    """The loaded guidance: its sources and items, every control id checked."""

    sources: dict[str, Source]
    items: tuple[Item, ...]

    def link(self, item: Item) -> str:
        """The item's own link, else its source's."""
        return item.url or self.sources[item.source].url


def load_guidance(controls: dict[str, Control], path: Path | None = None) -> Guidance:
    """Read and check ``assurance.yaml``: every source and control id must be known."""
    path = path or bundled_catalog_dir() / "assurance.yaml"
    name = str(path)
    try:
        raw = read_yaml_file(path, expected="an assurance.yaml file")
        parsed = GuidanceFile.model_validate(raw)
    except ModelError as exc:
        raise CatalogError(exc.problems) from None
    except ValidationError as exc:
        raise CatalogError(problems_from_validation(exc, raw, name)) from None
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, item in enumerate(parsed.items):
        if item.id in seen:
            line, col = position(raw, ("items", i, "id"))
            problems.append(
                Problem(name, line, col, f"item `{item.id}` is listed twice", "give it a new id")
            )
        seen.add(item.id)
        if item.source not in parsed.sources:
            line, col = position(raw, ("items", i, "source"))
            hint = did_you_mean(item.source, parsed.sources) or "add it under `sources:`"
            problems.append(Problem(name, line, col, f"unknown source `{item.source}`", hint))
        for j, cid in enumerate(item.controls):
            if cid not in controls:
                line, col = position(raw, ("items", i, "controls", j))
                hint = did_you_mean(cid, controls) or "run `tmcode controls` for the known ids"
                problems.append(
                    Problem(name, line, col, f"item `{item.id}`: unknown control `{cid}`", hint)
                )
    if problems:
        raise CatalogError(problems)
    return Guidance(dict(parsed.sources), tuple(parsed.items))


@dataclass(frozen=True)
class Declaration:
    """One place a model declares a control."""

    address: str
    status: str
    evidence: str | None


@dataclass(frozen=True)
class ControlState:
    """A control as a model has it: its state and where it is declared."""

    id: str
    state: State
    declarations: tuple[Declaration, ...]


@dataclass(frozen=True)
class Row:
    """One guidance item against one model."""

    item: Item
    link: str
    state: State
    controls: tuple[ControlState, ...]


@dataclass(frozen=True)
class CrossWalk:
    """The cross-walk of one model."""

    system: str
    name: str
    guidance: Guidance
    rows: tuple[Row, ...]

    def counts(self) -> dict[str, int]:
        """How many items are in each state."""
        return {s.value: sum(1 for r in self.rows if r.state is s) for s in State}


def control_claims(index: ModelIndex) -> Iterator[tuple[str, ControlRef]]:
    """Every control the model declares, with the address it is declared on."""
    return index.declared_controls()


def parts(index: ModelIndex) -> frozenset[str]:
    """The parts of the system that items may be limited to."""
    found: set[str] = set()
    for c in index.model.components.values():
        if isinstance(c, Agent):
            found.add("agents")
        if has(c.kind, Trait.callable_tool) or isinstance(c, Agent) and c.tools:
            found.add("tools")
        if has(c.kind, Trait.dataset) or isinstance(c, LLM) and c.trained_on:
            found.add("training")
        # Weights the system holds itself: any model but an LLM reached through a vendor's API.
        if has(c.kind, Trait.model) and not (
            isinstance(c, LLM) and c.assumed("hosting") is Hosting.vendor_api
        ):
            found.add("weights")
        if has(c.kind, Trait.holds_data):
            found.add("stores")
        if has(c.kind, Trait.generates):
            found.add("generative")
    if index.flows_by_kind.get(FlowKind.training_data.value):
        found.add("training")
    return frozenset(found)


def _touches(index: ModelIndex, address: str, trait: Trait) -> bool:
    """True when a declaration at ``address`` is on the system or on a part with ``trait``."""
    if address == SYSTEM_ADDRESS:
        return True
    ends = [address]
    permission = index.permissions.get(address)
    if permission is not None:
        ends = [permission.target]
    flow = index.flows.get(address)
    if flow is not None:
        ends = [flow.from_, flow.to]
    components = index.model.components
    return any(e in components and has(components[e].kind, trait) for e in ends)


def _state_of(declarations: list[Declaration]) -> State:
    if any(d.status == "implemented" and d.evidence for d in declarations):
        return State.implemented
    if any(d.status == "implemented" for d in declarations):
        return State.declared
    return State.planned if declarations else State.missing


def cross_walk(loaded: LoadedModel, guidance: Guidance) -> CrossWalk:
    """Cross-walk one model against every guidance item."""
    index, model = loaded.index, loaded.model
    declared: dict[str, list[Declaration]] = {}
    for address, ref in control_claims(index):
        declared.setdefault(ref.id, []).append(Declaration(address, ref.status.value, ref.evidence))
    present = parts(index)
    rows = []
    for item in guidance.items:
        scoped = {
            cid: [
                d
                for d in declared.get(cid, [])
                if item.scope is None or _touches(index, d.address, _SCOPE_TRAIT[item.scope])
            ]
            for cid in item.controls
        }
        states = tuple(
            ControlState(cid, _state_of(scoped[cid]), tuple(scoped[cid])) for cid in item.controls
        )
        if not set(item.when) <= present:
            state = State.not_applicable
        else:
            state = min((c.state for c in states), key=_RANK.__getitem__)
        rows.append(Row(item, guidance.link(item), state, states))
    system = model.system
    return CrossWalk(system.id or Path(loaded.path).stem, system.name, guidance, tuple(rows))


def as_json_data(cw: CrossWalk) -> dict[str, Any]:
    """The cross-walk as plain JSON data."""
    return {
        "schema_version": 1,
        "system": {"id": cw.system, "name": cw.name},
        "summary": cw.counts(),
        "sources": {
            key: source.model_dump(mode="json") for key, source in cw.guidance.sources.items()
        },
        "items": [
            {
                "id": r.item.id,
                "source": r.item.source,
                "ref": r.item.ref,
                "stage": r.item.stage,
                "text": r.item.text,
                "link": r.link,
                "state": r.state.value,
                "controls": [
                    {
                        "id": c.id,
                        "state": c.state.value,
                        "declared_on": [
                            {"address": d.address, "status": d.status, "evidence": d.evidence}
                            for d in c.declarations
                        ],
                    }
                    for c in r.controls
                ],
            }
            for r in cw.rows
        ],
    }


def render_json(cw: CrossWalk) -> str:
    """The cross-walk as stable, indented JSON text."""
    return json_text(json.dumps(as_json_data(cw), indent=2, ensure_ascii=False)) + "\n"


_MARK = {
    State.implemented: "✔",
    State.declared: "◐",
    State.planned: "○",
    State.missing: "✘",
    State.not_applicable: "–",
}


def _summary(cw: CrossWalk) -> str:
    counts = cw.counts()
    return ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items() if n)


def render_text(cw: CrossWalk) -> str:
    """The cross-walk for a terminal: items by lifecycle stage, each with its controls."""
    out = [
        f"Assurance cross-walk: {terminal_text(cw.name)}",
        f"{len(cw.rows)} items: {_summary(cw)}",
    ]
    for stage in STAGES:
        rows = [r for r in cw.rows if r.item.stage == stage]
        if not rows:
            continue
        out += ["", stage]
        for r in rows:
            out.append(f"  {_MARK[r.state]} {r.item.id:24} {r.state.value:14} {r.item.text}")
            if r.state is State.not_applicable:
                continue
            for c in r.controls:
                where = ", ".join(
                    terminal_text(d.address)
                    + (f" ({terminal_text(d.evidence)})" if d.evidence else "")
                    + (" [planned]" if d.status == "planned" else "")
                    for d in c.declarations
                )
                out.append(f"      {c.id:28} {c.state.value:12} {where}".rstrip())
    out += ["", "Sources:"]
    out += [f"  {key}: {s.title} ({s.year}) {s.url}" for key, s in cw.guidance.sources.items()]
    return "\n".join(out) + "\n"


def render_markdown(cw: CrossWalk, heading: str = "##", flavor: str = "gfm") -> str:
    """The cross-walk as Markdown: a table per lifecycle stage; ``flavor`` as markdown_text."""
    out = [
        f"{heading} Assurance cross-walk: {markdown_text(cw.name, flavor)}",
        "",
        f"{len(cw.rows)} guidance items: {_summary(cw)}. A control is *implemented* when it is "
        "declared in place with evidence, *declared* when in place without evidence, *planned* "
        "when declared `status: planned`, and *missing* when the model does not declare it.",
        "",
    ]
    for stage in STAGES:
        rows = [r for r in cw.rows if r.item.stage == stage]
        if not rows:
            continue
        out += [f"{heading}# {stage.capitalize()}", ""]
        out += ["| item | guidance | state | controls |", "|---|---|---|---|"]
        for r in rows:
            controls = "<br>".join(_control_cell(c, flavor) for c in r.controls)
            ref = f" ({r.item.ref})" if r.item.ref else ""
            out.append(
                f"| [{r.item.id}]({r.link}){ref} | {r.item.text} | "
                f"{_MARK[r.state]} {r.state.value.replace('_', ' ')} | {controls} |"
            )
        out.append("")
    out += [f"{heading}# Sources", ""]
    out += [
        f"- `{key}`: [{s.title}]({s.url}), {s.publisher}, {s.year}"
        for key, s in cw.guidance.sources.items()
    ]
    return "\n".join(out) + "\n"


def _control_cell(c: ControlState, flavor: str) -> str:
    evidence = [d.evidence for d in c.declarations if d.evidence]
    cell = f"`{c.id}` {c.state.value}"
    if evidence:
        cell += ": " + ", ".join(markdown_code(e, flavor) for e in evidence)
    return cell


def site_page(cw: CrossWalk) -> str:
    """The cross-walk as a page of the mkdocs site (Python-Markdown)."""
    return render_markdown(cw, heading="#", flavor="python")


def site_page_for(loaded: LoadedModel, controls: dict[str, Control]) -> str:
    """The site page of one model, loading the bundled guidance against ``controls``."""
    return site_page(cross_walk(loaded, load_guidance(controls)))
