"""Run one benchmark stage in a fresh process and print its seconds and peak memory as JSON.

Usage: python bench/_stage.py STAGE MODEL [OUT_DIR]. Stages: floor (PyYAML's C loader only),
load, check, render:FORMAT, site. Imports are done before the clock starts, so the figures are
the work itself; the parent reads this process's peak RSS from wait4.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path


def main() -> None:
    """Time one stage."""
    stage, model = sys.argv[1], Path(sys.argv[2])
    out = Path(sys.argv[3]) if len(sys.argv) > 3 else None
    if stage == "floor":
        import yaml

        text = model.read_text()
        start = time.perf_counter()
        yaml.load(text, Loader=yaml.CSafeLoader)
    else:
        from tmcode.catalog.load import load_catalog
        from tmcode.engine import check
        from tmcode.model.load import load_model
        from tmcode.render import RENDERERS, RenderOptions, render
        from tmcode.render.site import site_files, write_site

        if stage.startswith("render:"):
            RENDERERS[stage.split(":", 1)[1]]  # import the renderer before the clock starts
        catalog = load_catalog()
        known = frozenset(catalog.controls)
        today = dt.date(2026, 11, 26)
        if stage == "load":
            start = time.perf_counter()
            load_model(model, known_controls=known)
        elif stage == "check":
            start = time.perf_counter()
            check([load_model(model, known_controls=known)], catalog, today=today)
        else:
            report = check([load_model(model, known_controls=known)], catalog, today=today)
            start = time.perf_counter()
            if stage == "site":
                assert out is not None
                write_site(site_files(report, svg=False), out)
            else:
                render(report, stage.split(":", 1)[1], RenderOptions(svg=False))
    print(json.dumps({"seconds": time.perf_counter() - start}))


if __name__ == "__main__":
    main()
