"""A system's inventory: components, AI assets, data assets and trust boundaries."""

from __future__ import annotations

from tmcode.model.kinds import Trait, has
from tmcode.render.site.context import SystemSite
from tmcode.render.site.markup import code, text

# Attributes the AI-asset table leaves out: shown elsewhere or too long for a cell.
_NOT_DETAILS = {"kind", "boundary", "name", "description", "tools", "controls", "tags"}


def inventory_page(site: SystemSite) -> str:
    """Every component, AI asset, data asset and trust boundary of the system."""
    m, index = site.model, site.index
    lines = [
        "# Inventory",
        "",
        "## Components",
        "",
        "| id | kind | boundary | trust | source | exposure | owner |",
        "|---|---|---|---|---|---|---|",
    ]
    for cid, c in m.components.items():
        lines.append(
            f"| [{code(cid)}](components/{site.page[cid]}.md) | {c.kind} | {code(c.boundary)} | "
            f"{index.trust[cid].value} | {c.source.value if c.source else ''} | "
            f"{c.exposure.value if c.exposure else ''} | {text(c.owner or '')} |"
        )
    lines += ["", "## AI assets", "", "| id | kind | details |", "|---|---|---|"]
    for cid, c in m.components.items():
        if has(c.kind, Trait.ai_asset):
            attrs = c.model_dump(mode="json", exclude_unset=True, exclude=_NOT_DETAILS)
            details = "; ".join(f"{k}: {text(str(v))}" for k, v in attrs.items())
            lines.append(
                f"| [{code(cid)}](components/{site.page[cid]}.md) | {c.kind} | {details} |"
            )
    lines += [
        "",
        "## Data assets",
        "",
        "| id | classification | tags | held by |",
        "|---|---|---|---|",
    ]
    held: dict[str, list[str]] = {}
    for cid in m.components:
        for did in index.data_of(cid):
            held.setdefault(did, []).append(cid)
    for did, d in m.data.items():
        holders = held.get(did, [])
        lines.append(
            f"| {code(did)} | {d.classification.value} | {', '.join(code(t) for t in d.tags)} | "
            f"{', '.join(code(h) for h in holders)} |"
        )
    lines += [
        "",
        "## Trust boundaries",
        "",
        "| id | name | trust | inside |",
        "|---|---|---|---|",
    ]
    for bid, b in m.boundaries.items():
        lines.append(
            f"| {code(bid)} | {text(b.name or '')} | {b.trust.value} | {code(b.parent) if b.parent else ''} |"
        )
    return "\n".join(lines) + "\n"
