"""What every command does around the library: report errors, write output, load and check."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

import typer

from tmcode.errors import TmcodeError, UsageError

if TYPE_CHECKING:
    from tmcode.limits import ReadLimits
    from tmcode.model.references import ThreatNames, ThreatNamesSource
    from tmcode.report import Report

T = TypeVar("T")
_DEBUG = "--debug"


def debugging() -> bool:
    """Whether the root ``--debug`` option was given (read before typer parses it)."""
    return _DEBUG in sys.argv


def fail(exc: TmcodeError, debug: bool) -> NoReturn:
    """Print ``exc`` as one clear message and exit 2 (or raise it, with ``--debug``)."""
    typer.echo(exc.diagnostics(), err=True)
    if debug:
        raise exc
    raise typer.Exit(2)


def guard(debug: bool, action: Callable[[], T]) -> T:
    """Run ``action``; report a TmcodeError as one clear message and exit 2."""
    try:
        return action()
    except TmcodeError as exc:
        fail(exc, debug)


def write_output(path: Path, content: str | bytes, inputs: list[Path]) -> None:
    """Write ``content`` to ``path``, never over one of ``inputs``."""
    from tmcode.output import write_output

    write_output(path, content, inputs)


def files_read(models: list[Path], catalog: list[Path] | None, *more: Path | None) -> list[Path]:
    """Every file a run reads: the models, the catalog's files and any report given."""
    from tmcode.catalog.load import catalog_files

    return [*models, *catalog_files(catalog or []), *(p for p in more if p is not None)]


def emit(text: str, output: Path | None, inputs: list[Path], debug: bool) -> None:
    """Print ``text``, or write it to ``output`` (never over an input)."""
    if output is None:
        typer.echo(text, nl=False)
    else:
        guard(debug, lambda: write_output(output, text, inputs))


def known_controls(catalogs: list[Path] | None) -> frozenset[str]:
    """The control ids the catalog defines."""
    from tmcode.catalog.controls import load_controls

    return frozenset(load_controls(catalogs or []))


def threat_names(catalogs: list[Path] | None) -> ThreatNamesSource:
    """Load the catalog's threat names on first use: only a model with decisions needs them."""
    from functools import cache

    @cache
    def names() -> ThreatNames:
        from tmcode.catalog.load import load_catalog

        return load_catalog(catalogs or []).threat_names()

    return names


def load_and_check(
    models: list[Path],
    catalog: list[Path] | None,
    today: str | None,
    limits: ReadLimits | None = None,
    repository: Path | None = None,
) -> Report:
    """Run the whole pipeline on ``models``; ``today`` is the --today text, checked here."""
    import datetime as dt

    from tmcode.pipeline import check_files

    when = None
    if today is not None:
        try:
            when = dt.date.fromisoformat(today)
        except ValueError:
            raise UsageError(f"--today `{today}` is not a date; write YYYY-MM-DD") from None
    return check_files(
        models,
        catalogs=catalog or [],
        today=when,
        limits=limits,
        repository=repository,
    )
