"""The system's diagrams on the site: the data-flow SVG, Mermaid tabs and attack paths."""

from __future__ import annotations

from dataclasses import dataclass, replace

from tmcode.render.diagram import (
    RenderError,
    SystemView,
    ViewBoundary,
    ViewEdge,
    dot_to_image,
    layout_refusal,
    to_dot,
)
from tmcode.render.site.markup import text
from tmcode.report import Finding

# A finding's page shows the whole diagram, its path highlighted, up to this many components
# and flows; beyond them the path alone, since every finding's page repeats its diagram.
_FULL_DIAGRAM_LIMIT = 60
_FULL_DIAGRAM_EDGES = 200


@dataclass(frozen=True)
class SystemDiagram:
    """The data-flow diagram as laid out SVG, or why it is not (then Mermaid only)."""

    svg: bytes | None
    note: str


def lay_out(view: SystemView, svg: bool) -> SystemDiagram:
    """Lay out the view as SVG with Graphviz when ``svg`` and the view is small enough."""
    if not svg:
        return SystemDiagram(None, "")
    note = layout_refusal(view)
    if note:
        return SystemDiagram(None, note)
    try:
        return SystemDiagram(dot_to_image(to_dot(view), "svg"), "")
    except RenderError as exc:
        return SystemDiagram(None, exc.problems[0].message)


def path_view(view: SystemView, f: Finding) -> SystemView:
    """The attack path on the whole system, or alone when the system is large."""
    highlight = frozenset(f.elements)
    if len(view.nodes) <= _FULL_DIAGRAM_LIMIT and len(view.edges) <= _FULL_DIAGRAM_EDGES:
        return replace(view, highlight=highlight)
    nodes_by_id = {n.id: n for n in view.nodes}
    edges_by_address: dict[str, list[ViewEdge]] = {}
    for edge in view.edges:
        edges_by_address.setdefault(edge.address, []).append(edge)
    order = {b: i for i, b in enumerate(view.boundaries)}
    nodes = [nodes_by_id[e] for e in dict.fromkeys(f.elements) if e in nodes_by_id]
    keep = {n.id for n in nodes}
    boundaries = {n.boundary for n in nodes}
    edges = [
        edge
        for e in dict.fromkeys(f.elements)
        for edge in edges_by_address.get(e, [])
        if edge.source in keep and edge.target in keep
    ]
    shown = {b: ViewBoundary(b, v.label, ()) for b, v in view.boundaries.items() if b in boundaries}
    return SystemView(
        view.name, nodes, edges, shown, sorted(shown, key=order.__getitem__), highlight
    )


def diagram_tabs(mermaid: str, svg_path: str | None, system_name: str) -> list[str]:
    """The SVG and its Mermaid source as tabs, or the Mermaid source alone."""
    lines: list[str] = []
    if svg_path:
        lines += [
            '=== "Diagram"',
            "",
            f"    ![Data-flow diagram of {text(system_name)}]({svg_path})",
            "",
        ]
        lines += ['=== "Mermaid"', ""]
        indent = "    "
    else:
        indent = ""
    lines += [indent + "```mermaid"] + [indent + line for line in mermaid.rstrip("\n").split("\n")]
    lines += [indent + "```", ""]
    return lines
