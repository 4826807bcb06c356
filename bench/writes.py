"""What the checked, atomic writer costs: the docs site of the bundled models, and one report.

Run ``python bench/writes.py``. Prints the median of ``--repeats`` runs, in a temporary folder
on the disk that holds the system's temporary directory: writing the site into a new folder,
rebuilding it unchanged (nothing rewritten), rebuilding it with every page changed (each file
replaced by rename), and writing one JSON report (one fsync).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tmcode.output import write_output
from tmcode.pipeline import check_files
from tmcode.render import RenderOptions, render
from tmcode.render.site import site_files, write_site

MODELS = Path(__file__).resolve().parent.parent / "models"


def _ms(action: Callable[..., object], *args: object) -> float:
    start = time.perf_counter()
    action(*args)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    """Print the timings."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    report = check_files(sorted(MODELS.glob("*.yaml")), catalogs=[], today=None)
    files = site_files(report, svg=False)
    changed = {
        name: content + "\n" if isinstance(content, str) else content
        for name, content in files.items()
    }
    text = render(report, "json", RenderOptions())
    figures: dict[str, list[float]] = {"new": [], "unchanged": [], "changed": [], "report": []}
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            site = Path(tmp) / "site"
            figures["new"].append(_ms(write_site, files, site))
            figures["unchanged"].append(_ms(write_site, files, site))
            figures["changed"].append(_ms(write_site, changed, site))
            figures["report"].append(_ms(write_output, Path(tmp) / "r.json", text, []))
    size = sum(len(c) for c in files.values()) // 1024
    print(f"docs site: {len(files)} files, {size} KiB")
    for name, label in (
        ("new", "site into a new folder"),
        ("unchanged", "site rebuilt, unchanged"),
        ("changed", "site rebuilt, every page changed"),
        ("report", f"one JSON report ({len(text) // 1024} KiB)"),
    ):
        print(f"  {label:34} {statistics.median(figures[name]):8.1f} ms")


if __name__ == "__main__":
    main()
