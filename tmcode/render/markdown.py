"""The Markdown report: fits a pull-request comment or a CI job summary."""

from __future__ import annotations

from tmcode.render.base import Renderer
from tmcode.render.diagram import build_view, to_mermaid
from tmcode.render.escape import markdown_code, markdown_html_text, markdown_text, relative_path
from tmcode.report import GATING_STATUSES, Report, Severity, Status, gate_failures

_ICON = {"critical": "🟣", "high": "🔴", "medium": "🟠", "low": "🔵", "info": "⚪"}


class MarkdownRenderer(Renderer):
    """Counts, open findings with their paths and missing controls, decisions, diagram."""

    name = "markdown"
    suffix = ".md"

    def render(self, report: Report) -> str:
        s = report.summary
        failing = gate_failures(
            report.findings, self.options.fail_on, only_new=self.options.only_new
        )
        out = [f"## tmcode: {markdown_text(str(report.system.get('name')))}", ""]
        if self.options.fail_on.value == "none":
            verdict = "The gate is off (`--fail-on none`)."
        elif failing:
            verdict = f"**{len(failing)} finding(s) at or above `{self.options.fail_on.value}` fail the gate.**"
        else:
            verdict = f"No open finding at or above `{self.options.fail_on.value}`."
        out += [verdict, ""]
        if report.baseline is not None:
            b = report.baseline
            out += [
                f"Compared with the baseline: **{b['new']} new**, {b['unchanged']} unchanged, "
                f"**{len(b['fixed'])} fixed**.",
                "",
            ]
        statuses = [st.value for st in Status]
        out.append("| severity | " + " | ".join(statuses) + " |")
        out.append("|---|" + "---:|" * len(statuses))
        for severity in sorted(Severity, reverse=True):
            row = [
                sum(1 for f in report.findings if f.severity is severity and f.status.value == st)
                for st in statuses
            ]
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
                "| severity | threat | target | evidence path | missing controls |",
                "|---|---|---|---|---|",
            ]
            for f in open_findings:
                path = " → ".join(markdown_code(e) for e in f.elements)
                missing = " or ".join(
                    "{" + ", ".join(markdown_code(c) for c in cs.missing) + "}" for cs in f.controls
                )
                where = f"{markdown_text(relative_path(f.location.file))}:{f.location.line or ''}"
                status = " (expired)" if f.status is Status.expired else ""
                if f.change == "new":
                    status += " 🆕"
                out.append(
                    f"| {_ICON[f.severity.value]} {f.severity.value}{status} | **{f.threat}** "
                    f"{markdown_text(f.title)} | {markdown_code(f.target)}<br>{where} | {path} | {missing} |"
                )
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
        out.append(
            f"{s['total']} findings: {s['by_status']['open'] + s['by_status']['expired']} open, "
            f"{s['by_status']['mitigated']} mitigated, {s['by_status']['accepted']} accepted, "
            f"{s['by_status']['false_positive']} false positive · tmcode {report.tool['version']}"
        )
        return "\n".join(out) + "\n"
