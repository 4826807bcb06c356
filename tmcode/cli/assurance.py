"""Governance: the assurance cross-walk of a model against the lifecycle guidance."""

from __future__ import annotations

from typing import Annotated

import typer

from tmcode.assurance_cli import AssuranceFormat
from tmcode.cli._options import CatalogOpt, ModelArg, OutputOpt, limit_options
from tmcode.cli._run import debugging, emit, files_read, guard
from tmcode.limits import ReadLimits


@limit_options()
def assurance(
    model: ModelArg,
    format: Annotated[
        AssuranceFormat, typer.Option("--format", "-f", help="text, json or markdown.")
    ] = AssuranceFormat.text,
    output: OutputOpt = None,
    catalog: CatalogOpt = None,
    limits: ReadLimits = ReadLimits(),
) -> None:
    """Cross-walk a model against the lifecycle guidance: per item, its controls and their state."""
    from tmcode.assurance_cli import run_assurance

    debug = debugging()
    text = guard(debug, lambda: run_assurance(model, format, catalog or [], limits))
    emit(text, output, files_read([model], catalog), debug)


def register(app: typer.Typer) -> None:
    """Add ``tmcode assurance`` to ``app``."""
    app.command("assurance")(assurance)
