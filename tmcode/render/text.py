"""The terminal report: findings grouped by severity, a summary line last."""

from __future__ import annotations

from tmcode.render.base import Renderer
from tmcode.render.escape import terminal_text
from tmcode.render.palette import SEVERITY_STYLE
from tmcode.render.wording import (
    assumption_note,
    brief,
    by_target,
    more_paths,
    partly_met,
    severity_breakdown,
    summary_line,
)
from tmcode.report import GATING_STATUSES, ControlSetState, Finding, Report, Severity, Status

_COLORS = {severity: style.ansi for severity, style in SEVERITY_STYLE.items()}
_DIM = "\033[2m"
_STATUS_ORDER = {
    Status.expired: 0,
    Status.open: 1,
    Status.accepted: 2,
    Status.false_positive: 3,
    Status.mitigated: 4,
}
_RESET = "\033[0m"
# With --reach, each component's worst paths are listed; `tmcode reach` lists them all.
_REACH_PATHS = 5


# How a finding compares with a baseline, where that is worth a mark.
_CHANGE_MARKS = {
    "new": "new",
    "regressed": "regressed",
    "severity_raised": "severity raised",
    "accepted": "newly accepted",
    "fixed": "newly mitigated",
    "severity_lowered": "severity lowered",
}


def _where_met(state: ControlSetState) -> str:
    """A satisfied set and where its controls are written: `{sandbox, egress_allowlist} on job`."""
    places = [state.declared_on.get(c) for c in state.all]
    if places and None not in places and len(set(places)) == 1:
        return "{" + ", ".join(state.all) + "} on " + str(places[0])
    shown = [
        c + (f" on {state.declared_on[c]}" if c in state.declared_on else "") for c in state.all
    ]
    return "{" + ", ".join(shown) + "}"


class TextRenderer(Renderer):
    """Readable in a terminal; coloured when the options say so."""

    name = "text"
    suffix = ".txt"

    def _paint(self, code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if self.options.color else text

    def _finding(self, f: Finding) -> list[str]:
        status = "" if f.status is Status.open else f" [{f.status.value}]"
        if f.change in _CHANGE_MARKS:
            status += f" [{_CHANGE_MARKS[f.change]}]"
        note = assumption_note(f)
        lines = [
            f"    {self._paint(_COLORS[f.severity], f.severity.value.upper())} {f.threat} "
            f"{terminal_text(f.title)}{status}" + (f" · {terminal_text(note)}" if note else ""),
            f"      {terminal_text(f.message)}",
        ]
        if f.paths:
            for path in f.paths:
                lines.append(
                    f"      {terminal_text(path.label)}: "
                    + terminal_text(" → ".join(path.elements))
                )
            if f.paths_left_out:
                lines.append(f"      {more_paths(f.paths_left_out)}")
        elif len(f.elements) > 1:
            lines.append("      path: " + terminal_text(" → ".join(f.elements)))
        if f.status is Status.mitigated:
            sets = " and ".join(_where_met(s) for s in f.controls if s.satisfied)
            lines.append(self._paint(_DIM, f"      mitigated by: {sets}"))
        elif f.status in GATING_STATUSES:
            sets = " or ".join("{" + ", ".join(s.all) + "}" for s in f.controls)
            if sets:
                lines.append(self._paint(_DIM, f"      mitigate with: {sets}"))
                partly = partly_met(f, str)
                if partly:
                    lines.append(self._paint(_DIM, f"      closest: {partly}"))
            else:
                lines.append(
                    self._paint(_DIM, "      settle by making the model and the repository agree")
                )
        if f.status_reason:
            lines.append(f"      {terminal_text(f.status_reason)}")
        for assumption in f.assumptions:
            lines.append(self._paint(_DIM, f"      assumed: {terminal_text(assumption)}"))
        lines.append(self._paint(_DIM, "      refs: " + ", ".join(f.references)))
        return lines

    def render(self, report: Report) -> str:
        out: list[str] = []
        targets = by_target(report.findings)
        for severity in sorted(Severity, reverse=True):
            group = sorted(
                (f for f in report.findings if f.severity is severity),
                key=lambda f: _STATUS_ORDER[f.status],
            )
            if not group:
                continue
            heading = f"{severity.value.upper()} ({severity_breakdown(report.summary, severity)})"
            out.append(self._paint(_COLORS[severity], heading))
            # Within a severity, a target's findings together, under its first (worst) one.
            on_target: dict[tuple[str, str], list[Finding]] = {}
            for f in group:
                on_target.setdefault((f.location.file, f.target), []).append(f)
            for key, found in on_target.items():
                first = found[0]
                where = first.location.file + (
                    f":{first.location.line}" if first.location.line else ""
                )
                out.append(f"  {terminal_text(first.target)} · at {terminal_text(where)}")
                for f in found:
                    out += self._finding(f)
                elsewhere = [g for g in targets[key] if g.severity is not severity]
                if elsewhere:
                    out.append(
                        self._paint(
                            _DIM,
                            "    also on this target: " + ", ".join(brief(g) for g in elsewhere),
                        )
                    )
            out.append("")
        for stale in report.stale_decisions:
            where = stale.file + (f":{stale.line}" if stale.line else "")
            out.append(
                f"stale decision at {terminal_text(where)}: {terminal_text(stale.threat)} on "
                f"{terminal_text(stale.target)} {stale.reason}"
            )
        if report.stale_decisions:
            out.append("")
        if report.baseline is not None:
            from tmcode.baseline import LISTED, change_sections  # it imports this module

            b = report.baseline
            # New findings are marked above; the other changes, fixed ones included, here.
            out += change_sections(
                {k: b[k] for k in LISTED if k != "new"},
                markdown=False,
                several_systems=len(report.systems) > 1,
            )
            out.append(f"compared with {terminal_text(b['file'])}: {b['counts_summary']}")
        if report.reach is not None:
            from tmcode.render.reach import radius_text

            for radius in report.reach:
                out += radius_text(radius, terminal_text, paths=_REACH_PATHS).splitlines()
                out.append("")
        out.append(summary_line(report, self.options, terminal_text))
        return "\n".join(out) + "\n"
