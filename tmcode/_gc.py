"""Pause the cyclic garbage collector during allocation-heavy, cycle-free phases."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off, restoring its previous state.

    Loading and checking allocate millions of short-lived, acyclic objects; the collector's
    generational passes over the growing heap then cost more than the work itself (measured
    at 10,000 components: load 0.85 s -> 0.54 s). Reference counting still frees everything.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
