"""A system's tool permissions: what each agent may do with each target."""

from __future__ import annotations

from tmcode.render.site.context import SystemSite
from tmcode.render.site.markup import code


def permissions_page(site: SystemSite) -> str:
    """One row per permission: agent, target, scopes, credential and controls."""
    lines = [
        "# Tool permissions",
        "",
        "What each agent may do with each tool, server, store or service.",
        "",
        "| agent | target | kind | scopes | credential | controls |",
        "|---|---|---|---|---|---|",
    ]
    for entry in site.index.permissions.values():
        agent, target, p = entry.agent, entry.target, entry.permission
        controls = ", ".join(
            code(c.id) + (" (planned)" if not c.implemented else "")
            for c in site.index.controls_on(entry.address).entries
        )
        lines.append(
            f"| [{code(agent)}](components/{site.page[agent]}.md) | "
            f"[{code(target)}](components/{site.page[target]}.md) | "
            f"{site.model.components[target].kind} | {', '.join(s.value for s in p.scopes)} | "
            f"{p.credential.value if p.credential else ''} | {controls} |"
        )
    if not site.index.permissions:
        lines.append("| — | — | — | — | — | — |")
    return "\n".join(lines) + "\n"
