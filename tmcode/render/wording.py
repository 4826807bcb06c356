"""The words every report uses for counts, the date and the gate's verdict, from one source.

Counts come from the report's summaries (``tmcode.report.summarize``); nothing here counts
findings again, so text, Markdown, HTML, JUnit, SARIF and the site say the same numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tmcode.render.base import RenderOptions
from tmcode.report import (
    MORE_SOURCES_CAP,
    ControlSetState,
    Finding,
    Report,
    Severity,
    Status,
    gate_failures,
)

STATUS_WORDS = {
    Status.open: "open",
    Status.expired: "expired",
    Status.mitigated: "mitigated",
    Status.accepted: "accepted",
    Status.false_positive: "false positive",
}

# What each status word means, for legends (HTML report, site).
STATUS_MEANINGS = {
    Status.open: "No control set is complete and no decision covers it: it needs work.",
    Status.expired: "It was accepted, but the acceptance has passed its expiry date: "
    "it counts as open again.",
    Status.mitigated: "Every control of at least one mitigating set is in place "
    "(planned controls do not count).",
    Status.accepted: "The risk is accepted by a named owner, with a reason, until an expiry date.",
    Status.false_positive: "A decision in the model says the threat does not apply here, and why.",
}


def status_counts(summary: dict[str, Any]) -> str:
    """``27 findings: 25 open, 1 expired, 1 mitigated, 0 accepted, 0 false positive``."""
    by_status = summary["by_status"]
    parts = ", ".join(f"{by_status[st.value]} {word}" for st, word in STATUS_WORDS.items())
    return f"{summary['total']} findings: {parts}"


def gating_counts(summary: dict[str, Any]) -> str:
    """Open and expired findings by severity, worst first: ``3 critical, 8 high`` or ``none``."""
    counts = summary["open_by_severity"]
    return ", ".join(f"{n} {sev}" for sev, n in counts.items() if n) or "none"


def severity_breakdown(summary: dict[str, Any], severity: Severity) -> str:
    """The statuses of one severity's findings: ``4 open, 1 mitigated``."""
    row = summary["by_severity_and_status"][severity.value]
    return ", ".join(
        f"{row[st.value]} {word}" for st, word in STATUS_WORDS.items() if row[st.value]
    )


def as_of(report: Report) -> str:
    """The date decisions and expiry were judged on."""
    return f"decisions judged as of {report.summary['date']}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the gate decided, in words every format shares."""

    failing: list[Finding]
    off: bool
    sentence: str

    @property
    def failed(self) -> bool:
        """True when the run exits 1 for findings."""
        return bool(self.failing)


def verdict(report: Report, options: RenderOptions) -> Verdict:
    """The gate's decision on ``report`` under ``options``."""
    failing = gate_failures(report.findings, options.fail_on, only_new=options.only_new)
    level = options.fail_on.value
    scope = "new, regressed or raised " if options.only_new else ""
    if level == "none":
        return Verdict(failing, True, "The gate is off (--fail-on none).")
    if failing:
        return Verdict(
            failing, False, f"FAIL: {len(failing)} {scope}finding(s) at or above {level}."
        )
    if options.only_new:
        return Verdict(
            failing, False, f"PASS: no new, regressed or raised open finding at or above {level}."
        )
    return Verdict(failing, False, f"PASS: no open finding at or above {level}.")


def summary_line(report: Report, options: RenderOptions, escape: Callable[[str], str]) -> str:
    """The one-line summary of a run, as the text report ends and ``check`` prints to stderr.

    ``escape`` makes the system's name (model text) safe for where the line goes.
    """
    s = report.summary
    return (
        f"{escape(str(report.system.get('name')))} — {status_counts(s)}; "
        f"open or expired by severity: {gating_counts(s)}; "
        f"{s.get('stale_decisions', len(report.stale_decisions))} stale decision(s); "
        f"{as_of(report)}. "
        f"{verdict(report, options).sentence}"
    )


# ---------------------------------------------------------------- a finding's exact words

_UNSET = re.compile(r"^(?P<where>[^\s`]+): `(?P<name>[^`]+)` is unset; assumed `(?P<value>.*)`$")


def _plain_code(value: str) -> str:
    return f"`{value}`"


def assumption_note(f: Finding, code: Callable[[str], str] = _plain_code) -> str:
    """What a finding assumes and how to settle it, for its first line; "" when nothing.

    ``assumes `autonomy: autonomous` (unset) — declare `autonomy` on `agent` to settle``.
    ``code`` shows an id or a value as code where the line goes (already escaped there).
    """
    if not f.assumptions:
        return ""
    values: list[str] = []
    settle: list[str] = []
    other: list[str] = []
    for text in f.assumptions:
        match = _UNSET.match(text)
        if match is None:
            other.append(text)
            continue
        values.append(code(f"{match['name']}: {match['value']}"))
        settle.append(f"{code(match['name'])} on {code(match['where'])}")
    parts = []
    if values:
        parts.append(f"assumes {_and(values)} (unset) — declare {_and(settle)} to settle")
    if other:
        parts.append("assumes " + "; ".join(other))
    return "; ".join(parts)


def _and(items: list[str]) -> str:
    unique = list(dict.fromkeys(items))
    if len(unique) <= 2:
        return " and ".join(unique)
    return ", ".join(unique[:-1]) + " and " + unique[-1]


def set_state(cs: ControlSetState, code: Callable[[str], str] = _plain_code) -> str:
    """One control set, control by control: ``kill_switch declared; monitoring_alerting missing``."""
    declared = [code(c) for c in cs.all if c in cs.present]
    planned = [code(c) for c in cs.all if c in cs.planned]
    missing = [code(c) for c in cs.all if c not in cs.present and c not in cs.planned]
    parts = []
    if declared:
        parts.append(f"{_and(declared)} declared")
    if planned:
        parts.append(f"{_and(planned)} planned")
    if missing:
        parts.append(f"{_and(missing)} missing")
    return "; ".join(parts)


def closest_set(f: Finding) -> ControlSetState | None:
    """The unsatisfied control set nearest completion, when some of it is declared or planned."""
    started = [cs for cs in f.controls if not cs.satisfied and (cs.present or cs.planned)]
    if not started:
        return None
    return min(started, key=lambda cs: (-len(cs.present), -len(cs.planned), len(cs.missing)))


def partly_met(f: Finding, code: Callable[[str], str] = _plain_code) -> str:
    """The closest partly met set of an unmitigated finding, in words; "" when none is started."""
    if f.status is Status.mitigated:
        return ""
    cs = closest_set(f)
    return "" if cs is None else set_state(cs, code)


def more_paths(n: int) -> str:
    """``and 3 more paths`` (``at least`` once the search stopped counting), or ""."""
    if n <= 0:
        return ""
    at_least = "at least " if n >= MORE_SOURCES_CAP else ""
    return f"and {at_least}{n} more path{'s' if n > 1 else ''}"


def related(f: Finding, findings: Sequence[Finding]) -> list[Finding]:
    """The other findings on ``f``'s target (in the same model), in report order."""
    return [
        g
        for g in findings
        if g is not f and g.target == f.target and g.location.file == f.location.file
    ]


def by_target(findings: Sequence[Finding]) -> dict[tuple[str, str], list[Finding]]:
    """Findings grouped by (model file, target), each group in report order."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.location.file, f.target), []).append(f)
    return groups


def brief(f: Finding) -> str:
    """``OUT-003 (high, mitigated)``: how a finding is cross-referenced."""
    return f"{f.threat} ({f.severity.value}, {STATUS_WORDS[f.status]})"
