"""Governance pages of one system: the assurance cross-walk and the blast radius per component."""

from __future__ import annotations

from tmcode.reach.values import BlastRadius, ComponentReach
from tmcode.render.reach import LEGEND, component_markdown, ownership_markdown
from tmcode.render.site.context import SystemSite
from tmcode.render.site.markup import WIDE_PAGE, text


def assurance_page(site: SystemSite) -> str:
    """The lifecycle guidance items, the controls addressing each and their state."""
    from tmcode.assurance import site_page_for

    return site_page_for(site.loaded, site.report.threats.controls)


def reach_overview_page(site: SystemSite, radius: BlastRadius) -> str:
    """Each component's worst open harm, with links, then who owns, changes and stops what."""
    lines = [
        *WIDE_PAGE,
        f"# Blast radius: {text(site.model.system.name)}",
        "",
        "If one of these components were hijacked, what could it read, change, delete, execute, "
        "spend and send? Each has a page with its paths and the controls that cut them.",
        "",
        "| component | kind | takes over | open paths | worst open harm |",
        "|---|---|---:|---:|---|",
    ]
    for c in radius.components:
        page = site.page[c.component]
        worst = c.worst.value if c.worst is not None else "none"
        lines.append(
            f"| [{text(c.component)}]({page}.md) | {c.kind} | {len(c.takes_over) - 1} | "
            f"{c.open} of {c.total} | {worst} |"
        )
    lines.append("")
    lines += ownership_markdown(radius, level=2, flavor="python")
    return "\n".join(lines) + "\n"


def reach_page(c: ComponentReach) -> str:
    """One component's blast radius: matrix, paths with the controls that cut them, ownership."""
    page = component_markdown(c, paths=None, level=1, flavor="python")
    return "\n".join([*WIDE_PAGE, *page, "", LEGEND, ""]) + "\n"
