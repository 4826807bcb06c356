"""``tmcode reach``: the blast radius and ownership of a model's components, on their own.

The command line registers ``reach`` with one line; everything it needs is here.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from tmcode.errors import Problem, TmcodeError, UsageError

_SHOWN_CANDIDATES = 30


class ReachFormat(str, Enum):
    """Formats ``tmcode reach`` writes."""

    text = "text"
    markdown = "markdown"
    json = "json"


def _unknown(model: Path, component: str, candidates: list[str], known: list[str]) -> UsageError:
    from tmcode.model.diagnose import did_you_mean

    listed = ", ".join(candidates[:_SHOWN_CANDIDATES])
    if len(candidates) > _SHOWN_CANDIDATES:
        listed += f" and {len(candidates) - _SHOWN_CANDIDATES} more"
    hint = did_you_mean(component, known)
    hint = f"{hint} " if hint else ""
    return UsageError(
        Problem(
            str(model),
            None,
            None,
            f"no component `{component}` in the model",
            f"{hint}choose one of: {listed or 'none (the model has no components)'}",
        )
    )


def reach_document(radius: object) -> str:
    """The JSON document ``tmcode reach -f json`` writes (tests/schemas/reach.schema.json).

    One component and one ownership entry per line: a model with thousands of agents stays
    fast to write and diffs line by line.
    """
    import json

    from tmcode import __version__
    from tmcode.hidden import json_text
    from tmcode.reach import blast_radius_dict

    text = json.JSONEncoder(ensure_ascii=False).encode
    data = blast_radius_dict(radius)  # type: ignore[arg-type]
    head = {k: v for k, v in data.items() if k not in ("components", "ownership", "gaps")}

    def rows(items: list[object]) -> str:
        if not items:
            return "[]"
        return "[\n" + ",\n".join("    " + text(item) for item in items) + "\n  ]"

    body = (
        "{\n"
        '  "schema_version": "1.0",\n'
        f'  "tool": {text({"name": "tmcode", "version": __version__})},\n'
        f'  "reach": [{text(head)[:-1]}, "components": {rows(data["components"])}, '
        f'"ownership": {rows(data["ownership"])}, "gaps": {text(data["gaps"])}}}]\n'
        "}\n"
    )
    return json_text(body)


def reach(
    model: Annotated[Path, typer.Argument(help="The model file.")],
    component: Annotated[
        Optional[str],
        typer.Argument(help="One component; default: every agent, model, MCP server and tool."),
    ] = None,
    format: Annotated[ReachFormat, typer.Option("--format", "-f")] = ReachFormat.text,
    output: Annotated[Optional[Path], typer.Option("--output", "-o")] = None,
    catalog: Annotated[
        Optional[list[Path]],
        typer.Option("--catalog", help="Extra catalog directory (repeatable)."),
    ] = None,
    python_timeout: Annotated[
        float,
        typer.Option("--python-timeout", min=0.1, help="Seconds a Python model may run."),
    ] = 30.0,
) -> None:
    """If a component is hijacked, what it can read, change, delete, execute, spend and send.

    Directly and through the agents, tools and stores it reaches, each path with the controls
    that cut it and the ones that would, worst first; then who owns, changes and stops each
    component, and the gaps.
    """
    debug = "--debug" in sys.argv
    try:
        text = _run(model, component, format, catalog or [], python_timeout)
        if output is not None:
            from tmcode.catalog.load import catalog_files
            from tmcode.output import write_output

            write_output(output, text, [model, *catalog_files(catalog or [])])
    except TmcodeError as exc:
        if debug:
            raise
        typer.echo(exc.diagnostics(), err=True)
        raise typer.Exit(2) from None
    if output is None:
        typer.echo(text, nl=False)


def _run(
    model: Path,
    component: str | None,
    format: ReachFormat,
    catalogs: list[Path],
    python_timeout: float,
) -> str:
    from tmcode.catalog.controls import load_controls
    from tmcode.model.load import load_model
    from tmcode.model.yaml_reader import ReadLimits
    from tmcode.reach import UnknownComponent, blast_radius

    known = frozenset(load_controls(catalogs))
    loaded = load_model(
        model, known_controls=known, limits=ReadLimits(python_timeout=python_timeout)
    )
    chosen = None if component is None else [component]
    try:
        radius = blast_radius(loaded.index, chosen, file=loaded.path)
    except UnknownComponent as exc:
        raise _unknown(
            model, exc.component, exc.candidates, list(loaded.model.components)
        ) from None
    if format is ReachFormat.json:
        return reach_document(radius)
    if format is ReachFormat.markdown:
        from tmcode.render.reach import radius_markdown

        return radius_markdown(radius, paths=None, level=2)
    from tmcode.render.reach import radius_text

    return radius_text(radius)
