"""The blast radius for people: a matrix per component, its paths, ownership and gaps.

Text (a terminal) and Markdown (a pull request or a docs page) read the same computed
``BlastRadius`` values (tmcode.reach); nothing here searches the model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tmcode.reach import VERBS, BlastRadius, ComponentReach, Ownership, Path
from tmcode.render.escape import (
    markdown_code,
    markdown_prose,
    markdown_text,
    relative_path,
    terminal_text,
)

_CELL = 11
_NAME = 18
_NO = "·"
LEGEND = "(x) = cut by a declared control; · = no path"


def _cell(value: dict[str, Any] | None) -> str:
    if value is None:
        return _NO
    return f"({value['harm']})" if value["cut"] else str(value["harm"])


def _recipients(path: Path) -> str:
    return ", ".join(f"{r.who} ({r.trust})" for r in path.recipients)


def _data(path: Path) -> str:
    if not path.data:
        return ""
    what = path.classification or "unclassified"
    tags = f"; {', '.join(path.tags)}" if path.tags else ""
    return f"{', '.join(path.data)} [{what}{tags}]"


def path_sentence(path: Path) -> str:
    """One line: harm, verb, target, to whom, with which data, by whom."""
    words = [path.harm.value.upper(), path.verb.value, path.target]
    if path.recipients:
        words.append(f"to {_recipients(path)}")
    data = _data(path)
    if data:
        words.append(f"with {data}" if path.verb.value == "send" else f"— {data}")
    if path.hops and path.actor != path.target:
        words.append(f"(through {path.actor}, {path.hops} take-over(s) away)")
    elif path.hops:
        words.append(f"({path.hops} take-over(s) away)")
    return " ".join(words)


def _controls_line(path: Path) -> str:
    if path.cut:
        line = "cut by: " + ", ".join(path.cut_by)
    else:
        line = "would cut: " + (", ".join(path.would_cut) or "nothing in the catalog")
    if path.planned:
        line += " · planned, not cutting yet: " + ", ".join(path.planned)
    return line


def _owner_text(o: Ownership) -> str:
    owner = o.owner or "none"
    if o.owner_from == "system":
        owner += " (system owner)"
    pinned = "" if o.pinned is None else (", pinned" if o.pinned else ", not pinned")
    stop = [
        f"kill switch: {', '.join(o.kill_switch) or 'none'}",
        f"rollback: {', '.join(o.rollback) or 'none'}",
        f"incident response: {', '.join(o.incident_response) or 'none'}",
    ]
    return f"owner: {owner} · changed by: {o.changed_by}{pinned} · " + " · ".join(stop)


def _summary(c: ComponentReach) -> str:
    worst = c.worst.value.upper() if c.worst else "none"
    others = [x for x in c.takes_over if x != c.component]
    taken = f"; takes over {', '.join(others)}" if others else ""
    more = f"; {c.total - len(c.paths)} more not listed" if c.total > len(c.paths) else ""
    bound = "; search bounded (see docs/reach.md)" if c.truncated else ""
    return (
        f"{c.component} ({c.kind}): if hijacked, {c.total} path(s), {c.open} open, "
        f"worst open harm {worst}{taken}{more}{bound}"
    )


def component_text(c: ComponentReach, clean: Callable[[str], str], paths: int | None) -> list[str]:
    """The matrix, the paths (at most ``paths``) and the ownership of one component."""
    out = [clean(_summary(c))]
    if c.matrix:
        out.append(" " * (_NAME + 2) + "".join(f"{v.value:<{_CELL}}" for v in VERBS).rstrip())
        for target, cells in c.matrix.items():
            row = "".join(f"{_cell(cells.get(v.value)):<{_CELL}}" for v in VERBS).rstrip()
            out.append(f"  {clean(target)[:_NAME]:<{_NAME}}{row}")
    if c.data:
        items = []
        for did, d in c.data.items():
            verbs = ", ".join(d["open"]) + (f" (cut: {', '.join(d['cut'])})" if d["cut"] else "")
            label = ", ".join([d["classification"], *d["tags"]])
            items.append(f"{did} [{label}] {verbs}")
        out.append(clean("  data: " + " · ".join(items)))
    shown = c.paths if paths is None else c.paths[:paths]
    for p in shown:
        out.append(clean(f"  {path_sentence(p)}"))
        out.append(clean("      " + " → ".join(p.elements)))
        out.append(clean("      " + _controls_line(p)))
    if len(shown) < c.total:
        out.append(f"  … {c.total - len(shown)} more path(s): `tmcode reach` lists them")
    out.append(clean("  " + _owner_text(c.ownership)))
    return out


def radius_text(
    radius: BlastRadius, clean: Callable[[str], str] = terminal_text, paths: int | None = None
) -> str:
    """The blast radius of one model for a terminal."""
    where = f" ({relative_path(radius.file)})" if radius.file else ""
    out = [clean(f"Blast radius — {radius.name}{where}"), LEGEND, ""]
    for c in radius.components:
        out += component_text(c, clean, paths)
        out.append("")
    if not radius.components:
        out += ["No agent, model, MCP server or tool to hijack.", ""]
    owned = [
        o for o in radius.ownership if o.component not in {c.component for c in radius.components}
    ]
    if owned:
        out.append("Ownership of the other components")
        for o in owned:
            out.append(clean(f"  {o.component} ({o.kind}): {_owner_text(o)}"))
        out.append("")
    out.append(f"Gaps ({len(radius.gaps)})")
    out += [clean(f"  {gap}") for gap in radius.gaps] or ["  none"]
    return "\n".join(out) + "\n"


def _codes(items: list[str], flavor: str) -> str:
    return ", ".join(markdown_code(i, flavor) for i in items)


def _path_markdown(p: Path, flavor: str) -> str:
    """One path as a Markdown list item: ids in code spans, our own words around them."""
    words = [f"**{p.harm.value}**", p.verb.value, markdown_code(p.target, flavor)]
    if p.recipients:
        words.append(
            "to " + ", ".join(f"{markdown_text(r.who, flavor)} ({r.trust})" for r in p.recipients)
        )
    if p.data:
        label = "; ".join(filter(None, [p.classification, ", ".join(p.tags)]))
        words.append(
            f"{'with' if p.verb.value == 'send' else '—'} {_codes(p.data, flavor)} ({label})"
        )
    if p.hops and p.actor != p.target:
        words.append(f"(through {markdown_code(p.actor, flavor)}, {p.hops} take-over(s) away)")
    elif p.hops:
        words.append(f"({p.hops} take-over(s) away)")
    path = " → ".join(markdown_code(e, flavor) for e in p.elements)
    if p.cut:
        controls = f"cut by {_codes(p.cut_by, flavor)}"
    else:
        controls = "would cut: " + (_codes(p.would_cut, flavor) or "nothing in the catalog")
    if p.planned:
        controls += f" · planned, not cutting yet: {_codes(p.planned, flavor)}"
    return f"{' '.join(words)}<br>{path}<br>{controls}"


def component_markdown(
    c: ComponentReach, paths: int | None = 10, level: int = 4, flavor: str = "gfm"
) -> list[str]:
    """One component's blast radius as Markdown lines: summary, matrix, paths, ownership.

    Also what a site page per agent shows.
    """
    out = [
        f"{'#' * level} {markdown_code(c.component, flavor)} ({c.kind})",
        "",
        markdown_text(_summary(c), flavor),
        "",
    ]
    if c.matrix:
        out.append("| target | " + " | ".join(v.value for v in VERBS) + " |")
        out.append("|---|" + ":---:|" * len(VERBS))
        for target, cells in c.matrix.items():
            row = " | ".join(_cell(cells.get(v.value)) for v in VERBS)
            out.append(f"| {markdown_code(target, flavor)} | {row} |")
        out.append("")
    shown = c.paths if paths is None else c.paths[:paths]
    for p in shown:
        out.append(f"- {_path_markdown(p, flavor)}")
    if len(shown) < c.total:
        out.append(f"- … {c.total - len(shown)} more: `tmcode reach` lists them")
    out += ["", markdown_text(_owner_text(c.ownership), flavor), ""]
    return out


def ownership_markdown(radius: BlastRadius, level: int = 4, flavor: str = "gfm") -> list[str]:
    """Who owns, who can change and who can stop each component, and the gaps, as Markdown."""
    out = [
        f"{'#' * level} Who owns, who can change, who can stop",
        "",
        "| component | kind | owner | changed by | pinned | kill switch | rollback | incident response |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for o in radius.ownership:
        pinned = "" if o.pinned is None else ("yes" if o.pinned else "**no**")
        owner = markdown_text(o.owner, flavor) if o.owner else "**none**"
        owner += " (system)" if o.owner_from == "system" else ""
        out.append(
            f"| {markdown_code(o.component, flavor)} | {o.kind} | {owner} | "
            f"{o.changed_by} | {pinned} | {', '.join(o.kill_switch) or '—'} | "
            f"{', '.join(o.rollback) or '—'} | {', '.join(o.incident_response) or '—'} |"
        )
    out += ["", f"**Gaps ({len(radius.gaps)})**", ""]
    out += [f"- {markdown_prose(gap, flavor)}" for gap in radius.gaps] or ["- none"]
    return out


def radius_markdown(
    radius: BlastRadius, paths: int | None = 10, level: int = 3, flavor: str = "gfm"
) -> str:
    """The blast radius of one model as Markdown: a matrix and paths per component."""
    out = [f"{'#' * level} Blast radius: {markdown_text(radius.name, flavor)}", "", LEGEND, ""]
    for c in radius.components:
        out += component_markdown(c, paths, level + 1, flavor)
    out += ownership_markdown(radius, level + 1, flavor)
    return "\n".join(out) + "\n"
