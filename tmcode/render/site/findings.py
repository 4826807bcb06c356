"""A system's findings page: each finding with its evidence, controls and attack path."""

from __future__ import annotations

from tmcode.model.address import is_edge
from tmcode.render.diagram import to_mermaid
from tmcode.render.escape import relative_path
from tmcode.render.site.context import SystemSite
from tmcode.render.site.diagrams import path_view
from tmcode.render.site.markup import code, text
from tmcode.render.wording import as_of, gating_counts, severity_breakdown, status_counts
from tmcode.report import GATING_STATUSES, Finding, Severity


def anchor(f: Finding) -> str:
    """The id of a finding's heading on the findings page."""
    return f.id


def finding_block(site: SystemSite, f: Finding, heading: str = "###") -> list[str]:
    """One finding: severity, status, message, evidence path, control sets, attack path."""
    lines = [
        f"{heading} {f.threat}: {text(f.title)} — {code(f.target)} {{ #{anchor(f)} }}",
        "",
        f"**{f.severity.value}**, **{f.status.value}**"
        + (f": {text(f.status_reason)}" if f.status_reason else "")
        + f" · [{f.threat}](../threats/{f.threat}.md) · {code(relative_path(f.location.file))}"
        + (f" line {f.location.line}" if f.location.line else ""),
        "",
        text(f.message),
        "",
    ]
    if len(f.elements) > 1:
        lines += ["Evidence path: " + " → ".join(code(e) for e in f.elements), ""]
    for cs in f.controls:
        mark = "**satisfied:**" if cs.satisfied else "**not satisfied:**"
        lines.append(
            f"- {mark} "
            + " + ".join(
                code(c)
                + ("" if c in cs.present else " (planned)" if c in cs.planned else " (missing)")
                for c in cs.all
            )
        )
    lines.append("")
    if f.assumptions:
        lines += ["Assumed: " + "; ".join(text(a) for a in f.assumptions), ""]
    if f.severity_factors:
        lines += ["Severity: " + "; ".join(text(x) for x in f.severity_factors), ""]
    lines += ["References: " + ", ".join(code(r) for r in f.references), ""]
    flows = [e for e in f.elements if is_edge(e)]
    if flows and f.status in GATING_STATUSES:
        view = path_view(site.view, f)
        lines += ['??? note "Attack path"', "", "    ```mermaid"]
        lines += ["    " + line for line in to_mermaid(view).rstrip("\n").split("\n")]
        lines += ["    ```", ""]
    return lines


def findings_page(site: SystemSite) -> str:
    """Every finding of the system, worst severity first."""
    lines = [
        "# Findings",
        "",
        f"{status_counts(site.summary)}; open or expired: {gating_counts(site.summary)}; "
        f"{as_of(site.report)}.",
        "",
    ]
    for severity in sorted(Severity, reverse=True):
        group = [f for f in site.findings if f.severity is severity]
        if not group:
            continue
        breakdown = severity_breakdown(site.summary, severity)
        lines += [f"## {severity.value.capitalize()} ({breakdown})", ""]
        for f in group:
            lines += finding_block(site, f)
    if not site.findings:
        lines.append("No threat of the catalog applies to this model.")
    return "\n".join(lines) + "\n"
