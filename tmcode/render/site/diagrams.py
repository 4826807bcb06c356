"""The diagrams of the site: laid out as SVG where Graphviz is, else drawn by bundled Mermaid.

Every diagram is a `Picture`: a part of the system view with a title. The system's whole
diagram, one per trust boundary of a large system, and for each open finding its attack path
with the components one hop around it. Each is shown full width, with zoom buttons, panning and
a legend; nothing is fetched from outside the site.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources

from tmcode.model.address import is_edge
from tmcode.render.diagram import (
    RenderError,
    SystemView,
    boundary_view,
    clean,
    dot_to_image,
    layout_refusal,
    legend_dot,
    legend_mermaid,
    neighbourhood,
    to_dot,
    to_mermaid,
)
from tmcode.report import GATING_STATUSES, Finding

# From this many components a system also gets one diagram per trust boundary.
BOUNDARY_VIEWS_FROM = 20
ASSETS = "assets"
SCRIPT = "javascripts/tmcode-diagram.js"
MERMAID = "javascripts/mermaid.min.js"
# The name must contain "iframe-worker": then mkdocs-material's offline plugin adds no CDN copy.
SEARCH_SHIM = "javascripts/iframe-worker-shim.js"
SITE_CSS = "stylesheets/tmcode-site.css"


@dataclass(frozen=True)
class Picture:
    """One diagram: where its files go, its title, what it shows and its SVG (if laid out)."""

    stem: str  # path under docs/ without suffix, e.g. assets/<slug>/<finding id>
    title: str
    view: SystemView
    svg: bytes | None = None
    note: str = ""  # why there is no SVG, when Graphviz was asked and could not
    path: bool = False  # an attack path is highlighted

    @property
    def mermaid(self) -> str:
        """The picture as Mermaid source."""
        return to_mermaid(self.view)


def has_attack_path(f: Finding) -> bool:
    """Whether the finding's page shows an attack path: open, with a flow or permission on it."""
    return f.status in GATING_STATUSES and any(is_edge(e) for e in f.elements)


def finding_title(f: Finding) -> str:
    """The title of a finding's attack-path diagram."""
    return f"Attack path of {f.threat}: {f.title} (on {f.target})"


def pictures_of(slug: str, view: SystemView, findings: Sequence[Finding]) -> list[Picture]:
    """Every diagram of one system: the whole, per boundary when large, and each attack path."""
    out = [Picture(f"{ASSETS}/{slug}", f"Data-flow diagram of {view.name}", view)]
    if len(view.nodes) >= BOUNDARY_VIEWS_FROM:
        number = 0
        for bid, boundary in view.boundaries.items():
            if any(n.boundary == bid for n in view.nodes):
                number += 1
                out.append(
                    Picture(
                        f"{ASSETS}/{slug}/boundary-{number}",
                        f"Trust boundary {boundary.label}",
                        boundary_view(view, bid),
                    )
                )
    # Findings with the same evidence share one drawing: the page's caption names the finding.
    drawn: set[frozenset[str]] = set()
    for f in findings:
        if has_attack_path(f) and frozenset(f.elements) not in drawn:
            drawn.add(frozenset(f.elements))
            name = f"Attack path in {view.name}"
            out.append(
                Picture(
                    f"{ASSETS}/{slug}/{f.id}",
                    name,
                    neighbourhood(view, f.elements, name),
                    path=True,
                )
            )
    return out


def _lay_out(picture: Picture) -> Picture:
    note = layout_refusal(picture.view)
    if note:
        return Picture(picture.stem, picture.title, picture.view, None, note, picture.path)
    try:
        svg = dot_to_image(to_dot(picture.view), "svg")
    except RenderError as exc:
        return Picture(
            picture.stem, picture.title, picture.view, None, exc.problems[0].message, picture.path
        )
    return Picture(picture.stem, picture.title, picture.view, svg, "", picture.path)


def lay_out(pictures: list[Picture]) -> list[Picture]:
    """Lay out every picture as SVG with Graphviz, several at a time."""
    if not pictures:
        return []
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        return list(pool.map(_lay_out, pictures))


