"""The command line: parse, call the library, print, exit. Nothing else lives here."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from datetime import date as date_type
from typing import Annotated, Optional, TypeVar

import typer

from tmcode.errors import Problem, TmcodeError, UsageError

app = typer.Typer(
    name="tmcode",
    help="Threat modeling as code for AI systems.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

T = TypeVar("T")
_DEBUG = "--debug"

ModelsArg = Annotated[list[Path], typer.Argument(help="Model files (.yaml, .yml or .py).")]
CatalogOpt = Annotated[
    Optional[list[Path]],
    typer.Option("--catalog", help="Extra catalog directory (repeatable)."),
]
MaxBytes = Annotated[int, typer.Option(help="Largest model file read, in bytes.")]
MaxDepth = Annotated[int, typer.Option(help="Deepest YAML nesting accepted.")]
MaxNodes = Annotated[int, typer.Option(help="Most YAML values after alias expansion.")]


class FailOnChoice(str, Enum):
    """Choices of --fail-on."""

    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
    none = "none"


class ExportFormat(str, Enum):
    """Formats ``tmcode export`` writes."""

    yaml = "yaml"


def _fail(exc: TmcodeError, debug: bool) -> None:
    typer.echo(exc.diagnostics(), err=True)
    if debug:
        raise exc
    raise typer.Exit(2)


def _guard(debug: bool, action: Callable[[], T]) -> T:
    """Run ``action``; report a TmcodeError as one clear message and exit 2."""
    try:
        return action()
    except TmcodeError as exc:
        _fail(exc, debug)
        raise  # unreachable: _fail always raises


def _write_output(path: Path, text: str, inputs: list[Path]) -> None:
    """Write ``text`` to ``path`` atomically, never over one of the input files."""
    resolved = path.resolve()
    if any(resolved == p.resolve() for p in inputs):
        raise UsageError(
            Problem(str(path), None, None, "refusing to overwrite an input file",
                    "choose another --output")
        )
    resolved.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=resolved.parent, prefix=f".{resolved.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, resolved)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    """Threat modeling as code for AI systems."""
    if version:
        from tmcode import __version__

        typer.echo(f"tmcode {__version__}")
        raise typer.Exit(0)


def _debug() -> bool:
    return _DEBUG in sys.argv


def _known_controls(catalogs: list[Path] | None) -> frozenset[str]:
    from tmcode.catalog.controls import load_controls

    return frozenset(load_controls(catalogs or []))


@app.command()
def validate(
    models: ModelsArg,
    catalog: CatalogOpt = None,
    max_bytes: MaxBytes = 20 * 1024 * 1024,
    max_depth: MaxDepth = 64,
    max_nodes: MaxNodes = 5_000_000,
) -> None:
    """Check model files against the format; exit 0 when all are valid, 2 otherwise."""
    from tmcode.model.load import load_model
    from tmcode.model.yaml_reader import ReadLimits

    debug = _debug()
    limits = ReadLimits(max_bytes=max_bytes, max_depth=max_depth, max_nodes=max_nodes)
    known = _guard(debug, lambda: _known_controls(catalog))
    failed = False
    for path in models:
        try:
            loaded = load_model(path, limits=limits, known_controls=known)
        except TmcodeError as exc:
            typer.echo(exc.diagnostics(), err=True)
            if debug:
                raise
            failed = True
            continue
        m = loaded.model
        typer.echo(
            f"{path}: valid — {len(m.components)} components, {len(m.flows)} flows, "
            f"{len(m.permissions())} permissions"
        )
    if failed:
        raise typer.Exit(2)


@app.command()
def export(
    model: Annotated[Path, typer.Argument(help="The model file to export.")],
    format: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.yaml,
    output: Annotated[Optional[Path], typer.Option("--output", "-o")] = None,
    catalog: CatalogOpt = None,
) -> None:
    """Write a model (YAML or Python) as YAML that loads back to an equal model."""
    from tmcode.model.export import model_to_yaml
    from tmcode.model.load import load_model

    debug = _debug()

    def run() -> str:
        known = _known_controls(catalog)
        return model_to_yaml(load_model(model, known_controls=known).model)

    text = _guard(debug, run)
    if output is None:
        typer.echo(text, nl=False)
    else:
        _guard(debug, lambda: _write_output(output, text, [model]))


@app.command()
def schema(
    output: Annotated[Optional[Path], typer.Option("--output", "-o")] = None,
) -> None:
    """Print the JSON Schema (Draft 2020-12) of model files, for editors and CI."""
    from tmcode.model.schema import model_json_schema_text

    text = model_json_schema_text()
    if output is None:
        typer.echo(text, nl=False)
    else:
        _guard(_debug(), lambda: _write_output(output, text, []))


@app.command()
def controls(catalog: CatalogOpt = None) -> None:
    """List the control ids a model may declare, by lifecycle stage."""
    from tmcode.catalog.controls import load_controls

    known = _guard(_debug(), lambda: load_controls(catalog or []))
    for cid, control in known.items():
        typer.echo(f"{cid:28} {control.stage:15} {control.description}")


FormatOpt = Annotated[str, typer.Option("--format", "-f", help="Report format: text or json.")]


@app.command()
def check(
    models: ModelsArg,
    fail_on: Annotated[FailOnChoice, typer.Option("--fail-on", help="Lowest severity that fails.")] = FailOnChoice.high,
    format: FormatOpt = "text",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the report here.")] = None,
    catalog: CatalogOpt = None,
    today: Annotated[
        Optional[str], typer.Option("--today", help="Judge expiry as of this date (YYYY-MM-DD).")
    ] = None,
    color: Annotated[Optional[bool], typer.Option("--color/--no-color", help="Colour text output.")] = None,
) -> None:
    """Match models against the threat catalog; exit 1 when a finding fails the gate."""
    import datetime as dt

    from tmcode.catalog.load import load_catalog
    from tmcode.engine import check as run_check
    from tmcode.model.load import load_model
    from tmcode.render import RENDERERS, RenderOptions, render
    from tmcode.report import FailOn, exit_code

    debug = _debug()
    if format not in RENDERERS:
        _fail(UsageError(f"unknown --format `{format}`; choose one of: {', '.join(RENDERERS)}"), debug)

    def run() -> tuple[object, date_type]:
        when = dt.date.today()
        if today is not None:
            try:
                when = dt.date.fromisoformat(today)
            except ValueError:
                raise UsageError(f"--today `{today}` is not a date; write YYYY-MM-DD") from None
        cat = load_catalog(catalog or [])
        known = frozenset(cat.controls)
        problems = []
        loaded = []
        for path in models:
            try:
                loaded.append(load_model(path, known_controls=known))
            except TmcodeError as exc:
                problems += exc.problems
        if problems:
            raise TmcodeError(problems)
        return run_check(loaded, cat, today=when), when

    report, _ = _guard(debug, run)
    gate = FailOn(fail_on.value)
    use_color = color if color is not None else (output is None and _tty_color())
    text = render(report, format, RenderOptions(color=use_color, fail_on=gate))
    if output is None:
        typer.echo(text, nl=False, color=use_color)
    else:
        _guard(debug, lambda: _write_output(output, text, list(models)))
    raise typer.Exit(exit_code(report, gate))  # type: ignore[arg-type]


def _tty_color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


catalog_app = typer.Typer(help="Browse the threat catalog.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")


@catalog_app.command("list")
def catalog_list(catalog: CatalogOpt = None) -> None:
    """List every threat: id, severity model, title."""
    from tmcode.catalog.load import load_catalog

    cat = _guard(_debug(), lambda: load_catalog(catalog or []))
    for tid, compiled in cat.threats.items():
        t = compiled.threat
        typer.echo(f"{tid:9} {t.severity.likelihood:>6}/{t.severity.impact:<8} {t.target:10} {t.title}")


@catalog_app.command("show")
def catalog_show(threat_id: Annotated[str, typer.Argument(metavar="ID")], catalog: CatalogOpt = None) -> None:
    """Show one threat: condition, severity, mitigations, references and documentation."""
    from tmcode.catalog.load import load_catalog
    from tmcode.model.diagnose import did_you_mean

    cat = _guard(_debug(), lambda: load_catalog(catalog or []))
    if threat_id not in cat.threats:
        hint = did_you_mean(threat_id, cat.threats) or "run `tmcode catalog list`"
        _fail(UsageError(Problem("tmcode", None, None, f"no threat `{threat_id}`", hint)), _debug())
    t = cat.threats[threat_id].threat
    typer.echo(f"{t.id}: {t.title}")
    typer.echo(f"applies to: {t.target}" + (f" ({', '.join(t.kinds)})" if t.kinds else ""))
    typer.echo(f"severity: likelihood {t.severity.likelihood}, impact {t.severity.impact}"
               + (f"; raised by {', '.join(t.severity.modifiers)}" if t.severity.modifiers else ""))
    typer.echo("mitigated by: " + " or ".join("{" + ", ".join(s.all) + "}" for s in t.mitigations))
    typer.echo("references: " + ", ".join(t.references))
    for section, text in t.docs.model_dump().items():
        typer.echo(f"\n{section.replace('_', ' ').capitalize()}\n  {text}")
    typer.echo(f"\nsource: {cat.threats[threat_id].file}")


@catalog_app.command("coverage")
def catalog_coverage(catalog: CatalogOpt = None) -> None:
    """Print which threats cover each entry of the mapped standards; exit 1 on a gap."""
    from tmcode.catalog.coverage import coverage
    from tmcode.catalog.load import load_catalog

    cat = _guard(_debug(), lambda: load_catalog(catalog or []))
    entries = coverage(cat)
    current = None
    gaps = 0
    for e in entries:
        if e.standard != current:
            current = e.standard
            typer.echo(f"\n{e.standard}")
        covered = ", ".join(e.threats) if e.threats else "NOT COVERED"
        gaps += int(e.required and not e.threats)
        typer.echo(f"  {e.reference:28} {e.name[:44]:44} {covered}")
    typer.echo(f"\n{sum(1 for e in entries if e.threats)}/{len(entries)} entries covered")
    if gaps:
        raise typer.Exit(1)


def main() -> None:
    """Entry point of the ``tmcode`` console script."""
    app()
