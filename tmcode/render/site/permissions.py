"""A system's tool permissions: a matrix of agents and targets, then one row per permission."""

from __future__ import annotations

import html
from urllib.parse import quote

from tmcode.render.site.context import SystemSite, finding_page
from tmcode.render.site.markup import WIDE_PAGE, code
from tmcode.report import GATING_STATUSES, Finding


def _page_link(site: SystemSite, cid: str) -> str:
    return html.escape(quote(f"components/{site.page[cid]}.html"), quote=True)


def _html_code(value: str) -> str:
    return f"<code>{html.escape(value, quote=False)}</code>"


def _matrix(site: SystemSite) -> list[str]:
    """Agents down, targets across; each cell the scopes and the controls on that permission."""
    index = site.index
    agents = [a for a in site.model.components if index.permissions_of_agent.get(a)]
    targets = [t for t in site.model.components if index.permissions_to_target.get(t)]
    if not agents:
        return []
    cell = {(e.agent, e.target): e for e in index.permissions.values()}
    open_on: dict[str, list[Finding]] = {}
    for f in site.findings:
        if f.status in GATING_STATUSES:
            open_on.setdefault(f.target, []).append(f)
    head = "".join(
        f'<th><a href="{_page_link(site, t)}">{_html_code(t)}</a><br>'
        f"<small>{html.escape(site.model.components[t].kind)}</small></th>"
        for t in targets
    )
    rows = []
    for a in agents:
        cells = []
        for t in targets:
            entry = cell.get((a, t))
            if entry is None:
                cells.append('<td class="tmcode-none">—</td>')
                continue
            p = entry.permission
            scopes = ", ".join(s.value for s in p.scopes)
            controls = " ".join(
                _html_code(c.id) + (" (planned)" if not c.implemented else "")
                for c in index.controls_on(entry.address).entries
            )
            credential = (
                f"<br><small>credential: {p.credential.value}</small>" if p.credential else ""
            )
            found = " ".join(
                f'<a href="{html.escape(quote(finding_page(f).removesuffix(".md") + ".html"), quote=True)}" '
                f'class="tmcode-sev {f.severity.value}" title="{html.escape(f.title, quote=True)}">'
                f"{html.escape(f.threat)}</a>"
                for f in open_on.get(entry.address, [])
            )
            cells.append(
                f'<td><span class="tmcode-scopes">{html.escape(scopes)}</span>{credential}'
                + (f"<br>{controls}" if controls else "")
                + (f"<br>{found}" if found else "")
                + "</td>"
            )
        rows.append(
            f'<tr><th><a href="{_page_link(site, a)}">{_html_code(a)}</a></th>'
            + "".join(cells)
            + "</tr>"
        )
    return [
        '<div class="tmcode-matrix md-typeset__scrollwrap"><div class="md-typeset__table">',
        f"<table><thead><tr><th>agent \\ target</th>{head}</tr></thead>",
        "<tbody>",
        *rows,
        "</tbody></table></div></div>",
        "",
    ]


def permissions_page(site: SystemSite) -> str:
    """The permission matrix, then one row per permission: agent, target, scopes, controls."""
    lines = [
        *WIDE_PAGE,
        "# Tool permissions",
        "",
        "What each agent may do with each tool, server, store or service: the scopes granted "
        "(bold), the credential, the controls declared on the permission and the open findings "
        "on it (coloured by severity).",
        "",
    ]
    lines += _matrix(site)
    lines += [
        "## Every permission",
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
