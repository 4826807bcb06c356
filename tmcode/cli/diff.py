"""``tmcode diff``: what changed between two JSON reports."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from tmcode.cli._options import FORMAT, OutputOpt
from tmcode.cli._run import debugging, emit, guard


class DiffFormat(str, Enum):
    """Formats ``tmcode diff`` writes."""

    text = "text"
    markdown = "markdown"
    json = "json"


def diff(
    old: Annotated[
        Path, typer.Argument(help="The earlier JSON report (e.g. from the main branch).")
    ],
    new: Annotated[Path, typer.Argument(help="The later JSON report.")],
    format: Annotated[DiffFormat, FORMAT] = DiffFormat.text,
    output: OutputOpt = None,
) -> None:
    """Say what changed between two JSON reports: new, regressed and fixed findings, elements."""
    from tmcode.baseline import diff_reports, read_report_json, render_diff

    debug = debugging()
    before = guard(debug, lambda: read_report_json(old))
    after = guard(debug, lambda: read_report_json(new))
    emit(render_diff(diff_reports(before, after), format.value), output, [old, new], debug)


def register(app: typer.Typer) -> None:
    """Add ``diff`` to ``app``."""
    app.command()(diff)
