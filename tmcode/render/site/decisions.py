"""A system's risk decisions, each linked to the finding it settles."""

from __future__ import annotations

from tmcode.render.site.context import SystemSite, finding_page
from tmcode.render.site.markup import code, text
from tmcode.report import Status


def decisions_page(site: SystemSite) -> str:
    """Every risk decision of the model, with the finding it matched or why it is stale."""
    lines = [
        "# Risk decisions",
        "",
        "| threat | target | status | owner | expires | ticket | reason | finding |",
        "|---|---|---|---|---|---|---|---|",
    ]
    by_index = {f.decision.index: f for f in site.findings if f.decision is not None}
    for number, d in enumerate(site.model.decisions):
        f = by_index.get(number)
        state = d.status.value
        if f is not None and f.status is Status.expired:
            state = "expired"
        link = (
            f"[{f.threat} on {code(f.target)}]({finding_page(f)})"
            if f
            else "stale: matches no finding"
        )
        lines.append(
            f"| {code(d.threat)} | {code(d.target)} | {state} | {text(d.owner or '')} | "
            f"{d.expires.isoformat() if d.expires else ''} | {text(d.ticket or '')} | {text(d.reason)} | {link} |"
        )
    if not site.model.decisions:
        lines.append("| — | — | — | — | — | — | — | — |")
    return "\n".join(lines) + "\n"
