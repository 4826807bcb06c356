"""Load a model file (YAML or Python) into a validated Model with source positions."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from functools import cache, cached_property

from pydantic import TypeAdapter, ValidationError

from tmcode._gc import gc_paused
from tmcode.errors import ModelError, Problem
from tmcode.model.diagnose import closest, problems_from_validation
from tmcode.model.address import (
    SYSTEM_ADDRESS,
    artifact_address,
    flow_address,
    permission_address,
    trained_on_address,
)
from tmcode.model.elements import ID_PATTERN, KIND_CLASSES, LLM, Agent, Model, System
from tmcode.input_file import decode_utf8, read_input_bytes
from tmcode.model.index import ModelIndex
from tmcode.model.references import ThreatNamesSource, Unvalidated, check_references
from tmcode.model.yaml_reader import Mapping, ReadLimits, position, read_yaml


@dataclass(frozen=True)
class Location:
    """Where an element was written: a file, and a 1-based line and column when known."""

    file: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class LoadedModel:
    """A validated model, the file it came from, and where each element was written."""

    model: Model
    path: str
    locations: dict[str, Location] = field(default_factory=dict)

    def location(self, address: str) -> Location:
        """Return where the element at ``address`` was written (the file if unknown)."""
        return self.locations.get(address, Location(self.path))

    @cached_property
    def index(self) -> ModelIndex:
        """The model's index, built on first use and shared by every later stage."""
        return ModelIndex.build(self.model)


def load_model(
    path: str | os.PathLike[str],
    *,
    limits: ReadLimits | None = None,
    known_controls: frozenset[str] | None = None,
    known_threats: ThreatNamesSource | None = None,
) -> LoadedModel:
    """Load and validate one model file, raising ModelError with every problem found.

    ``known_controls`` and ``known_threats`` (asked only for a model with decisions) come from
    the catalog; without them, control ids and decision threats are not checked.
    """
    path = Path(path)
    name = str(path)
    limits = limits or ReadLimits()
    if path.suffix == ".py":
        return load_python_model(
            path, known_controls=known_controls, known_threats=known_threats, limits=limits
        )
    data = read_input_bytes(path, limits.max_bytes, size_hint=_SIZE_HINT)
    text = decode_utf8(data, name)
    return load_model_text(
        text, name, limits=limits, known_controls=known_controls, known_threats=known_threats
    )


_SIZE_HINT = "split the model, or raise --max-bytes if it really is this large"


def load_model_text(
    text: str,
    path: str = "<model>",
    *,
    limits: ReadLimits | None = None,
    known_controls: frozenset[str] | None = None,
    known_threats: ThreatNamesSource | None = None,
) -> LoadedModel:
    """Load and validate a model from YAML text; ``path`` names it in messages."""
    with gc_paused():
        return _load_model_text(text, path, limits, known_controls, known_threats)


def _load_model_text(
    text: str,
    path: str,
    limits: ReadLimits | None,
    known_controls: frozenset[str] | None,
    known_threats: ThreatNamesSource | None,
) -> LoadedModel:
    raw = read_yaml(text, path, limits)
    if not isinstance(raw, Mapping):
        raise ModelError(
            Problem(
                path,
                getattr(raw, "line", 1),
                getattr(raw, "column", 1),
                "the top level of a model must be a mapping",
                "start the file with `tmcode: 1`, then `system:`, `boundaries:`, `components:`",
            )
        )
    try:
        model = Model.model_validate(raw)
    except ValidationError as exc:
        problems = problems_from_validation(exc, raw, path)
        # Report the reference problems of the parts that did validate too: all at once.
        problems += _partial_reference_problems(raw, path, known_controls, known_threats)
        raise ModelError(
            sorted(set(problems), key=lambda p: (p.line or 0, p.column or 0, p.message))
        ) from None
    problems = check_references(model, path, raw, known_controls, known_threats)
    if problems:
        raise ModelError(problems)
    return LoadedModel(canonical_order(model), path, _locations(raw, path))


_ID = re.compile(ID_PATTERN)


@cache
def _adapters() -> dict[str, TypeAdapter[Any]]:
    from tmcode.model.elements import Boundary, Component, DataAsset, Flow, RiskDecision

    return {
        "boundaries": TypeAdapter(Boundary),
        "data": TypeAdapter(DataAsset),
        "components": TypeAdapter(Component),
        "flows": TypeAdapter(Flow),
        "decisions": TypeAdapter(RiskDecision),
    }


