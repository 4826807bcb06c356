"""The command line's former home, kept so ``tmcode._cli:main`` and ``app`` still resolve."""

from __future__ import annotations

from tmcode.cli import app, main

__all__ = ["app", "main"]
