"""A system's findings: a list by severity, and one page per finding with its attack path."""

from __future__ import annotations

from tmcode.render.escape import relative_path
from tmcode.render.site.context import SystemSite, finding_page
from tmcode.render.site.diagrams import Picture, figure, finding_title
from tmcode.render.site.markup import WIDE_PAGE, code, prose, severity_badge, text
from tmcode.render.wording import (
    STATUS_WORDS,
    as_of,
    assumption_note,
    by_target,
    gating_counts,
    more_paths,
    partly_met,
    related,
    severity_breakdown,
    status_counts,
)
from tmcode.report import GATING_STATUSES, Finding, Severity


def finding_link(f: Finding, up: str = "") -> str:
    """``[PI-002: title](findings/<id>.md)``, from a page ``up`` levels below the system folder."""
    return f"[{f.threat}: {text(f.title)}]({up}{finding_page(f)})"


def findings_page(site: SystemSite) -> str:
    """Every finding of the system, worst severity first, one line each."""
    lines = [
        "# Findings",
        "",
        f"{status_counts(site.summary)}; open or expired: {gating_counts(site.summary)}; "
        f"{as_of(site.report)}.",
        "",
    ]
    baseline = site.report.baseline is not None
    for severity in sorted(Severity, reverse=True):
        group = [f for f in site.findings if f.severity is severity]
        if not group:
            continue
        breakdown = severity_breakdown(site.summary, severity)
        lines += [
            f"## {severity.value.capitalize()} ({breakdown})",
            "",
            "| status | threat | target | found |" + (" since the baseline |" if baseline else ""),
            "|---|---|---|---|" + ("---|" if baseline else ""),
        ]
        for f in group:
            note = assumption_note(f)
            row = (
                f"| {STATUS_WORDS[f.status]} | {finding_link(f)} | {code(f.target)} | "
                f"{prose(f.message)}" + (f" · {prose(note)}" if note else "") + " |"
            )
            if baseline:
                row += f" {(f.change or '').replace('_', ' ')} |"
            lines.append(row)
        lines.append("")
    if not site.findings:
        lines.append("No threat of the catalog applies to this model.")
    several = [(key, found) for key, found in by_target(site.findings).items() if len(found) > 1]
    if several:
        lines += [
            "## Targets with several findings",
            "",
            "Read these together: each element below has more than one threat on it.",
            "",
        ]
        several.sort(key=lambda item: _rank(item[1]))
        for (_, target), found in several:
            lines.append(
                f"- {code(target)}: "
                + ", ".join(
                    f"{_ref(g)} ({g.severity.value}, {STATUS_WORDS[g.status]})" for g in found
                )
            )
        lines.append("")
    return "\n".join(lines) + "\n"


def _rank(found: list[Finding]) -> tuple[int, int]:
    gating = [f.severity.rank for f in found if f.status in GATING_STATUSES]
    return (-max(gating, default=-1), -max(f.severity.rank for f in found))


def _ref(f: Finding, up: str = "") -> str:
    return f"[{f.threat}]({up}{finding_page(f)})"


def finding_detail(
    site: SystemSite, f: Finding, picture: Picture | None, legend: dict[str, str | bytes]
) -> str:
    """The page of one finding: verdict, evidence, control sets, attack path, the threat's prose."""
    up = "../../"
    compiled = site.catalog.threats.get(f.threat)
    lines = [
        *WIDE_PAGE,
        f"# {f.threat}: {text(f.title)}",
        "",
        f"{severity_badge(f.severity)} **{STATUS_WORDS[f.status]}**"
        + (f": {text(f.status_reason)}" if f.status_reason else "")
        + f" · on {code(f.target)}"
        + f" · threat [{f.threat}]({up}threats/{f.threat}.md)"
        + f" · {code(relative_path(f.location.file))}"
        + (f" line {f.location.line}" if f.location.line else "")
        + (f" · {f.change.replace('_', ' ')} since the baseline" if f.change else ""),
        "",
        prose(f.message),
        "",
    ]
    note = assumption_note(f)
    if note:
        lines[-4] += f" · {prose(note)}"
    if f.paths:
        lines += ["**Evidence paths:**", ""]
        for path in f.paths:
            lines.append(f"- {prose(path.label)}: " + " → ".join(code(e) for e in path.elements))
        if f.paths_left_out:
            lines.append(f"- {more_paths(f.paths_left_out)}")
        lines.append("")
    elif len(f.elements) > 1:
        lines += ["**Evidence path:** " + " → ".join(code(e) for e in f.elements), ""]
    if picture is not None:
        lines += figure(picture, up, legend, site.slug, title=finding_title(f))
    if f.controls:
        lines += ["## Controls", ""]
        partly = partly_met(f, code)
        if partly:
            lines += [f"Closest to complete: {partly}.", ""]
        lines += ["Any one of these sets mitigates it:", ""]
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
    others = related(f, site.findings)
    if others:
        lines += [
            "Also on this target: "
            + ", ".join(
                f"{_ref(g, '../')} ({g.severity.value}, {STATUS_WORDS[g.status]})" for g in others
            ),
            "",
        ]
    if f.assumptions:
        lines += ["Assumed: " + "; ".join(text(a) for a in f.assumptions), ""]
    if f.severity_factors:
        lines += ["Severity: " + "; ".join(text(x) for x in f.severity_factors), ""]
    if compiled is not None:
        docs = compiled.threat.docs
        lines += ["## Why it matters", "", text(docs.why_it_matters), ""]
    lines += ["## References", "", ", ".join(code(r) for r in f.references), ""]
    return "\n".join(lines) + "\n"
