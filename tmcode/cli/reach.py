"""The blast radius: what each component could do if hijacked, and who owns and stops it."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from tmcode.cli._options import CatalogOpt, ModelArg, OutputOpt, limit_options
from tmcode.cli._run import debugging, emit, files_read, guard
from tmcode.limits import ReadLimits
from tmcode.reach_command import ReachFormat


@limit_options()
def reach(
    model: ModelArg,
    component: Annotated[
        Optional[str],
        typer.Argument(help="One component; default: every agent, model, MCP server and tool."),
    ] = None,
    format: Annotated[ReachFormat, typer.Option("--format", "-f")] = ReachFormat.text,
    output: OutputOpt = None,
    catalog: CatalogOpt = None,
    limits: ReadLimits = ReadLimits(),
) -> None:
    """If a component is hijacked, what it can read, change, delete, execute, spend and send.

    Directly and through what it takes over, worst first, with the controls that cut each path;
    then who owns, changes and stops each component.
    """
    from tmcode.reach_command import run_reach

    debug = debugging()
    text = guard(debug, lambda: run_reach(model, component, format, catalog or [], limits))
    emit(text, output, files_read([model], catalog), debug)


def register(app: typer.Typer) -> None:
    """Add ``tmcode reach`` to ``app``."""
    app.command("reach")(reach)
