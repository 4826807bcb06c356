"""Interchange: the AI bill of materials out, OTM and Threagile models in."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from tmcode.assurance_cli import BomFormat
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
    format: Annotated[
        BomFormat, typer.Option("--format", "-f", help="cyclonedx (1.6 JSON) or spdx (3.0.1).")
    ] = BomFormat.cyclonedx,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="List the AI-BOM minimum elements the model does not yet say; exit 1 if any.",
        ),
    ] = False,
    timestamp: Annotated[
        Optional[str],
        typer.Option("--timestamp", help="Creation time to stamp: YYYY-MM-DD[THH:MM:SSZ] or now."),
    ] = None,
    catalog: CatalogOpt = None,
    today: TodayOpt = None,
    limits: ReadLimits = ReadLimits(),
) -> None:
    """Write the AI bill of materials (CycloneDX 1.6 or SPDX 3.0.1 JSON) of a model."""
    from tmcode.assurance_cli import bom_output

    debug = debugging()
    report = guard(debug, lambda: load_and_check([model], catalog, today, limits))
    text, code = guard(debug, lambda: bom_output(report, format, check, report_url, timestamp))
    emit(text, output, files_read([model], catalog), debug)
    raise typer.Exit(code)


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
