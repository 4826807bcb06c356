"""Pictures and pages: the data-flow diagram and the documentation site."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from tmcode.cli._options import (
    FORMAT,
    CatalogOpt,
    DiscoverOpt,
    ModelArg,
    ModelsArg,
    OutputOpt,
    TodayOpt,
    limit_options,
)
from tmcode.cli._run import debugging, fail, files_read, guard, load_and_check, write_output
from tmcode.errors import Problem, UsageError
from tmcode.limits import ReadLimits


class DiagramFormat(str, Enum):
    """Formats ``tmcode diagram`` writes."""

    dot = "dot"
    mermaid = "mermaid"
    svg = "svg"
    png = "png"


@limit_options()
def diagram(
    model: ModelArg,
    format: Annotated[DiagramFormat, FORMAT] = DiagramFormat.mermaid,
    output: OutputOpt = None,
    finding: Annotated[
        Optional[str],
        typer.Option(
            "--finding", help="Highlight one finding's attack path: its id, or THREAT:TARGET."
        ),
    ] = None,
    catalog: CatalogOpt = None,
    today: TodayOpt = None,
    limits: ReadLimits = ReadLimits(),
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

    debug = debugging()
    report = guard(debug, lambda: load_and_check([model], catalog, today, limits))
    loaded = report.sources[0]
    highlight: frozenset[str] = frozenset()
    if finding is not None:
        chosen = [f for f in report.findings if finding in (f.id, f"{f.threat}:{f.target}")]
        if not chosen:
            fail(
                UsageError(
                    f"no finding `{finding}` in {model}; use an id from the JSON report "
                    "or THREAT:TARGET as listed by `tmcode check`"
                ),
                debug,
            )
        highlight = frozenset(chosen[0].elements)
    view = build_view(loaded, report.findings, highlight)
    if format is DiagramFormat.mermaid:
        content: str | bytes = to_mermaid(view)
    elif format is DiagramFormat.dot:
        content = to_dot(view)
    else:
        refusal = layout_refusal(view)
        if refusal:
            fail(
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
        content = guard(
            debug, lambda: dot_to_image(to_dot(view), format.value, timeout=layout_timeout)
        )
    if output is None:
        if isinstance(content, bytes):
            sys.stdout.buffer.write(content)
        else:
            typer.echo(content, nl=False)
        return
    guard(debug, lambda: write_output(output, content, files_read([model], catalog)))
    how = (
        "laid out by Graphviz"
        if format in (DiagramFormat.svg, DiagramFormat.png)
        else "source, no Graphviz needed"
    )
    typer.echo(f"wrote {output} ({format.value.upper()}, {how})", err=True)


@limit_options()
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
    limits: ReadLimits = ReadLimits(),
) -> None:
    """Write a threat-model documentation site (mkdocs-material) for the models."""
    from tmcode.render.diagram import graphviz_available
    from tmcode.render.site import check_site_folder, site_files, write_site

    debug = debugging()
    guard(debug, lambda: check_site_folder(output))
    report = guard(debug, lambda: load_and_check(list(models), catalog, today, limits, discover))
    from tmcode.pipeline import with_reach

    report = guard(debug, lambda: with_reach(report))
    svg = graphviz_available()
    files = guard(debug, lambda: site_files(report, svg=svg))
    inputs = files_read(list(models), catalog)
    written = guard(debug, lambda: write_site(files, output, inputs))
    diagrams = (
        "SVG and Mermaid diagrams"
        if svg
        else "Mermaid diagrams only (Graphviz `dot` is not installed, so no SVG)"
    )
    typer.echo(f"wrote {len(written)} files to {output} with {diagrams}", err=True)
    if build:
        from tmcode.render.site import build_site

        guard(debug, lambda: build_site(output))
        typer.echo(f"built the site in {output / 'site'}", err=True)


def register(app: typer.Typer) -> None:
    """Add ``diagram`` and ``docs`` to ``app``."""
    app.command()(diagram)
    app.command()(docs)
