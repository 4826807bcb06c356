"""``tmcode catalog``: browse the threat catalog."""

from __future__ import annotations

from typing import Annotated

import typer

from tmcode.cli._options import CatalogOpt
from tmcode.cli._run import debugging, fail, guard
from tmcode.errors import Problem, UsageError


def catalog_list(catalog: CatalogOpt = None) -> None:
    """List every threat: id, severity model, title."""
    from tmcode.catalog.load import load_catalog

    cat = guard(debugging(), lambda: load_catalog(catalog or []))
    for tid, compiled in cat.threats.items():
        t = compiled.threat
        typer.echo(
            f"{tid:9} {t.severity.likelihood:>6}/{t.severity.impact:<8} {t.target:10} {t.title}"
        )


def catalog_show(
    threat_id: Annotated[str, typer.Argument(metavar="ID")], catalog: CatalogOpt = None
) -> None:
    """Show one threat: condition, severity, mitigations, references and documentation."""
    from tmcode.catalog.load import load_catalog
    from tmcode.model.diagnose import did_you_mean

    cat = guard(debugging(), lambda: load_catalog(catalog or []))
    if threat_id not in cat.threats:
        hint = did_you_mean(threat_id, cat.threats) or "run `tmcode catalog list`"
        fail(
            UsageError(Problem("tmcode", None, None, f"no threat `{threat_id}`", hint)), debugging()
        )
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


def catalog_coverage(catalog: CatalogOpt = None) -> None:
    """Print, list by list and edition, which threats cover each entry; exit 1 on a gap."""
    from tmcode.catalog.coverage import list_coverage
    from tmcode.catalog.load import load_catalog
    from tmcode.render.standards import coverage_text

    lists = guard(debugging(), lambda: list_coverage(load_catalog(catalog or [])))
    typer.echo(coverage_text(lists))
    if any(c.failing for c in lists):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the ``catalog`` sub-commands to ``app``."""
    catalog_app = typer.Typer(help="Browse the threat catalog.", no_args_is_help=True)
    catalog_app.command("list")(catalog_list)
    catalog_app.command("show")(catalog_show)
    catalog_app.command("coverage")(catalog_coverage)
    app.add_typer(catalog_app, name="catalog")
