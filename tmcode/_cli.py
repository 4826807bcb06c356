"""The command line: parse, call the library, print, exit. Nothing else lives here."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional, TypeVar

import typer

from tmcode.errors import Problem, TmcodeError, UsageError

if TYPE_CHECKING:
    from tmcode.model.references import ThreatNames, ThreatNamesSource

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
TodayOpt = Annotated[
    Optional[str],
    typer.Option(
        "--today", help="Judge expiry as of this date (YYYY-MM-DD); default: today in UTC."
    ),
]
MaxBytes = Annotated[int, typer.Option(help="Largest model file read, in bytes.")]
MaxDepth = Annotated[int, typer.Option(help="Deepest YAML nesting accepted.")]
MaxNodes = Annotated[int, typer.Option(help="Most YAML values after alias expansion.")]
PythonTimeout = Annotated[
    float,
    typer.Option(
        "--python-timeout",
        min=0.1,
        help="Seconds a Python model may run (in its own process) before it is stopped.",
    ),
]


DiscoverOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--discover",
        help="Also compare the model with the agent configuration in this repository "
        "directory: drift findings DRIFT-001…007 (configs are read, never executed).",
    ),
]


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
    otm = "otm"


class ImportFormat(str, Enum):
    """Formats ``tmcode import`` reads."""

    otm = "otm"
    threagile = "threagile"


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


def _write_output(path: Path, content: str | bytes, inputs: list[Path]) -> None:
    from tmcode.output import write_output

    write_output(path, content, inputs)


def _inputs(models: list[Path], catalog: list[Path] | None, *more: Path | None) -> list[Path]:
    """Every file a run reads: the models, the catalog's files and any report given."""
    from tmcode.catalog.load import catalog_files

    return [*models, *catalog_files(catalog or []), *(p for p in more if p is not None)]


def _emit(text: str, output: Path | None, inputs: list[Path], debug: bool) -> None:
    """Print ``text``, or write it to ``output`` (never over an input)."""
    if output is None:
        typer.echo(text, nl=False)
    else:
        _guard(debug, lambda: _write_output(output, text, inputs))


def _print_version(value: bool) -> None:
    # Eager, so that `tmcode --version` alone works before a command is required.
    if value:
        from tmcode import __version__

        typer.echo(f"tmcode {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version.", callback=_print_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Threat modeling as code for AI systems."""


def _debug() -> bool:
    return _DEBUG in sys.argv


def _known_controls(catalogs: list[Path] | None) -> frozenset[str]:
    from tmcode.catalog.controls import load_controls

    return frozenset(load_controls(catalogs or []))


def _threat_names(catalogs: list[Path] | None) -> ThreatNamesSource:
    """Load the catalog's threat names on first use: only a model with decisions needs them."""
    from functools import cache

    @cache
    def names() -> ThreatNames:
        from tmcode.catalog.load import load_catalog

        return load_catalog(catalogs or []).threat_names()

    return names


@app.command()
def validate(
    models: ModelsArg,
    catalog: CatalogOpt = None,
    max_bytes: MaxBytes = 20 * 1024 * 1024,
    max_depth: MaxDepth = 64,
    max_nodes: MaxNodes = 5_000_000,
    python_timeout: PythonTimeout = 30.0,
) -> None:
    """Check model files against the format; exit 0 when all are valid, 2 otherwise."""
    from tmcode.model.load import load_model
    from tmcode.model.yaml_reader import ReadLimits
    from tmcode.hidden import terminal_text

    debug = _debug()
    limits = ReadLimits(
        max_bytes=max_bytes,
        max_depth=max_depth,
        max_nodes=max_nodes,
        python_timeout=python_timeout,
    )
    known = _guard(debug, lambda: _known_controls(catalog))
    names = _threat_names(catalog)
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
            f"{terminal_text(str(path))}: valid — {len(m.components)} components, {len(m.flows)} flows, "
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
    python_timeout: PythonTimeout = 30.0,
) -> None:
    """Write a model as YAML (loads back to an equal model) or as OTM 0.2.0 JSON with its findings."""
    from tmcode.model.export import model_to_yaml
    from tmcode.model.load import load_model
    from tmcode.model.yaml_reader import ReadLimits

    debug = _debug()
    limits = ReadLimits(python_timeout=python_timeout)

    def run() -> str:
        if format is ExportFormat.otm:
            from tmcode.interchange.otm import otm_json

            report = _load_and_check([model], catalog, None, limits)
            return otm_json(report.sources[0].model, report.findings, report.threats)  # type: ignore[attr-defined]
        known = _known_controls(catalog)
        names = _threat_names(catalog)
        return model_to_yaml(load_model(model, known_controls=known, known_threats=names, limits=limits).model)

    _emit(_guard(debug, run), output, _inputs([model], catalog), debug)


