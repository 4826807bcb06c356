"""The Markdown report: fits a pull-request comment or a CI job summary."""

from __future__ import annotations

from tmcode.baseline import LISTED, change_sections
from tmcode.render.base import Renderer
from tmcode.render.diagram import build_view, to_mermaid
from tmcode.render.escape import (
    markdown_code,
    markdown_html_text,
    markdown_prose,
    markdown_text,
    relative_path,
)
from tmcode.render.palette import SEVERITY_STYLE
from tmcode.render.wording import (
    STATUS_WORDS,
    as_of,
    assumption_note,
    brief,
    by_target,
    more_paths,
    set_state,
    status_counts,
    verdict,
)
from tmcode.report import GATING_STATUSES, Finding, Report, Severity, Status

_ICON = {severity.value: style.icon for severity, style in SEVERITY_STYLE.items()}
# Open findings that fail `--fail-on-new`, marked by how they compare with the baseline.
_CHANGE_MARKS = {"new": " 🆕", "regressed": " ↩️ regressed", "severity_raised": " ⬆️ raised"}


def _code(value: str) -> str:
    return markdown_code(value)


def _evidence(f: Finding) -> str:
    if not f.paths:
        return " → ".join(markdown_code(e) for e in f.elements)
    lines = [
        f"{markdown_prose(p.label)}: " + " → ".join(markdown_code(e) for e in p.elements)
        for p in f.paths
    ]
    if f.paths_left_out:
        lines.append(more_paths(f.paths_left_out))
    return "<br>".join(lines)


def _controls(f: Finding) -> str:
    sets = []
    for cs in f.controls:
        if cs.present or cs.planned:
            sets.append("{" + set_state(cs, _code) + "}")
        else:
            sets.append("{" + ", ".join(markdown_code(c) for c in cs.missing) + "}")
    return " or ".join(sets)


class MarkdownRenderer(Renderer):
    """Counts, open findings grouped by target with their paths and controls, decisions, diagram."""

    name = "markdown"
    suffix = ".md"

    def _row(self, f: Finding, on_target: list[Finding] | None) -> str:
        """One open finding; the first of its target names the target and what else is on it."""
        status = " (expired)" if f.status is Status.expired else ""
        status += _CHANGE_MARKS.get(f.change or "", "")
        note = assumption_note(f)
        threat = f"**{f.threat}** {markdown_text(f.title)}" + (
            f" · {markdown_prose(note)}" if note else ""
        )
        target = markdown_code(f.target)
        if on_target is not None:
            where = f"{markdown_text(relative_path(f.location.file))}:{f.location.line or ''}"
            target = f"{markdown_code(f.target)}<br>{where}"
            settled = [g for g in on_target if g.status not in GATING_STATUSES]
            if settled:
                target += "<br>also on it: " + ", ".join(brief(g) for g in settled)
        return (
            f"| {_ICON[f.severity.value]} {f.severity.value}{status} | {threat} | {target} | "
            f"{_evidence(f)} | {_controls(f)} |"
        )

    def render(self, report: Report) -> str:
        s = report.summary
        decision = verdict(report, self.options)
        out = [f"## tmcode: {markdown_text(str(report.system.get('name')))}", ""]
        sentence = decision.sentence  # our own words: no model text in it
        out += [f"**{sentence}**" if decision.failed else sentence, ""]
        if report.baseline is not None:
            b = report.baseline
            out += [f"Compared with the baseline: {b['counts_summary']}.", ""]
            # New findings are marked in the tables below; the other changes are listed here.
            out += change_sections(
                {k: b[k] for k in LISTED if k != "new"},
                markdown=True,
                several_systems=len(report.systems) > 1,
            )
        out.append("| severity | " + " | ".join(STATUS_WORDS.values()) + " |")
        out.append("|---|" + "---:|" * len(STATUS_WORDS))
        matrix = s["by_severity_and_status"]
        for severity in sorted(Severity, reverse=True):
            row = [matrix[severity.value][st.value] for st in STATUS_WORDS]
            if any(row):
                out.append(
                    f"| {_ICON[severity.value]} {severity.value} | "
                    + " | ".join(map(str, row))
                    + " |"
                )
        out.append("")
        open_findings = [f for f in report.findings if f.status in GATING_STATUSES]
        if open_findings:
            out += [
                "### Open findings",
                "",
                "Grouped by target, the target with the worst finding first.",
                "",
                "| severity | threat | target | evidence | controls (any one set) |",
                "|---|---|---|---|---|",
            ]
            everything = by_target(report.findings)
            for key, group in by_target(open_findings).items():
                for n, f in enumerate(group):
                    out.append(self._row(f, everything[key] if n == 0 else None))
            out.append("")
        decided = [f for f in report.findings if f.decision is not None]
        if decided:
            out += [
                "### Decisions",
                "",
                "| threat | target | status | owner | expires | reason |",
                "|---|---|---|---|---|---|",
            ]
            for f in decided:
                d = f.decision
                assert d is not None
                out.append(
                    f"| {f.threat} | {markdown_code(f.target)} | {f.status.value} | "
                    f"{markdown_text(d.owner or '')} | {d.expires or ''} | {markdown_text(d.reason)} |"
                )
            out.append("")
        if report.stale_decisions:
            out += ["### Stale decisions", ""]
            for st in report.stale_decisions:
                out.append(
                    f"- {markdown_code(st.threat)} on {markdown_code(st.target)} "
                    f"({markdown_text(relative_path(st.file))}:{st.line or ''}): matches no finding"
                )
            out.append("")
        for radius in report.reach or ():
            from tmcode.render.reach import radius_markdown

            out += [
                f"<details><summary>Blast radius and ownership: "
                f"{markdown_html_text(radius.name)}</summary>",
                "",
                radius_markdown(radius, paths=5, level=4).rstrip("\n"),
                "",
                "</details>",
                "",
            ]
        for loaded in report.sources:
            view = build_view(loaded, report.findings_of(loaded.path))
            out += [
                "<details><summary>Data-flow diagram: "
                f"{markdown_html_text(loaded.model.system.name)}</summary>",
                "",
                "```mermaid",
                to_mermaid(view).rstrip("\n"),
                "```",
                "",
                "</details>",
                "",
            ]
        out.append(f"{status_counts(s)} · {as_of(report)} · tmcode {report.tool['version']}")
        return "\n".join(out) + "\n"
