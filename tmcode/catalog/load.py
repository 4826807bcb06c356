"""Load and compile the threat catalog: bundled threats plus any custom catalog directories."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tmcode.catalog.controls import CatalogError, Control, bundled_catalog_dir, load_controls
from tmcode.catalog.conditions import ConditionError, Predicate, Subject, compile_condition
from tmcode.catalog.overlaps import Overlap, load_overlaps
from tmcode.catalog.schema import Threat
from tmcode.errors import ModelError, Problem
from tmcode.model.diagnose import did_you_mean, problems_from_validation
from tmcode.model.elements import KIND_CLASSES
from tmcode.model.kinds import Trait, kinds_with
from tmcode.model.enums import FlowKind
from tmcode.model.references import ThreatNames
from tmcode.model.yaml_reader import ReadLimits, position, read_yaml_file


@dataclass(frozen=True)
class CompiledThreat:
    """A threat with its condition compiled, and the file it came from."""

    threat: Threat
    predicate: Predicate
    subject: Subject
    file: str
    # Each control set's `when`, compiled (None: the set applies wherever the threat does).
    set_conditions: tuple[Predicate | None, ...] = ()


@dataclass(frozen=True)
class Catalog:
    """Every threat and control tmcode evaluates with, keyed by id."""

    threats: dict[str, CompiledThreat] = field(default_factory=dict)
    controls: dict[str, Control] = field(default_factory=dict)
    overlaps: tuple[Overlap, ...] = ()  # threats about the same harm (overlaps.yaml)

    def references(self) -> set[str]:
        """Every reference any threat cites."""
        return {r for t in self.threats.values() for r in t.threat.references}

    def threat_names(self) -> ThreatNames:
        """What a model's decisions may name: the threat ids and the references they cite."""
        return ThreatNames(frozenset(self.threats), frozenset(self.references()))


def load_catalog(extra: list[Path] | None = None) -> Catalog:
    """Load the bundled catalog and each extra directory; raise CatalogError on any problem."""
    directories = [bundled_catalog_dir(), *(extra or [])]
    for directory in directories:
        if not directory.is_dir():
            raise CatalogError(
                Problem(str(directory), None, None, "no such catalog directory", "check --catalog")
            )
    controls = load_controls(list(extra or []))
    threats: dict[str, CompiledThreat] = {}
    problems: list[Problem] = []
    for directory in directories:
        for path in threat_files(directory):
            try:
                compiled = _load_threat(path, controls)
            except (CatalogError, ModelError) as exc:
                problems += exc.problems
                continue
            if compiled.threat.id in threats:
                problems.append(
                    Problem(
                        str(path),
                        1,
                        1,
                        f"threat id `{compiled.threat.id}` is already defined in "
                        f"{threats[compiled.threat.id].file}",
                        "ids are never reused: pick a new id",
                    )
                )
                continue
            threats[compiled.threat.id] = compiled
    overlaps, wrong = load_overlaps(directories, threats)
    problems += wrong
    if problems:
        raise CatalogError(problems)
    return Catalog(dict(sorted(threats.items())), controls, overlaps)


def threat_files(directory: Path) -> list[Path]:
    """The threat files of one catalog directory, in load order."""
    return sorted(directory.glob("threats/**/*.yaml"))


def catalog_files(extra: list[Path] | None = None) -> list[Path]:
    """Every file loading the catalog reads: each directory's controls.yaml and threats."""
    directories = [bundled_catalog_dir(), *(extra or [])]
    return [
        p
        for d in directories
        for p in [d / "controls.yaml", *threat_files(d), d / "overlaps.yaml"]
        if p.name != "overlaps.yaml" or p.exists()
    ]