@app.command()
def schema(
    output: Annotated[Optional[Path], typer.Option("--output", "-o")] = None,
) -> None:
    """Print the JSON Schema (Draft 2020-12) of model files, for editors and CI."""
    from tmcode.model.schema import model_json_schema_text

    _emit(model_json_schema_text(), output, [], _debug())


@app.command()
def controls(catalog: CatalogOpt = None) -> None:
    """List the control ids a model may declare, by lifecycle stage."""
    from tmcode.catalog.controls import load_controls

    known = _guard(_debug(), lambda: load_controls(catalog or []))
    for cid, control in known.items():
        typer.echo(f"{cid:28} {control.stage:15} {control.description}")


FormatOpt = Annotated[
    list[str],
    typer.Option(
        "--format",
        "-f",
        help="Report format (repeatable): text, json, sarif, markdown, html, junit.",
    ),
]


@app.command()
def check(
    models: ModelsArg,
    fail_on: Annotated[
        FailOnChoice, typer.Option("--fail-on", help="Lowest severity that fails.")
    ] = FailOnChoice.high,
    format: FormatOpt = ["text"],  # noqa: B006 - typer reads the default, never mutates it
    output: Annotated[
        Optional[list[Path]],
        typer.Option("--output", "-o", help="Write the report here; one per --format, in order."),
    ] = None,
    catalog: CatalogOpt = None,
    today: TodayOpt = None,
    color: Annotated[
        Optional[bool], typer.Option("--color/--no-color", help="Colour text output.")
    ] = None,
    baseline: Annotated[
        Optional[Path],
        typer.Option(
            "--baseline",
            help="An earlier JSON report: label findings new, regressed, fixed or unchanged.",
        ),
    ] = None,
    fail_on_new: Annotated[
        bool,
        typer.Option(
            "--fail-on-new",
            help="Gate only on findings open now and not before, or whose severity rose "
            "(needs --baseline).",
        ),
    ] = False,
    discover: DiscoverOpt = None,
    max_bytes: MaxBytes = 20 * 1024 * 1024,
    max_depth: MaxDepth = 64,
    max_nodes: MaxNodes = 5_000_000,
    python_timeout: PythonTimeout = 30.0,
) -> None:
    """Match models against the threat catalog; exit 1 when a finding fails the gate."""
    from tmcode.render import RENDERERS, RenderOptions, render
    from tmcode.report import FailOn, exit_code

    debug = _debug()
    outputs = list(output or [])
    for fmt in format:
        if fmt not in RENDERERS:
            _fail(
                UsageError(f"unknown --format `{fmt}`; choose one of: {', '.join(RENDERERS)}"),
                debug,
            )
    if outputs and len(outputs) != len(format) or not outputs and len(format) > 1:
        _fail(UsageError("give one --output for each --format, in the same order"), debug)

    if fail_on_new and baseline is None:
        _fail(UsageError("--fail-on-new needs --baseline REPORT.json to know what is new"), debug)
    inputs = _inputs(list(models), catalog, baseline) if outputs else []
    if outputs:
        from tmcode.output import check_targets

        _guard(debug, lambda: check_targets(outputs, inputs))
    limits = _limits(max_bytes, max_depth, max_nodes, python_timeout)
    earlier = None
    if baseline is not None:
        from tmcode.baseline import read_report_json

        # Read before any model: a Python model runs code, which must not rewrite the baseline.
        earlier = _guard(debug, lambda: read_report_json(baseline))
    report = _guard(debug, lambda: _load_and_check(list(models), catalog, today, limits, discover))
    if earlier is not None:
        from tmcode.baseline import apply_baseline

        report = apply_baseline(report, earlier, str(baseline))  # type: ignore[arg-type]
    gate = FailOn(fail_on.value)
    options = RenderOptions(color=bool(color), fail_on=gate, only_new=fail_on_new)
    if not outputs:
        use_color = color if color is not None else _tty_color()
        text = render(report, format[0], replace(options, color=use_color))
        typer.echo(text, nl=False, color=use_color)
    if outputs:
        from tmcode.output import write_files

        reports = [
            (path, render(report, fmt, replace(options, output=str(path))))
            for fmt, path in zip(format, outputs)
        ]
        _guard(debug, lambda: write_files(reports, inputs))
    if outputs or format[0] != "text":
        # The text report ends with this line; without it on stdout, a CI log still says why.
        from tmcode.render.escape import terminal_text
        from tmcode.render.wording import summary_line

        typer.echo(summary_line(report, options, terminal_text), err=True)  # type: ignore[arg-type]
    raise typer.Exit(exit_code(report, gate, only_new=fail_on_new))  # type: ignore[arg-type]


