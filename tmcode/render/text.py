"""The terminal report: findings grouped by severity, a summary line last."""

from __future__ import annotations

from tmcode.render.base import Renderer
from tmcode.render.escape import terminal_text
from tmcode.report import GATING_STATUSES, Finding, Report, Severity, Status, gate_failures

_COLORS = {
    Severity.critical: "\033[1;35m",
    Severity.high: "\033[1;31m",
    Severity.medium: "\033[33m",
    Severity.low: "\033[36m",
    Severity.info: "\033[2m",
}
_DIM = "\033[2m"
_STATUS_ORDER = {
    Status.expired: 0,
    Status.open: 1,
    Status.accepted: 2,
    Status.false_positive: 3,
    Status.mitigated: 4,
}
_RESET = "\033[0m"


class TextRenderer(Renderer):
    """Readable in a terminal; coloured when the options say so."""

    name = "text"
    suffix = ".txt"

    def _paint(self, code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if self.options.color else text

    def _finding(self, f: Finding) -> list[str]:
        where = f.location.file + (f":{f.location.line}" if f.location.line else "")
        status = "" if f.status is Status.open else f" [{f.status.value}]"
        if f.change == "new":
            status += " [new]"
        lines = [
            f"  {self._paint(_COLORS[f.severity], f.severity.value.upper())} {f.threat} "
            f"{terminal_text(f.title)}{status}",
            f"    {terminal_text(f.message)}",
            f"    at {terminal_text(where)} · target {terminal_text(f.target)}",
        ]
        if len(f.elements) > 1:
            lines.append("    path: " + terminal_text(" → ".join(f.elements)))
        if f.status is Status.mitigated:
            sets = " and ".join("{" + ", ".join(s.all) + "}" for s in f.controls if s.satisfied)
            lines.append(self._paint(_DIM, f"    mitigated by: {sets}"))
        elif f.status in GATING_STATUSES:
            sets = " or ".join("{" + ", ".join(s.all) + "}" for s in f.controls)
            lines.append(self._paint(_DIM, f"    mitigate with: {sets}"))
            planned = sorted({c for s in f.controls for c in s.planned})
            if planned:
                lines.append(
                    self._paint(_DIM, "    planned, not yet mitigating: " + ", ".join(planned))
                )
        if f.status_reason:
            lines.append(f"    {terminal_text(f.status_reason)}")
        for assumption in f.assumptions:
            lines.append(self._paint(_DIM, f"    assumed: {terminal_text(assumption)}"))
        lines.append(self._paint(_DIM, "    refs: " + ", ".join(f.references)))
        return lines

    def render(self, report: Report) -> str:
        out: list[str] = []
        for severity in sorted(Severity, reverse=True):
            group = sorted(
                (f for f in report.findings if f.severity is severity),
                key=lambda f: _STATUS_ORDER[f.status],
            )
            if not group:
                continue
            out.append(self._paint(_COLORS[severity], f"{severity.value.upper()} ({len(group)})"))
            for f in group:
                out += self._finding(f)
            out.append("")
        for stale in report.stale_decisions:
            where = stale.file + (f":{stale.line}" if stale.line else "")
            out.append(
                f"stale decision at {terminal_text(where)}: {terminal_text(stale.threat)} on "
                f"{terminal_text(stale.target)} {stale.reason}"
            )
        if report.stale_decisions:
            out.append("")
        s = report.summary
        counts = ", ".join(f"{n} {sev}" for sev, n in s["open_by_severity"].items() if n)
        failing = len(
            gate_failures(report.findings, self.options.fail_on, only_new=self.options.only_new)
        )
        if report.baseline is not None:
            b = report.baseline
            out.append(
                f"compared with {terminal_text(b['file'])}: {b['new']} new, {b['unchanged']} unchanged, "
                f"{len(b['fixed'])} fixed"
            )
        status = s["by_status"]
        scope = "new " if self.options.only_new else ""
        verdict = (
            f"FAIL: {failing} {scope}finding(s) at or above {self.options.fail_on.value}"
            if failing
            else f"PASS at --fail-on {self.options.fail_on.value}"
        )
        out.append(
            f"{terminal_text(str(report.system.get('name')))}: {s['total']} findings — "
            f"{status['open'] + status['expired']} open ({counts or 'none'}), "
            f"{status['mitigated']} mitigated, {status['accepted']} accepted, "
            f"{status['false_positive']} false positive, {status['expired']} expired, "
            f"{len(report.stale_decisions)} stale decision(s). {verdict}"
        )
        return "\n".join(out) + "\n"
