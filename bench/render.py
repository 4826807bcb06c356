"""Print how long every report format, the diagrams and the docs site take to render.

Run: ``python bench/render.py [SIZES...]`` (default 250 500 1000 2000). The check runs once per
size; each renderer then works from that one report, as the CLI does.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import synthetic_model  # noqa: E402

from tmcode.catalog.load import load_catalog  # noqa: E402
from tmcode.engine import check  # noqa: E402
from tmcode.model.load import load_model  # noqa: E402
from tmcode.render import RENDERERS, RenderOptions, render  # noqa: E402
from tmcode.render.diagram import build_view, graphviz_available, to_dot, to_mermaid  # noqa: E402
from tmcode.render.site import site_files, write_site  # noqa: E402


def seconds(action) -> float:  # type: ignore[no-untyped-def]
    """Seconds one call of ``action`` takes."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    """Render everything for each size and print one row per size."""
    sizes = [int(a) for a in sys.argv[1:]] or [250, 500, 1000, 2000]
    svg = graphviz_available()
    formats = list(RENDERERS)
    print(f"Graphviz: {'yes (SVG in html and site)' if svg else 'no (Mermaid only)'}")
    print(f"{'components':>10} {'findings':>9} " + " ".join(f"{f:>9}" for f in formats)
          + f" {'dot+mmd':>8} {'site':>7} {'total s':>8}")
    catalog = load_catalog()
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"synthetic-{n}.yaml"
            path.write_text(synthetic_model(n))
            report = check([load_model(path)], catalog, today=dt.date(2026, 11, 26))
            times = [seconds(lambda f=f: render(report, f, RenderOptions(svg=svg))) for f in formats]
            view = build_view(report.sources[0], report.findings)
            diagrams = seconds(lambda: (to_dot(view), to_mermaid(view)))
            site = seconds(lambda: write_site(site_files(report, svg=svg), Path(tmp) / f"site-{n}"))
            total = sum(times) + diagrams + site
            print(f"{n:>10} {len(report.findings):>9} " + " ".join(f"{t:>9.3f}" for t in times)
                  + f" {diagrams:>8.3f} {site:>7.3f} {total:>8.3f}")


if __name__ == "__main__":
    main()