def _tty_color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


@app.command()
def discover(
    directory: Annotated[Path, typer.Argument(help="The repository to read.")] = Path("."),
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", help="Write the draft model here (never over a file)."),
    ] = None,
    name: Annotated[
        Optional[str], typer.Option("--name", help="The system's name in the draft.")
    ] = None,
) -> None:
    """Draft a model from the agent configuration in a repository (read, never executed)."""
    from tmcode.discover import discover_repository
    from tmcode.discover.draft import draft_model

    debug = _debug()
    found = _guard(debug, lambda: discover_repository(directory))
    system = name or directory.resolve().name or "system"
    text = draft_model(found, system)
    if output is None:
        typer.echo(text, nl=False)
    else:
        from tmcode.output import write_files

        _guard(
            debug,
            lambda: write_files(
                [(output, text)],
                [],
                replace=False,
                keep_hint="discover never overwrites a file: choose a new --output, or compare "
                "with `tmcode check MODEL --discover DIR`",
            ),
        )
    summary = (
        f"read {len(found.files)} config file(s): {len(found.servers)} MCP server(s), "
        f"{len(found.agents)} agent(s), {len(found.workflows)} agent workflow(s), "
        f"{len(found.unknown)} not understood"
    )
    typer.echo(summary if output is None else f"wrote {output}; {summary}", err=True)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Where to write the starter files.")] = Path(
        "."
    ),
) -> None:
    """Write a starter model, its JSON Schema, a CI workflow and a pre-commit config."""
    from tmcode.init import init_project

    written = _guard(_debug(), lambda: init_project(directory))
    for path in written:
        typer.echo(f"wrote {path}")
    model = directory / "threat-model.yaml"
    typer.echo(
        "\nNext steps:\n"
        f"  1. Edit {model} to describe your system (your editor completes keys from tmcode.schema.json).\n"
        f"  2. tmcode check {model}\n"
        "  3. Say which tmcode CI and pre-commit run: TMCODE_REPOSITORY and TMCODE_REF in\n"
        "     .github/workflows/threat-model.yml, `repo` and `rev` in .pre-commit-config.yaml.\n"
        "  4. Commit the files; the workflow fails a pull request that brings new open findings\n"
        "     at or above high, and the pre-commit hook validates the model on every commit\n"
        "     (pre-commit install)."
    )


