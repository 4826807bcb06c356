"""Data-flow and attack-path diagrams as DOT (via the graphviz package) and Mermaid.

Both come from one view of the model and its findings, so they always agree. Every label is
escaped for its target: DOT labels cannot break out of their quotes or turn into HTML labels,
and Mermaid labels are entity-encoded so that no directive (`click`, `%%{init}`) can be
smuggled in through a name.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field

import graphviz

from tmcode.render.palette import SEVERITY_STYLE
from tmcode.errors import Problem, TmcodeError
from tmcode.render.escape import reveal
from tmcode.model.address import finding_owner
from tmcode.model.kinds import glyph
from tmcode.model.load import LoadedModel
from tmcode.report import GATING_STATUSES, Finding, Severity


class RenderError(TmcodeError):
    """An output that cannot be produced here (for example no Graphviz `dot` binary)."""


SEVERITY_FILL = {severity: style.fill for severity, style in SEVERITY_STYLE.items()}
# No severity's hue: a highlighted attack path must not read as a severity.
PATH_COLOR = "#263238"
# Permissions are drawn dashed in a hue no severity uses (purple is critical's).
PERMISSION_COLOR = "#00796b"
# Graphviz's layered layout grows much faster than linearly; above this many components the
# HTML report and the docs site give the Mermaid and DOT sources instead of laying out an SVG.
SVG_COMPONENT_LIMIT = 200
# Dense flows and deep nesting slow it as well; and a layout that runs longer is stopped.
SVG_FLOW_LIMIT = 1_000
SVG_NESTING_LIMIT = 50
LAYOUT_TIMEOUT = 20.0
# Nested clusters are indented no deeper than this; the nesting itself is kept.
_INDENT_LIMIT = 16


@dataclass(frozen=True)
class ViewNode:
    id: str
    label: str
    kind: str
    boundary: str
    severity: Severity | None


@dataclass(frozen=True)
class ViewEdge:
    source: str
    target: str
    label: str
    address: str
    permission: bool


@dataclass(frozen=True)
class ViewBoundary:
    id: str
    label: str
    children: tuple[str, ...]


@dataclass
class SystemView:
    """Everything a diagram shows, in model order."""

    name: str
    nodes: list[ViewNode] = field(default_factory=list)
    edges: list[ViewEdge] = field(default_factory=list)
    boundaries: dict[str, ViewBoundary] = field(default_factory=dict)
    roots: list[str] = field(default_factory=list)
    highlight: frozenset[str] = frozenset()


def clean(text: str, limit: int = 80) -> str:
    """Show hidden characters as escapes (newlines stay) and shorten, for a label."""
    text = reveal(text.replace("\t", " ").replace("\r", " "), layout=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def worst_open(findings: list[Finding]) -> dict[str, Severity]:
    """Map each element address to the worst severity of its open or expired findings."""
    worst: dict[str, Severity] = {}
    for f in findings:
        if f.status in GATING_STATUSES and (f.target not in worst or f.severity > worst[f.target]):
            worst[f.target] = f.severity
    return worst


def build_view(
    loaded: LoadedModel, findings: list[Finding], highlight: frozenset[str] = frozenset()
) -> SystemView:
    """Collect the nodes, edges and boundaries of a model, coloured by its findings."""
    model = loaded.model
    worst = worst_open(findings)
    # A permission's or flow's finding colours the component it belongs to.
    for f in findings:
        owner = finding_owner(f.target, f.elements, model.components)
        if f.status in GATING_STATUSES and owner is not None:
            if owner not in worst or f.severity > worst[owner]:
                worst[owner] = f.severity
    view = SystemView(clean(model.system.name), highlight=highlight)
    children: dict[str, list[str]] = {b: [] for b in model.boundaries}
    for bid, boundary in model.boundaries.items():
        if boundary.parent in children:
            children[boundary.parent].append(bid)
        else:
            view.roots.append(bid)
    for bid, boundary in model.boundaries.items():
        label = f"{boundary.name or bid} ({boundary.trust.value})"
        view.boundaries[bid] = ViewBoundary(bid, clean(label), tuple(children[bid]))
    for cid, c in model.components.items():
        label = f"{c.name or cid}\n{c.kind}"
        view.nodes.append(ViewNode(cid, clean(label, 120), c.kind, c.boundary, worst.get(cid)))
    for flow in model.flows:
        label = flow.kind.value + (f": {', '.join(flow.data)}" if flow.data else "")
        view.edges.append(ViewEdge(flow.from_, flow.to, clean(label), flow.address, False))
    for entry in loaded.index.permissions.values():
        scopes = ", ".join(s.value for s in entry.permission.scopes)
        view.edges.append(ViewEdge(entry.agent, entry.target, clean(scopes), entry.address, True))
    return view


def _preorder(view: SystemView) -> Iterator[tuple[str | None, int]]:
    """Yield (boundary, depth) as each cluster opens and (None, depth) as it closes, roots at 1."""
    stack: list[tuple[str | None, int]] = [(root, 1) for root in reversed(view.roots)]
    while stack:
        bid, depth = stack.pop()
        yield bid, depth
        if bid is not None:
            stack.append((None, depth))
            stack += [(child, depth + 1) for child in reversed(view.boundaries[bid].children)]


# ---------------------------------------------------------------- DOT


def _dot_id(text: str) -> str:
    return str(graphviz.escape(text))


def to_dot(view: SystemView) -> str:
    """Return deterministic DOT source for the view."""
    g = graphviz.Digraph(
        "tmcode",
        graph_attr={
            "rankdir": "LR",
            "fontname": "Helvetica",
            "label": graphviz.escape(view.name),
            "labelloc": "t",
            "compound": "true",
        },
        node_attr={
            "fontname": "Helvetica",
            "fontsize": "10",
            "style": "filled",
            "fillcolor": "#ffffff",
        },
        edge_attr={"fontname": "Helvetica", "fontsize": "8"},
    )
    by_boundary: dict[str, list[ViewNode]] = {}
    for node in view.nodes:
        by_boundary.setdefault(node.boundary, []).append(node)

    def node_attrs(node: ViewNode) -> dict[str, str]:
        attrs = {"shape": glyph(node.kind).dot}
        if node.severity is not None:
            attrs["fillcolor"] = SEVERITY_FILL[node.severity]
        if node.id in view.highlight:
            attrs.update(color=PATH_COLOR, penwidth="3")
        return attrs

    # Clusters are written iteratively, indented at most _INDENT_LIMIT deep: boundaries nested
    # thousands deep cost neither recursion nor quadratic indentation.
    scratch = graphviz.Digraph()
    number = 0
    for bid, depth in _preorder(view):
        if bid is None:
            g.body.append("\t" * min(depth, _INDENT_LIMIT) + "}\n")
            continue
        pad = "\t" * min(depth - 1, _INDENT_LIMIT)
        boundary = view.boundaries[bid]
        g.body.append(f"{pad}\tsubgraph cluster_{number} {{\n")
        number += 1
        scratch.attr(label=graphviz.escape(boundary.label), style="dashed", color="#607d8b")
        for node in by_boundary.get(bid, []):
            scratch.node(_dot_id(node.id), label=graphviz.escape(node.label), **node_attrs(node))
        g.body += [pad + "\t" + line for line in scratch.body]
        scratch.body.clear()
    for edge in view.edges:
        attrs = {"label": graphviz.escape(edge.label)}
        if edge.permission:
            attrs.update(
                style="dashed", color=PERMISSION_COLOR, fontcolor=PERMISSION_COLOR, arrowhead="vee"
            )
        if edge.address in view.highlight:
            attrs.update(color=PATH_COLOR, penwidth="3")
        g.edge(_dot_id(edge.source), _dot_id(edge.target), **attrs)
    return str(g.source)


def layout_refusal(view: SystemView) -> str:
    """Say why Graphviz is not asked to lay out the view (too large to finish in time), or ''."""
    depth = max((d for _, d in _preorder(view)), default=0)
    for count, limit, what in (
        (len(view.nodes), SVG_COMPONENT_LIMIT, "components"),
        (len(view.edges), SVG_FLOW_LIMIT, "flows and permissions"),
        (depth, SVG_NESTING_LIMIT, "levels of nested boundaries"),
    ):
        if count > limit:
            return f"the system has {count} {what}, more than the {limit} laid out automatically"
    return ""


def dot_to_image(dot: str, fmt: str, *, timeout: float | None = None) -> bytes:
    """Lay out DOT with the Graphviz `dot` binary within ``timeout`` seconds, or RenderError."""
    timeout = LAYOUT_TIMEOUT if timeout is None else timeout
    hint = "use --format dot or mermaid for the diagram's source"
    try:
        done = subprocess.run(
            ["dot", f"-T{fmt}"], input=dot.encode("utf-8"), capture_output=True, timeout=timeout
        )
    except FileNotFoundError:
        raise RenderError(
            Problem(
                "tmcode",
                None,
                None,
                f"cannot render {fmt.upper()}: the Graphviz `dot` program is not installed",
                f"install Graphviz (e.g. `apt-get install graphviz`), or {hint}",
            )
        ) from None
    except subprocess.TimeoutExpired:
        raise RenderError(
            Problem(
                "tmcode",
                None,
                None,
                f"Graphviz did not lay out the diagram within {timeout:g} s",
                f"{hint}, or allow more time with --layout-timeout",
            )
        ) from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RenderError(
            Problem(
                "tmcode",
                None,
                None,
                f"Graphviz failed to lay out the diagram (exit {done.returncode})"
                + (f": {clean(said[0], 200)}" if said else ""),
                hint,
            )
        )
    return done.stdout


def graphviz_available() -> bool:
    """True when the `dot` binary can be run."""
    try:
        graphviz.version()
    except (graphviz.ExecutableNotFound, graphviz.CalledProcessError, OSError):
        return False
    return True


# ---------------------------------------------------------------- Mermaid

_MERMAID_SAFE = re.compile(r"[A-Za-z0-9 .,_()/:+-]")


def mermaid_text(text: str) -> str:
    """Entity-encode everything but plain characters, so a label can never end early."""
    return "".join(
        ch if _MERMAID_SAFE.match(ch) else ("<br/>" if ch == "\n" else f"#{ord(ch)};")
        for ch in text
    )


def to_mermaid(view: SystemView) -> str:
    """Return a Mermaid flowchart for the view (GitHub renders it in Markdown)."""
    ids = {node.id: f"n{i}" for i, node in enumerate(view.nodes)}
    lines = ["flowchart LR"]
    by_boundary: dict[str, list[ViewNode]] = {}
    for node in view.nodes:
        by_boundary.setdefault(node.boundary, []).append(node)
    number = 0
    for bid, depth in _preorder(view):
        pad = "  " * min(depth, _INDENT_LIMIT)
        if bid is None:
            lines.append(f"{pad}end")
            continue
        boundary = view.boundaries[bid]
        lines.append(f'{pad}subgraph b{number}["{mermaid_text(boundary.label)}"]')
        number += 1
        for node in by_boundary.get(bid, []):
            opener, closer = glyph(node.kind).mermaid
            lines.append(f"{pad}  {ids[node.id]}{opener}{mermaid_text(node.label)}{closer}")
    highlighted: list[int] = []
    permissions: list[int] = []
    for index, edge in enumerate(view.edges):
        arrow = "-.->" if edge.permission else "-->"
        lines.append(
            f'  {ids[edge.source]} {arrow}|"{mermaid_text(edge.label)}"| {ids[edge.target]}'
        )
        if edge.address in view.highlight:
            highlighted.append(index)
        elif edge.permission:
            permissions.append(index)
    for severity, color in SEVERITY_FILL.items():
        lines.append(f"  classDef {severity.value} fill:{color},stroke:#333")
    lines.append(f"  classDef path stroke:{PATH_COLOR},stroke-width:3px")
    for node in view.nodes:
        if node.severity is not None:
            lines.append(f"  class {ids[node.id]} {node.severity.value}")
        if node.id in view.highlight:
            lines.append(f"  class {ids[node.id]} path")
    if permissions:  # the colour of permissions in the DOT drawing
        lines.append(f"  linkStyle {','.join(map(str, permissions))} stroke:{PERMISSION_COLOR}")
    if highlighted:
        lines.append(
            f"  linkStyle {','.join(map(str, highlighted))} stroke:{PATH_COLOR},stroke-width:3px"
        )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- parts of a view


def _parents(view: SystemView) -> dict[str, str]:
    return {child: bid for bid, b in view.boundaries.items() for child in b.children}


def subview(
    view: SystemView,
    nodes: set[str],
    edges: list[ViewEdge],
    name: str,
    highlight: frozenset[str] = frozenset(),
) -> SystemView:
    """The part of ``view`` showing ``nodes`` and ``edges``, inside their boundaries (nesting kept)."""
    parents = _parents(view)
    shown: set[str] = set()
    for node in view.nodes:
        if node.id in nodes:
            bid: str | None = node.boundary
            while bid is not None and bid not in shown:
                shown.add(bid)
                bid = parents.get(bid)
    boundaries = {
        bid: ViewBoundary(bid, b.label, tuple(c for c in b.children if c in shown))
        for bid, b in view.boundaries.items()
        if bid in shown
    }
    return SystemView(
        clean(name, 160),
        [n for n in view.nodes if n.id in nodes],
        edges,
        boundaries,
        [r for r in view.roots if r in shown],
        highlight,
    )


def neighbourhood(view: SystemView, elements: list[str], name: str) -> SystemView:
    """An attack path highlighted, with every component one hop from it and those hops."""
    path = set(elements)
    on_path = {n.id for n in view.nodes if n.id in path}
    for edge in view.edges:
        if edge.address in path:
            on_path.update((edge.source, edge.target))
    edges = [e for e in view.edges if e.source in on_path or e.target in on_path]
    nodes = on_path | {e.source for e in edges} | {e.target for e in edges}
    return subview(view, nodes, edges, name, frozenset(elements))


def boundary_view(view: SystemView, bid: str) -> SystemView:
    """One trust boundary (with those nested in it) and every component one hop outside it."""
    inside_boundaries = {bid}
    stack = [bid]
    while stack:
        for child in view.boundaries[stack.pop()].children:
            inside_boundaries.add(child)
            stack.append(child)
    inside = {n.id for n in view.nodes if n.boundary in inside_boundaries}
    edges = [e for e in view.edges if e.source in inside or e.target in inside]
    nodes = inside | {e.source for e in edges} | {e.target for e in edges}
    return subview(view, nodes, edges, f"Trust boundary {view.boundaries[bid].label}")


# ---------------------------------------------------------------- legend

# What the legend says about the lines, in both diagram languages.
LEGEND_LINES = (
    ("flow", "data flow"),
    ("permission", "permission (agent to tool, scopes on the line)"),
    ("path", "attack path of the finding"),
)


def _legend_kinds(view: SystemView) -> list[str]:
    return list(dict.fromkeys(n.kind for n in view.nodes))


def _legend_severities(view: SystemView) -> list[Severity]:
    present = {n.severity for n in view.nodes if n.severity is not None}
    return [s for s in sorted(Severity, reverse=True) if s in present]


def legend_dot(view: SystemView, path: bool = False) -> str:
    """A small DOT graph saying what the shapes, fills and lines of ``view`` mean, in one row."""
    g = graphviz.Digraph(
        "legend",
        graph_attr={"rankdir": "TB", "fontname": "Helvetica", "nodesep": "0.12", "ranksep": "0.3"},
        node_attr={"fontname": "Helvetica", "fontsize": "9", "style": "filled", "height": "0.3"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9"},
    )
    # One row, read left to right: the line samples (their tails), the fills, the shapes.
    lines = [
        (i, what, words) for i, (what, words) in enumerate(LEGEND_LINES) if path or what != "path"
    ]
    row: list[tuple[str, dict[str, str]]] = [
        (f"a{i}", {"label": "", "shape": "point", "width": "0.05"}) for i, _, _ in lines
    ]
    row += [
        (
            f"s{severity.value}",
            {
                "label": f"{severity.value} finding",
                "shape": "box",
                "fillcolor": SEVERITY_FILL[severity],
            },
        )
        for severity in _legend_severities(view)
    ]
    row += [
        (f"k{i}", {"label": kind, "shape": glyph(kind).dot, "fillcolor": "#ffffff"})
        for i, kind in enumerate(_legend_kinds(view))
    ]
    g.node("rows", label="", shape="point", style="invis", width="0")
    for name, attrs in row:
        g.node(name, **attrs)
    # The shapes go in a second row, below the line samples: the legend stays narrow.
    kinds = [f"k{i}" for i in range(len(_legend_kinds(view)))]
    if kinds:
        g.body.append("\t{rank=same; " + "; ".join(kinds) + "}\n")
        g.edge("rows", kinds[0], style="invis", minlen="2")
    for i, what, words in lines:
        attrs = {"label": " " + words}
        if what == "permission":
            attrs.update(style="dashed", color=PERMISSION_COLOR, arrowhead="vee")
        elif what == "path":
            attrs.update(color=PATH_COLOR, penwidth="3")
        g.node(f"b{i}", label="", shape="point", width="0.05")
        g.edge(f"a{i}", f"b{i}", **attrs)
    return str(g.source)


def legend_mermaid(view: SystemView, path: bool = False) -> str:
    """The legend of ``view`` as a Mermaid flowchart, for sites without Graphviz."""
    lines = ["flowchart LR", '  subgraph kinds["shapes: component kinds"]']
    for i, kind in enumerate(_legend_kinds(view)):
        opener, closer = glyph(kind).mermaid
        lines.append(f"    k{i}{opener}{mermaid_text(kind)}{closer}")
    lines.append("  end")
    severities = _legend_severities(view)
    if severities:
        lines.append('  subgraph fills["fill: worst open finding"]')
        for severity in severities:
            lines.append(f'    s{severity.value}["{severity.value}"]')
        lines.append("  end")
    lines.append('  subgraph lines["lines (dashed frame: trust boundary)"]')
    styled: list[int] = []
    number = 0
    for i, (what, words) in enumerate(LEGEND_LINES):
        if what == "path" and not path:
            continue
        arrow = "-.->" if what == "permission" else "-->"
        lines.append(f'    a{i}[" "] {arrow} b{i}["{mermaid_text(words)}"]')
        if what == "path":
            styled.append(number)
        number += 1
    lines.append("  end")
    for severity in severities:
        lines.append(f"  classDef {severity.value} fill:{SEVERITY_FILL[severity]},stroke:#333")
        lines.append(f"  class s{severity.value} {severity.value}")
    if styled:
        lines.append(
            f"  linkStyle {','.join(map(str, styled))} stroke:{PATH_COLOR},stroke-width:3px"
        )
    return "\n".join(lines) + "\n"
