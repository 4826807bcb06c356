"""The gate: ``tmcode check`` matches models against the catalog and sets the exit code."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from tmcode.cli._options import CatalogOpt, DiscoverOpt, ModelsArg, TodayOpt, limit_options
from tmcode.cli._run import debugging, fail, files_read, guard, load_and_check
from tmcode.errors import UsageError
from tmcode.limits import ReadLimits


class FailOnChoice(str, Enum):
    """Choices of --fail-on."""

    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
    none = "none"


FormatOpt = Annotated[
    list[str],
    typer.Option(
        "--format",
        "-f",
        help="Report format (repeatable): text, json, sarif, markdown, html, junit.",
    ),
]


@limit_options()
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
    reach: Annotated[
        bool, typer.Option("--reach", help="Add each model's blast radius and ownership.")
    ] = False,
    limits: ReadLimits = ReadLimits(),
) -> None:
    """Match models against the threat catalog; exit 1 when a finding fails the gate."""
    from tmcode.render import RENDERERS, RenderOptions, render
    from tmcode.report import FailOn, exit_code

    debug = debugging()
    outputs = list(output or [])
    for fmt in format:
        if fmt not in RENDERERS:
            fail(
                UsageError(f"unknown --format `{fmt}`; choose one of: {', '.join(RENDERERS)}"),
                debug,
            )
    if outputs and len(outputs) != len(format) or not outputs and len(format) > 1:
        fail(UsageError("give one --output for each --format, in the same order"), debug)

    if fail_on_new and baseline is None:
        fail(UsageError("--fail-on-new needs --baseline REPORT.json to know what is new"), debug)
    inputs = files_read(list(models), catalog, baseline) if outputs else []
    if outputs:
        from tmcode.output import check_targets

        guard(debug, lambda: check_targets(outputs, inputs))
    earlier = None
    if baseline is not None:
        from tmcode.baseline import read_report_json

        # Read before any model: a Python model runs code, which must not rewrite the baseline.
        earlier = guard(debug, lambda: read_report_json(baseline))
    report = guard(debug, lambda: load_and_check(list(models), catalog, today, limits, discover))
    if reach:
        from tmcode.pipeline import with_reach

        report = with_reach(report)
    if earlier is not None:
        from tmcode.baseline import apply_baseline

        report = apply_baseline(report, earlier, str(baseline))
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
        guard(debug, lambda: write_files(reports, inputs))
    if outputs or format[0] != "text":
        # The text report ends with this line; without it on stdout, a CI log still says why.
        from tmcode.render.escape import terminal_text
        from tmcode.render.wording import summary_line

        typer.echo(summary_line(report, options, terminal_text), err=True)
    raise typer.Exit(exit_code(report, gate, only_new=fail_on_new))


def _tty_color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def register(app: typer.Typer) -> None:
    """Add ``check`` to ``app``."""
    app.command()(check)