@app.command()
def bom(
    model: Annotated[Path, typer.Argument(help="The model file.")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o")] = None,
    report_url: Annotated[
        Optional[str],
        typer.Option("--report-url", help="Where the threat-model report is published."),
    ] = None,
    catalog: CatalogOpt = None,
    today: TodayOpt = None,
    max_bytes: MaxBytes = 20 * 1024 * 1024,
    max_depth: MaxDepth = 64,
    max_nodes: MaxNodes = 5_000_000,
    python_timeout: PythonTimeout = 30.0,
) -> None:
    """Write the AI bill of materials (CycloneDX 1.6 JSON) of a model."""
    from tmcode.bom import bom_json

    debug = _debug()
    report = _guard(
        debug,
        lambda: _load_and_check(
            [model], catalog, today, _limits(max_bytes, max_depth, max_nodes, python_timeout)
        ),
    )
    text = bom_json(report.sources[0], report.findings, report_url)  # type: ignore[attr-defined]
    _emit(text, output, _inputs([model], catalog), debug)


@app.command("import")
def import_model(
    format: Annotated[ImportFormat, typer.Argument(help="The source format: otm or threagile.")],
    source: Annotated[Path, typer.Argument(help="The file to import.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The tmcode model to write.")],
    force: Annotated[bool, typer.Option("--force", help="Replace --output if it exists.")] = False,
    max_bytes: MaxBytes = 20 * 1024 * 1024,
    max_depth: MaxDepth = 64,
    max_nodes: MaxNodes = 5_000_000,
) -> None:
    """Turn an OTM or Threagile model into a tmcode model to refine, listing what was not mapped."""
    from tmcode.interchange import import_file

    debug = _debug()

    def run() -> tuple[str, list[str]]:
        from tmcode.output import check_targets

        check_targets([output], [source], replace=force, keep_hint=_KEEP_IMPORT)
        result = import_file(format.value, source, _limits(max_bytes, max_depth, max_nodes))  # type: ignore[arg-type]
        return result.yaml(
            str(source), "OTM" if format is ImportFormat.otm else "Threagile"
        ), result.unmapped

    text, unmapped = _guard(debug, run)
    from tmcode.output import write_output

    _guard(
        debug,
        lambda: write_output(output, text, [source], replace=force, keep_hint=_KEEP_IMPORT),
    )
    typer.echo(
        f"wrote {output}; {len(unmapped)} item(s) not mapped are listed at its top", err=True
    )


_KEEP_IMPORT = "choose another --output, or --force"


class DiffFormat(str, Enum):
    """Formats ``tmcode diff`` writes."""

    text = "text"
    markdown = "markdown"
    json = "json"


@app.command()
def diff(
    old: Annotated[
        Path, typer.Argument(help="The earlier JSON report (e.g. from the main branch).")
    ],
    new: Annotated[Path, typer.Argument(help="The later JSON report.")],
    format: Annotated[DiffFormat, typer.Option("--format", "-f")] = DiffFormat.text,
    output: Annotated[Optional[Path], typer.Option("--output", "-o")] = None,
) -> None:
    """Say what changed between two JSON reports: new, regressed and fixed findings, elements."""
    from tmcode.baseline import diff_reports, read_report_json, render_diff

    debug = _debug()
    before = _guard(debug, lambda: read_report_json(old))
    after = _guard(debug, lambda: read_report_json(new))
    _emit(render_diff(diff_reports(before, after), format.value), output, [old, new], debug)


class DiagramFormat(str, Enum):
    """Formats ``tmcode diagram`` writes."""

    dot = "dot"
    mermaid = "mermaid"
    svg = "svg"
    png = "png"


def _load_and_check(
    models: list[Path],
    catalog: list[Path] | None,
    today: str | None,
    limits: object = None,
    repository: Path | None = None,
) -> object:
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
        limits=limits,  # type: ignore[arg-type]
        repository=repository,
    )


def _limits(
    max_bytes: int, max_depth: int, max_nodes: int, python_timeout: float = 30.0
) -> object:
    from tmcode.model.yaml_reader import ReadLimits

    return ReadLimits(
        max_bytes=max_bytes,
        max_depth=max_depth,
        max_nodes=max_nodes,
        python_timeout=python_timeout,
    )


@app.command()
def diagram(
    model: Annotated[Path, typer.Argument(help="The model file.")],
    format: Annotated[DiagramFormat, typer.Option("--format", "-f")] = DiagramFormat.mermaid,
    output: Annotated[Optional[Path], typer.Option("--output", "-o")] = None,
    finding: Annotated[
        Optional[str],
        typer.Option(
            "--finding", help="Highlight one finding's attack path: its id, or THREAT:TARGET."
        ),
    ] = None,
    catalog: CatalogOpt = None,
    today: TodayOpt = None,
    max_bytes: MaxBytes = 20 * 1024 * 1024,
    max_depth: MaxDepth = 64,
    max_nodes: MaxNodes = 5_000_000,
    python_timeout: PythonTimeout = 30.0,
    layout_timeout: Annotated[
        float,
        typer.Option(
            "--layout-timeout",
            min=1,
            help="Seconds Graphviz may take to lay out an SVG or PNG before it is stopped.",
        ),
    ] = 20.0,
) -> None:
    """Draw the data-flow diagram, coloured by the worst open finding of each component."""
    from tmcode.render.diagram import (
        RenderError,
        build_view,
        dot_to_image,
        layout_refusal,
        to_dot,
        to_mermaid,
    )

    debug = _debug()
    report = _guard(
        debug,
        lambda: _load_and_check(
            [model], catalog, today, _limits(max_bytes, max_depth, max_nodes, python_timeout)
        ),
    )
    loaded = report.sources[0]  # type: ignore[attr-defined]
    highlight: frozenset[str] = frozenset()
    if finding is not None:
        chosen = [
            f
            for f in report.findings  # type: ignore[attr-defined]
            if finding in (f.id, f"{f.threat}:{f.target}")
        ]
        if not chosen:
            _fail(
                UsageError(
                    f"no finding `{finding}` in {model}; use an id from the JSON report "
                    "or THREAT:TARGET as listed by `tmcode check`"
                ),
                debug,
            )
        highlight = frozenset(chosen[0].elements)
    view = build_view(loaded, report.findings, highlight)  # type: ignore[attr-defined]
    if format is DiagramFormat.mermaid:
        content: str | bytes = to_mermaid(view)
    elif format is DiagramFormat.dot:
        content = to_dot(view)
    else:
        refusal = layout_refusal(view)
        if refusal:
            _fail(
                RenderError(
                    Problem(
                        str(model),
                        None,
                        None,
                        f"not laid out as {format.value.upper()}: {refusal}",
                        "use --format mermaid or dot for the diagram's source",
                    )
                ),
                debug,
            )
        content = _guard(
            debug, lambda: dot_to_image(to_dot(view), format.value, timeout=layout_timeout)
        )
    if output is None:
        if isinstance(content, bytes):
            sys.stdout.buffer.write(content)
        else:
            typer.echo(content, nl=False)
        return
    _guard(debug, lambda: _write_output(output, content, _inputs([model], catalog)))
    how = (
        "laid out by Graphviz"
        if format in (DiagramFormat.svg, DiagramFormat.png)
        else "source, no Graphviz needed"
    )
    typer.echo(f"wrote {output} ({format.value.upper()}, {how})", err=True)