def _partial_reference_problems(
    raw: Mapping,
    path: str,
    known: frozenset[str] | None,
    known_threats: ThreatNamesSource | None,
) -> list[Problem]:
    """Check the references among the elements that validated, in a file that did not."""
    adapters = _adapters()
    invalid: set[str] = set()
    parts: dict[str, Any] = {}
    for section in ("boundaries", "data", "components"):
        block = raw.get(section)
        parts[section] = {}
        if isinstance(block, dict):
            for key, value in block.items():
                try:
                    if not isinstance(key, str) or not _ID.match(key):
                        raise ValueError(key)
                    parts[section][key] = adapters[section].validate_python(value)
                except (ValidationError, ValueError):
                    invalid.add(str(key))
    index: dict[str, list[int]] = {}
    for section in ("flows", "decisions"):
        block = raw.get(section)
        parts[section], index[section] = [], []
        if isinstance(block, list):
            for i, value in enumerate(block):
                try:
                    parts[section].append(adapters[section].validate_python(value))
                    index[section].append(i)
                except ValidationError:
                    if isinstance(value, dict):
                        invalid.add(str(value.get("id") or _raw_flow_address(value)))
    try:
        system = System.model_validate(raw.get("system"))
    except ValidationError:
        system = System(name="?")
    partial = Model.model_construct(tmcode=1, system=system, **parts)

    def locate(loc: tuple[Any, ...]) -> tuple[int | None, int | None]:
        if loc and loc[0] in index and len(loc) > 1 and isinstance(loc[1], int):
            loc = (loc[0], index[loc[0]][loc[1]], *loc[2:])
        return position(raw, loc)

    failed = Unvalidated(frozenset(invalid), _unusable_sections(raw))
    return check_references(partial, path, raw, known, known_threats, failed=failed, locate=locate)


# The sections references point into, and the shape each must have to be used at all.
_SHAPES: dict[str, type] = {"boundaries": dict, "data": dict, "components": dict, "flows": list}


def _unusable_sections(raw: Mapping) -> frozenset[str]:
    """Name the sections that failed as a whole: every reference into them would be noise."""
    keys = [info.alias or name for name, info in Model.model_fields.items()]
    misspelt = {closest(key, keys) for key in raw if key not in keys}
    unusable = set()
    for section, shape in _SHAPES.items():
        if section in raw:
            if not isinstance(raw[section], shape):
                unusable.add(section)
        elif section in misspelt or Model.model_fields[section].is_required():
            unusable.add(section)
    return frozenset(unusable)


def _raw_flow_address(flow: dict[Any, Any]) -> str:
    return flow_address(flow.get("from"), flow.get("to"))


def canonical_order(model: Model) -> Model:
    """Sort every id-keyed map, so that the order of keys in a file never changes an output."""
    for component in model.components.values():
        if isinstance(component, Agent) and component.tools:
            component.tools = dict(sorted(component.tools.items()))
    update: dict[str, Any] = {
        name: dict(sorted(getattr(model, name).items()))
        for name in ("boundaries", "data", "components")
        if name in model.model_fields_set
    }
    return model.model_copy(update=update)


def _locations(raw: Mapping, path: str) -> dict[str, Location]:
    """Map every addressable element to the line and column where it was written."""
    here: dict[str, Location] = {}

    def put(address: str, container: Any, key: Any) -> None:
        marks = container.key_marks if isinstance(container, Mapping) else container.item_marks
        mark = marks[key]
        here.setdefault(address, Location(path, mark.line + 1, mark.column + 1))

    if "system" in raw.key_marks:
        put(SYSTEM_ADDRESS, raw, "system")
    for section in ("boundaries", "data", "components"):
        block = raw.get(section)
        if isinstance(block, Mapping):
            for ident in block:
                put(str(ident), block, ident)
    components = raw.get("components")
    if isinstance(components, Mapping):
        for cid, component in components.items():
            if not isinstance(component, Mapping):
                continue
            kind = component.get("kind")
            cls = KIND_CLASSES.get(kind) if isinstance(kind, str) else None
            tools = component.get("tools")
            if isinstance(tools, Mapping) and cls is Agent:
                for target in tools:
                    put(permission_address(str(cid), str(target)), tools, target)
            if cls is LLM:
                if "artifact" in component:
                    put(artifact_address(str(cid)), component, "artifact")
                trained = component.get("trained_on")
                if isinstance(trained, list):
                    for index, dataset in enumerate(trained):
                        put(trained_on_address(str(cid), str(dataset)), trained, index)
    decisions = raw.get("decisions")
    if isinstance(decisions, list):
        for index in range(len(decisions)):
            put(f"decisions[{index}]", decisions, index)
    flows = raw.get("flows")
    if isinstance(flows, list):
        for index, flow in enumerate(flows):
            if isinstance(flow, Mapping):
                address = flow.get("id") or _raw_flow_address(flow)
                put(str(address), flows, index)
    return here


def load_python_model(
    path: Path,
    *,
    known_controls: frozenset[str] | None = None,
    known_threats: ThreatNamesSource | None = None,
    limits: ReadLimits | None = None,
) -> LoadedModel:
    """Run a Python model file in a child process and validate the ``model`` it defines."""
    from tmcode.model.python_model import run_python_model

    limits = limits or ReadLimits()
    name = str(path)
    source = read_input_bytes(path, limits.max_bytes, size_hint=_SIZE_HINT)
    decode_utf8(source, name, what="Python")
    data = run_python_model(
        path,
        source,
        timeout=limits.python_timeout,
        max_bytes=4 * limits.max_bytes,
        while_running=Model.model_rebuild,  # build the validator while the child works
    )
    # Validate what the code built, as a YAML file would be.
    try:
        model = Model.model_validate(data)
    except ValidationError as exc:
        raise ModelError(problems_from_validation(exc, None, name)) from None
    problems = check_references(model, name, None, known_controls, known_threats)
    if problems:
        raise ModelError(problems)
    return LoadedModel(canonical_order(model), name, {})
