"""The blast radius: what each component could do if hijacked, and who owns and stops it."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add ``tmcode reach`` to ``app``."""
    from tmcode.reach_command import reach

    app.command("reach")(reach)
