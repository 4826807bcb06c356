"""Threats about the same harm reach the same verdict from the same controls (overlaps.yaml)."""

from __future__ import annotations

import copy
import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

from tmcode.catalog.conditions import EvalContext, Subject
from tmcode.catalog.load import Catalog, CompiledThreat, load_catalog
from tmcode.catalog.overlaps import Overlap
from tmcode.engine import evaluate_model
from tmcode.graph import flow_graph
from tmcode.model.load import LoadedModel, load_model_text
from tmcode.report import Finding, Status

TODAY = dt.date(2026, 1, 1)
FIXTURES = sorted((ROOT / "tests" / "threats").glob("*/*.yaml")) + sorted(
    (ROOT / "tests" / "benign").glob("*.yaml")
)
FIXTURES = [p for p in FIXTURES if p.name != "expected.yaml"]


@cache
def catalog() -> Catalog:
    """The bundled catalog, loaded once."""
    return load_catalog()


def _load(raw: dict[str, Any], name: str) -> LoadedModel:
    return load_model_text(yaml.safe_dump(raw, sort_keys=False), name)


def _findings(loaded: LoadedModel) -> dict[tuple[str, str], Finding]:
    found, _ = evaluate_model(loaded, catalog(), today=TODAY)
    return {(f.threat, f.target): f for f in found}


def _offered(compiled: CompiledThreat, loaded: LoadedModel, target: str) -> list[int]:
    """The indexes of the control sets offered on ``target`` (their `when` holds there)."""
    ctx = EvalContext(loaded.index, flow_graph(loaded.model, loaded.index))
    # The loader compiles one condition per set (None for a set without `when`).
    assert len(compiled.set_conditions) == len(compiled.threat.mitigations)
    return [
        n
        for n, where in enumerate(compiled.set_conditions)
        if where is None or where.test(ctx, compiled.subject, target).ok
    ]


def _declare(raw: dict[str, Any], loaded: LoadedModel, target: str, place: str, ids: list[str]):
    """A copy of ``raw`` with the controls declared, implemented, at one place of ``target``."""
    raw = copy.deepcopy(raw)
    index = loaded.index
    if place == "system":
        holder = raw["system"]
    elif place == "target" and target in index.permissions:
        entry = index.permissions[target]
        holder = raw["components"][entry.agent]["tools"][entry.target]
    elif place == "subject" and target in index.permissions:
        holder = raw["components"][index.permissions[target].target]
    elif target in raw["components"]:
        holder = raw["components"][target]
    else:
        return None
    kept = [
        c for c in holder.get("controls", []) if (c if isinstance(c, str) else c["id"]) not in ids
    ]
    holder["controls"] = kept + ids
    return raw


def _shared(overlap: Overlap) -> list[tuple[Path, str, str, str]]:
    """(fixture, target, threat A, threat B) where A and B both fire and the overlap holds."""
    cases = []
    for path in FIXTURES:
        loaded = _load(yaml.safe_load(path.read_text()), str(path))
        findings = _findings(loaded)
        ctx = EvalContext(loaded.index, flow_graph(loaded.model, loaded.index))
        targets = {t for (threat, t) in findings if threat in overlap.threats}
        for target in sorted(targets):
            if (
                overlap.where is not None
                and not overlap.where.test(ctx, Subject(overlap.target), target).ok
            ):
                continue
            firing = [t for t in overlap.threats if (t, target) in findings]
            cases += [(path, target, a, b) for a in firing for b in firing if a != b]
    return cases


@cache
def _cases() -> list[Any]:
    return [
        pytest.param(
            o, *case, id=f"{case[2]}~{case[3]}@{case[0].parent.name}/{case[0].stem}:{case[1]}"
        )
        for o in catalog().overlaps
        for case in _shared(o)
    ]


def test_every_overlap_is_exercised_by_a_fixture() -> None:
    """Each overlap group is met on at least one fixture, so its pairs are really checked."""
    met = {id(case.values[0]) for case in _cases()}
    assert all(id(o) in met for o in catalog().overlaps)


@pytest.mark.parametrize(("overlap", "path", "target", "one", "other"), _cases())
def test_each_set_of_one_mitigates_the_other(
    overlap: Overlap, path: Path, target: str, one: str, other: str
) -> None:
    """Declared where the credit model counts it, every set of `one` mitigates `other` too."""
    raw = yaml.safe_load(path.read_text())
    loaded = _load(raw, str(path))
    compiled = catalog().threats[one]
    checked = 0
    for n in _offered(compiled, loaded, target):
        control_set = compiled.threat.mitigations[n]
        for place in [p for p in control_set.on if p in ("target", "subject", "system")]:
            changed = _declare(raw, loaded, target, place, list(control_set.all))
            if changed is None:
                continue
            findings = _findings(_load(changed, str(path)))
            assert findings[(one, target)].status is Status.mitigated, (n, place)
            assert findings[(other, target)].status is Status.mitigated, (
                f"{one}'s set {control_set.all} on the {place} mitigates {one} "
                f"but not {other} on {target}"
            )
            checked += 1
    assert checked


def test_every_finding_on_the_fixtures_offers_a_control_set() -> None:
    """A set's `when` never leaves a finding with no way to mitigate it."""
    for path in FIXTURES:
        loaded = _load(yaml.safe_load(path.read_text()), str(path))
        for f in _findings(loaded).values():
            if catalog().threats[f.threat].threat.target != "repository":
                assert f.controls, f"{f.threat} on {f.target} in {path} offers no control set"


def test_an_overlap_naming_an_unknown_or_unfitting_threat_is_refused(tmp_path: Path) -> None:
    """overlaps.yaml is checked at load: unknown ids (with a suggestion) and other targets."""
    from tmcode.catalog.overlaps import load_overlaps

    (tmp_path / "overlaps.yaml").write_text(
        "overlaps:\n"
        "  - harm: the same harm twice over\n"
        "    target: permission\n"
        "    threats: [AG-001, OUT-031, PI-002]\n"
    )
    overlaps, problems = load_overlaps([tmp_path], catalog().threats)
    assert overlaps == ()
    assert [(p.line, p.message) for p in problems] == [
        (4, "unknown threat `OUT-031` in an overlap"),
        (4, "`PI-002` targets a component, not a permission"),
    ]
    assert "did you mean" in problems[0].hint
