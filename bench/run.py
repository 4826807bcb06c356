"""Print how long tmcode takes on synthetic models, next to the YAML parse floor.

``check`` is what ``tmcode check`` does before rendering: load, validate, build the graph and
evaluate the whole catalog.

The floor is PyYAML's C loader merely parsing the same file. Each figure is the median of
several runs, measured alternately with the floor so that machine noise hits both alike.
Run: ``python bench/run.py [SIZES...]`` (default 1000 10000).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import synthetic_model  # noqa: E402

import datetime as dt  # noqa: E402

from tmcode.catalog.load import load_catalog  # noqa: E402
from tmcode.engine import check  # noqa: E402
from tmcode.model.load import load_model  # noqa: E402

REPEATS = 5


def timed(action: Callable[[], object]) -> float:
    """Return the seconds ``action`` takes once."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure(path: Path) -> dict[str, float]:
    """Median seconds for the parse floor, load+validate, and load+validate+check."""
    text = path.read_text()
    catalog = load_catalog()
    known = frozenset(catalog.controls)
    today = dt.date(2026, 11, 26)
    stages: dict[str, Callable[[], object]] = {
        "floor": lambda: yaml.load(text, Loader=yaml.CSafeLoader),
        "load": lambda: load_model(path, known_controls=known),
        "check": lambda: check([load_model(path, known_controls=known)], catalog, today=today),
    }
    samples: dict[str, list[float]] = {name: [] for name in stages}
    for _ in range(REPEATS):
        for name, action in stages.items():
            samples[name].append(timed(action))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    """Generate each size, measure it, and print one row per size."""
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    print(f"{'components':>10} {'bytes':>10} {'floor s':>8} {'load s':>8} {'ratio':>6} "
          f"{'check s':>9} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"synthetic-{n}.yaml"
            path.write_text(synthetic_model(n))
            r = measure(path)
            print(
                f"{n:>10} {path.stat().st_size:>10} {r['floor']:>8.3f} {r['load']:>8.3f} "
                f"{r['load'] / r['floor']:>6.2f} {r['check']:>9.3f} "
                f"{r['check'] / r['floor']:>6.2f}"
            )


if __name__ == "__main__":
    main()