def legend_files(slug: str, view: SystemView, svg: bool) -> dict[str, str | bytes]:
    """The legend of a system's diagrams, as SVG where Graphviz is, else as Mermaid."""
    if svg:
        try:
            return {f"{ASSETS}/{slug}/legend.svg": dot_to_image(legend_dot(view, True), "svg")}
        except RenderError:
            pass
    return {f"{ASSETS}/{slug}/legend.mmd": legend_mermaid(view, True)}


def picture_files(picture: Picture, sources: bool = False) -> dict[str, str | bytes]:
    """The files of one picture: its SVG, and with ``sources`` its Mermaid and DOT source."""
    out: dict[str, str | bytes] = {}
    if picture.svg is not None:
        out[picture.stem + ".svg"] = picture.svg
    if sources:
        out[picture.stem + ".mmd"] = picture.mermaid
        out[picture.stem + ".dot"] = to_dot(picture.view)
    return out


def _mermaid_block(source: str) -> str:
    return f'<pre class="tmcode-mermaid">{html.escape(source.rstrip(chr(10)), quote=False)}</pre>'


def figure(
    picture: Picture,
    up: str,
    legend: dict[str, str | bytes],
    slug: str,
    sources: bool = False,
    title: str | None = None,
) -> list[str]:
    """The picture as a raw HTML block: title, zoom buttons, the picture and its legend.

    ``up`` leads from the page to the docs root (``../`` from a system's page).
    """
    title = html.escape(clean(title or picture.title, 200), quote=True)
    tools = [
        '<button type="button" data-zoom="out" title="Zoom out">−</button>',
        '<span data-zoom-level="">100%</span>',
        '<button type="button" data-zoom="in" title="Zoom in">+</button>',
        '<button type="button" data-zoom="fit" title="Fit the width">Fit</button>',
        '<button type="button" data-zoom="1" title="Actual size">1:1</button>',
        "<span>drag to pan, Ctrl + wheel to zoom</span>",
    ]
    if picture.svg is not None:
        tools.append(f'<a href="{up}{picture.stem}.svg">open the SVG</a>')
        body = f'<img src="{up}{picture.stem}.svg" alt="{title}">'
    else:
        body = _mermaid_block(picture.mermaid)
    if sources:
        tools.append(f'<a href="{up}{picture.stem}.mmd">Mermaid source</a>')
        tools.append(f'<a href="{up}{picture.stem}.dot">DOT source</a>')
    name = "legend"
    svg_legend = f"{ASSETS}/{slug}/{name}.svg"
    if svg_legend in legend:
        key = f'<img src="{up}{svg_legend}" alt="Legend: shapes, fills and lines">'
    else:
        mmd = legend.get(f"{ASSETS}/{slug}/{name}.mmd", "")
        key = _mermaid_block(mmd if isinstance(mmd, str) else mmd.decode("utf-8"))
    return [
        '<figure class="tmcode-diagram">',
        f"<figcaption>{title}</figcaption>",
        f'<div class="tmcode-tools">{"".join(tools)}</div>',
        f'<div class="tmcode-viewport">{body}</div>',
        f'<div class="tmcode-legend">{key}'
        "<p>Legend, for every diagram of this system. Dashed frames are trust boundaries, with "
        "their trust level in brackets."
        + (
            " The thick dark outline and lines are the finding's attack path."
            if picture.path
            else ""
        )
        + "</p></div>",
        "</figure>",
        "",
    ]


def asset_files(mermaid: bool) -> dict[str, str | bytes]:
    """The script and style every page loads, and the bundled Mermaid when a diagram needs it."""
    folder = resources.files("tmcode.render") / "assets"
    out: dict[str, str | bytes] = {
        SCRIPT: (folder / "tmcode-diagram.js").read_text(encoding="utf-8"),
        SITE_CSS: (folder / "tmcode.css").read_text(encoding="utf-8"),
        SEARCH_SHIM: (folder / "iframe-worker-shim.js").read_text(encoding="utf-8"),
        "javascripts/iframe-worker.LICENSE": (folder / "iframe-worker.LICENSE").read_text(
            encoding="utf-8"
        ),
    }
    if mermaid:
        out[MERMAID] = (folder / "mermaid.min.js").read_bytes()
        out["javascripts/mermaid.LICENSE"] = (folder / "mermaid.LICENSE").read_text(
            encoding="utf-8"
        )
    return out