def _target_subject(threat: Threat, raw: Any, path: str) -> Subject:
    vocabulary = {
        "component": set(KIND_CLASSES),
        "permission": set(KIND_CLASSES) - kinds_with(Trait.no_permission),
        "flow": {k.value for k in FlowKind},
        "system": set(),
    }[threat.target]
    for i, kind in enumerate(threat.kinds):
        if kind not in vocabulary:
            line, col = position(raw, ("kinds", i))
            raise CatalogError(
                Problem(
                    path,
                    line,
                    col,
                    f"`{kind}` is not a kind a {threat.target} target has",
                    did_you_mean(kind, vocabulary) or "fix `kinds`",
                )
            )
    if threat.target in ("component", "permission"):
        return Subject(threat.target, frozenset(threat.kinds))
    return Subject(threat.target)


class DriftCheck(Predicate):
    """A repository threat's condition: one named drift check, run by tmcode.discover.drift."""

    def __init__(self, name: str) -> None:
        self.name = name

    def test(self, ctx: Any, subject: Subject, key: str) -> Any:
        raise TypeError("drift checks run in tmcode.discover.drift, not in the predicate engine")


def _drift_check(threat: Threat, raw: Any, path: str) -> DriftCheck:
    from tmcode.discover.drift import CHECKS

    when = threat.when
    name = when.get("drift") if len(when) == 1 else None
    if not isinstance(name, str) or name not in CHECKS or threat.kinds:
        line, col = position(raw, ("when",))
        raise CatalogError(
            Problem(
                path,
                line,
                col,
                "a repository threat's condition is `{drift: CHECK}` (and no `kinds`), with CHECK "
                "one of: " + ", ".join(CHECKS),
                (did_you_mean(name, CHECKS) if isinstance(name, str) else "")
                or "name a drift check",
            )
        )
    return DriftCheck(name)


def _load_threat(path: Path, controls: dict[str, Control]) -> CompiledThreat:
    name = str(path)
    raw = read_yaml_file(
        path,
        ReadLimits(max_bytes=1024 * 1024),
        expected="a threat file",
        size_hint="a threat file this large is not one; split it",
    )
    try:
        threat = Threat.model_validate(raw)
    except ValidationError as exc:
        raise CatalogError(problems_from_validation(exc, raw, name)) from None
    if threat.id != path.stem:
        line, col = position(raw, ("id",))
        raise CatalogError(
            Problem(
                name,
                line,
                col,
                f"threat `{threat.id}` is in a file named `{path.name}`",
                f"name the file `{threat.id}.yaml`",
            )
        )
    if threat.target == "repository":
        return CompiledThreat(threat, _drift_check(threat, raw, name), Subject("repository"), name)
    subject = _target_subject(threat, raw, name)
    predicate = _compile(raw["when"], subject, raw, ("when",), name)
    # Sets that share a condition (a YAML alias) share its compiled predicate, tested once.
    compiled_when: dict[str, Predicate] = {}
    conditions: list[Predicate | None] = []
    for i, control_set in enumerate(threat.mitigations):
        if control_set.when is None:
            conditions.append(None)
            continue
        key = repr(control_set.when)
        if key not in compiled_when:
            loc = ("mitigations", i, "when")
            compiled_when[key] = _compile(control_set.when, subject, raw, loc, name)
        conditions.append(compiled_when[key])
    set_conditions = tuple(conditions)
    for i, control_set in enumerate(threat.mitigations):
        for j, cid in enumerate(control_set.all):
            if cid not in controls:
                line, col = position(raw, ("mitigations", i, "all", j))
                raise CatalogError(
                    Problem(
                        name,
                        line,
                        col,
                        f"unknown control `{cid}`",
                        did_you_mean(cid, controls) or "define it in controls.yaml",
                    )
                )
    return CompiledThreat(threat, predicate, subject, name, set_conditions)


def _compile(
    condition: Any, subject: Subject, raw: Any, loc: tuple[Any, ...], name: str
) -> Predicate:
    """Compile one condition of a threat file, or raise CatalogError at its line."""
    try:
        return compile_condition(condition, subject)
    except ConditionError as exc:
        line, col = position(raw, (*loc, *exc.loc))
        raise CatalogError(
            Problem(
                name,
                line,
                col,
                f"condition: {exc.message}",
                "see the condition language in docs/writing-threats.md",
            )
        ) from None
