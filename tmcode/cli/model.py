"""Commands about model files themselves: validate, export, schema, controls."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from tmcode.cli._options import FORMAT, CatalogOpt, ModelsArg, OutputOpt, limit_options
from tmcode.cli._run import (
    debugging,
    emit,
    files_read,
    guard,
    known_controls,
    load_and_check,
    threat_names,
)
from tmcode.errors import TmcodeError
from tmcode.limits import ReadLimits


class ExportFormat(str, Enum):
    """Formats ``tmcode export`` writes."""

    yaml = "yaml"
    otm = "otm"


@limit_options()
def validate(
    models: ModelsArg,
    catalog: CatalogOpt = None,
    limits: ReadLimits = ReadLimits(),
) -> None:
    """Check model files against the format; exit 0 when all are valid, 2 otherwise."""
    from tmcode.hidden import terminal_text
    from tmcode.model.load import load_model

    debug = debugging()
    known = guard(debug, lambda: known_controls(catalog))
    names = threat_names(catalog)
    failed = False
    for path in models:
        try:
            loaded = load_model(path, limits=limits, known_controls=known, known_threats=names)
        except TmcodeError as exc:
            typer.echo(exc.diagnostics(), err=True)
            if debug:
                raise
            failed = True
            continue
        m = loaded.model
        typer.echo(
            f"{terminal_text(str(path))}: valid — {len(m.components)} components, "
            f"{len(m.flows)} flows, {len(m.permissions())} permissions"
        )
    if failed:
        raise typer.Exit(2)


@limit_options(("python_timeout",))
def export(
    model: Annotated[Path, typer.Argument(help="The model file to export.")],
    format: Annotated[ExportFormat, FORMAT] = ExportFormat.yaml,
    output: OutputOpt = None,
    catalog: CatalogOpt = None,
    limits: ReadLimits = ReadLimits(),
) -> None:
    """Write a model as YAML (loads back to an equal model) or as OTM 0.2.0 JSON with its findings."""
    from tmcode.model.export import model_to_yaml
    from tmcode.model.load import load_model

    debug = debugging()

    def run() -> str:
        if format is ExportFormat.otm:
            from tmcode.interchange.otm import otm_json

            report = load_and_check([model], catalog, None, limits)
            return otm_json(report.sources[0].index, report.findings, report.threats)
        known = known_controls(catalog)
        names = threat_names(catalog)
        loaded = load_model(model, known_controls=known, known_threats=names, limits=limits)
        return model_to_yaml(loaded.model)

    emit(guard(debug, run), output, files_read([model], catalog), debug)


def schema(output: OutputOpt = None) -> None:
    """Print the JSON Schema (Draft 2020-12) of model files, for editors and CI."""
    from tmcode.model.schema import model_json_schema_text

    emit(model_json_schema_text(), output, [], debugging())


def controls(catalog: CatalogOpt = None) -> None:
    """List the control ids a model may declare, by lifecycle stage."""
    from tmcode.catalog.controls import load_controls

    known = guard(debugging(), lambda: load_controls(catalog or []))
    for cid, control in known.items():
        typer.echo(f"{cid:28} {control.stage:15} {control.description}")


def register(app: typer.Typer) -> None:
    """Add these commands to ``app``."""
    for command in (validate, export, schema, controls):
        app.command()(command)
