"""Interchange: the AI bill of materials out, OTM and Threagile models in."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from tmcode.cli._options import (
    YAML_LIMITS,
    CatalogOpt,
    ModelArg,
    OutputOpt,
    TodayOpt,
    limit_options,
)
from tmcode.cli._run import debugging, emit, files_read, guard, load_and_check
from tmcode.limits import ReadLimits

_KEEP_IMPORT = "choose another --output, or --force"


class ImportFormat(str, Enum):
    """Formats ``tmcode import`` reads."""

    otm = "otm"
    threagile = "threagile"


@limit_options()
def bom(
    model: ModelArg,
    output: OutputOpt = None,
    report_url: Annotated[
        Optional[str],
        typer.Option("--report-url", help="Where the threat-model report is published."),
    ] = None,
    catalog: CatalogOpt = None,
    today: TodayOpt = None,
    limits: ReadLimits = ReadLimits(),
) -> None:
    """Write the AI bill of materials (CycloneDX 1.6 JSON) of a model."""
    from tmcode.bom import bom_json

    debug = debugging()
    report = guard(debug, lambda: load_and_check([model], catalog, today, limits))
    text = bom_json(report.sources[0], report.findings, report_url)
    emit(text, output, files_read([model], catalog), debug)


@limit_options(YAML_LIMITS)
def import_model(
    format: Annotated[ImportFormat, typer.Argument(help="The source format: otm or threagile.")],
    source: Annotated[Path, typer.Argument(help="The file to import.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The tmcode model to write.")],
    force: Annotated[bool, typer.Option("--force", help="Replace --output if it exists.")] = False,
    limits: ReadLimits = ReadLimits(),
) -> None:
    """Turn an OTM or Threagile model into a tmcode model to refine, listing what was not mapped."""
    from tmcode.interchange import import_file
    from tmcode.output import check_targets, write_output

    debug = debugging()

    def run() -> tuple[str, list[str]]:
        check_targets([output], [source], replace=force, keep_hint=_KEEP_IMPORT)
        result = import_file(format.value, source, limits)
        label = "OTM" if format is ImportFormat.otm else "Threagile"
        return result.yaml(str(source), label), result.unmapped

    text, unmapped = guard(debug, run)
    guard(
        debug,
        lambda: write_output(output, text, [source], replace=force, keep_hint=_KEEP_IMPORT),
    )
    typer.echo(
        f"wrote {output}; {len(unmapped)} item(s) not mapped are listed at its top", err=True
    )


def register(app: typer.Typer) -> None:
    """Add ``bom`` and ``import`` to ``app``."""
    app.command()(bom)
    app.command("import")(import_model)