@app.command()
def docs(
    models: ModelsArg,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Directory for the mkdocs project.")
    ],
    build: Annotated[
        bool, typer.Option("--build", help="Also run `mkdocs build --strict`.")
    ] = False,
    catalog: CatalogOpt = None,
    today: TodayOpt = None,
    discover: DiscoverOpt = None,
    max_bytes: MaxBytes = 20 * 1024 * 1024,
    max_depth: MaxDepth = 64,
    max_nodes: MaxNodes = 5_000_000,
    python_timeout: PythonTimeout = 30.0,
) -> None:
    """Write a threat-model documentation site (mkdocs-material) for the models."""
    from tmcode.render.diagram import graphviz_available
    from tmcode.render.site import check_site_folder, site_files, write_site

    debug = _debug()
    _guard(debug, lambda: check_site_folder(output))
    report = _guard(
        debug,
        lambda: _load_and_check(
            list(models),
            catalog,
            today,
            _limits(max_bytes, max_depth, max_nodes, python_timeout),
            discover,
        ),
    )
    svg = graphviz_available()
    files = _guard(debug, lambda: site_files(report, svg=svg))  # type: ignore[arg-type]
    inputs = _inputs(list(models), catalog)
    written = _guard(debug, lambda: write_site(files, output, inputs))
    diagrams = (
        "SVG and Mermaid diagrams"
        if svg
        else "Mermaid diagrams only (Graphviz `dot` is not installed, so no SVG)"
    )
    typer.echo(f"wrote {len(written)} files to {output} with {diagrams}", err=True)
    if build:
        from tmcode.render.site import build_site

        _guard(debug, lambda: build_site(output))
        typer.echo(f"built the site in {output / 'site'}", err=True)


catalog_app = typer.Typer(help="Browse the threat catalog.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")


@catalog_app.command("list")
def catalog_list(catalog: CatalogOpt = None) -> None:
    """List every threat: id, severity model, title."""
    from tmcode.catalog.load import load_catalog

    cat = _guard(_debug(), lambda: load_catalog(catalog or []))
    for tid, compiled in cat.threats.items():
        t = compiled.threat
        typer.echo(
            f"{tid:9} {t.severity.likelihood:>6}/{t.severity.impact:<8} {t.target:10} {t.title}"
        )


@catalog_app.command("show")
def catalog_show(
    threat_id: Annotated[str, typer.Argument(metavar="ID")], catalog: CatalogOpt = None
) -> None:
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
    typer.echo(
        f"severity: likelihood {t.severity.likelihood}, impact {t.severity.impact}"
        + (f"; raised by {', '.join(t.severity.modifiers)}" if t.severity.modifiers else "")
    )
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
    try:
        app()
    except Exception as exc:  # noqa: BLE001 - a bug must still end in one clear line
        if _debug():
            raise
        typer.echo(
            f"tmcode: internal error: {type(exc).__name__}: {exc} — this is a bug in tmcode; "
            "rerun with --debug for the traceback and report it",
            err=True,
        )
        raise SystemExit(2) from None
