"""Bounds on reading a model: a light module, so the command line can offer them as options."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReadLimits:
    """Bounds that keep a hostile model file from exhausting memory, stack or time."""

    max_bytes: int = 20 * 1024 * 1024
    max_depth: int = 64
    max_nodes: int = 5_000_000
    python_timeout: float = 30.0  # seconds a Python model may run, in its own process
