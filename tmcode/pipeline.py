"""The whole pipeline for a set of model files: load, check, and hand back the report."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

from tmcode.errors import Problem, TmcodeError
from tmcode.model.yaml_reader import ReadLimits
from tmcode.report import Report


def check_files(
    paths: Sequence[str | os.PathLike[str]],
    *,
    catalogs: Sequence[Path] = (),
    today: dt.date | None = None,
    limits: ReadLimits | None = None,
    repository: Path | None = None,
    reach: bool = False,
) -> Report:
    """Load every model (reporting all their problems at once) and check them against the catalog.

    With ``repository``, the models are also compared with the agent configuration found there;
    with ``reach``, the report carries each model's blast radius and ownership (tmcode.reach).
    """
    from tmcode.catalog.load import load_catalog
    from tmcode.engine import check
    from tmcode.model.load import load_model

    catalog = load_catalog(list(catalogs))
    known = frozenset(catalog.controls)
    names = catalog.threat_names
    problems: list[Problem] = []
    loaded = []
    for path in paths:
        try:
            loaded.append(
                load_model(path, known_controls=known, known_threats=names, limits=limits)
            )
        except TmcodeError as exc:
            problems += exc.problems
    if problems:
        raise TmcodeError(problems)
    found = None
    if repository is not None:
        from tmcode.discover import discover_repository

        found = discover_repository(repository)
    report = check(loaded, catalog, today=today, repository=found)
    return with_reach(report) if reach else report


def with_reach(report: Report) -> Report:
    """The report with each model's blast radius and ownership (``tmcode.reach``) added."""
    from dataclasses import replace

    from tmcode.reach import blast_radius

    radii = [blast_radius(m.index, file=m.path) for m in report.sources]
    return replace(report, reach=radii)
