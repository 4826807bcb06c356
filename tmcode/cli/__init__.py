"""The command line: parse, call the library, print, exit. Nothing else lives here.

Each module of this package that does not start with ``_`` is a command group with a
``register(app)`` function. ``GROUPS`` fixes the order ``tmcode --help`` lists them in;
a new module is found without being listed and comes after them.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Annotated

import typer

from tmcode.cli._options import DebugOpt
from tmcode.cli._run import debugging

GROUPS = ("model", "check", "start", "bom", "diff", "draw", "reach", "assurance", "catalog")


def _print_version(value: bool) -> None:
    # Eager, so that `tmcode --version` alone works before a command is required.
    if value:
        from tmcode import __version__

        typer.echo(f"tmcode {__version__}")
        raise typer.Exit(0)


def _root(
    debug: DebugOpt = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version.", callback=_print_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Threat modeling as code for AI systems."""


def group_names() -> list[str]:
    """The command groups: those of ``GROUPS`` first, then any other module here by name."""
    found = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return [*GROUPS, *(name for name in found if name not in GROUPS)]


def make_app() -> typer.Typer:
    """Build the ``tmcode`` application with every command group."""
    app = typer.Typer(
        name="tmcode",
        help="Threat modeling as code for AI systems.",
        add_completion=False,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_root)
    for name in group_names():
        importlib.import_module(f"{__name__}.{name}").register(app)
    return app


app = make_app()


def main() -> None:
    """Entry point of the ``tmcode`` console script."""
    try:
        app()
    except Exception as exc:  # noqa: BLE001 - a bug must still end in one clear line
        if debugging():
            raise
        typer.echo(
            f"tmcode: internal error: {type(exc).__name__}: {exc} — this is a bug in tmcode; "
            "rerun with --debug for the traceback and report it",
            err=True,
        )
        raise SystemExit(2) from None
