"""Threats about the same harm: `overlaps.yaml`, checked when the catalog loads.

Where an overlap's `when` holds on an element that two of its threats both fire on, every control
set of one mitigates the other too (tests/test_overlaps.py checks it on the fixtures).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from tmcode.catalog.conditions import ConditionError, Predicate, Subject, compile_condition
from tmcode.catalog.schema import THREAT_ID_PATTERN
from tmcode.errors import Problem
from tmcode.model.diagnose import did_you_mean, problems_from_validation
from tmcode.model.yaml_reader import ReadLimits, position, read_yaml_file

if TYPE_CHECKING:
    from tmcode.catalog.load import CompiledThreat


class _Overlap(BaseModel):
    """One harm several threats are about, and where they are about the same thing."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    harm: Annotated[str, StringConstraints(min_length=10)]
    target: Literal["component", "permission", "flow"]
    threats: list[Annotated[str, StringConstraints(pattern=THREAT_ID_PATTERN)]] = Field(
        min_length=2
    )
    when: dict[str, Any] | None = None


class _OverlapFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    overlaps: list[_Overlap]


@dataclass(frozen=True)
class Overlap:
    """Threats about one harm; ``where`` (None: everywhere they both fire) limits the claim."""

    harm: str
    target: str
    threats: tuple[str, ...]
    where: Predicate | None


def load_overlaps(
    directories: list[Path], threats: dict[str, CompiledThreat]
) -> tuple[tuple[Overlap, ...], list[Problem]]:
    """Read each directory's ``overlaps.yaml``; every threat named must exist and fit."""
    found: list[Overlap] = []
    problems: list[Problem] = []
    for directory in directories:
        path = directory / "overlaps.yaml"
        if not os.path.lexists(path):
            continue
        name = str(path)
        raw = read_yaml_file(
            path, ReadLimits(max_bytes=1024 * 1024), expected="an overlaps.yaml file"
        )
        try:
            parsed = _OverlapFile.model_validate(raw)
        except ValidationError as exc:
            problems += problems_from_validation(exc, raw, name)
            continue
        for i, overlap in enumerate(parsed.overlaps):
            bad = False
            for j, tid in enumerate(overlap.threats):
                line, col = position(raw, ("overlaps", i, "threats", j))
                known = threats.get(tid)
                if known is None:
                    problems.append(
                        Problem(
                            name,
                            line,
                            col,
                            f"unknown threat `{tid}` in an overlap",
                            did_you_mean(tid, threats) or "name a threat of the catalog",
                        )
                    )
                    bad = True
                elif known.threat.target != overlap.target:
                    problems.append(
                        Problem(
                            name,
                            line,
                            col,
                            f"`{tid}` targets a {known.threat.target}, not a {overlap.target}",
                            "threats overlap only on the same kind of element",
                        )
                    )
                    bad = True
            where = None
            if overlap.when is not None:
                try:
                    where = compile_condition(overlap.when, Subject(overlap.target))
                except ConditionError as exc:
                    line, col = position(raw, ("overlaps", i, "when", *exc.loc))
                    problems.append(
                        Problem(
                            name,
                            line,
                            col,
                            f"condition: {exc.message}",
                            "see the condition language in docs/writing-threats.md",
                        )
                    )
                    bad = True
            if not bad:
                found.append(Overlap(overlap.harm, overlap.target, tuple(overlap.threats), where))
    return tuple(found), problems
