"""Getting started: draft a model from a repository, or write starter files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from tmcode.cli._run import debugging, guard


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

    debug = debugging()
    found = guard(debug, lambda: discover_repository(directory))
    system = name or directory.resolve().name or "system"
    text = draft_model(found, system)
    if output is None:
        typer.echo(text, nl=False)
    else:
        from tmcode.output import write_files

        guard(
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


def init(
    directory: Annotated[Path, typer.Argument(help="Where to write the starter files.")] = Path(
        "."
    ),
) -> None:
    """Write a starter model, its JSON Schema, a CI workflow and a pre-commit config."""
    from tmcode.init import init_project

    written = guard(debugging(), lambda: init_project(directory))
    for path in written:
        typer.echo(f"wrote {path}")
    model = directory / "threat-model.yaml"
    typer.echo(
        "\nNext steps:\n"
        f"  1. Edit {model} to describe your system (your editor completes keys from "
        "tmcode.schema.json).\n"
        f"  2. tmcode check {model}\n"
        "  3. Say which tmcode CI and pre-commit run: TMCODE_REPOSITORY and TMCODE_REF in\n"
        "     .github/workflows/threat-model.yml, `repo` and `rev` in .pre-commit-config.yaml.\n"
        "  4. Commit the files; the workflow fails a pull request that brings new open findings\n"
        "     at or above high, and the pre-commit hook validates the model on every commit\n"
        "     (pre-commit install)."
    )


def register(app: typer.Typer) -> None:
    """Add ``discover`` and ``init`` to ``app``."""
    app.command()(discover)
    app.command()(init)
