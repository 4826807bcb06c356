"""Compare a check with an earlier JSON report: what is new, regressed or fixed; and diffs.

Findings are matched on (system, threat, target): the system is its ``id``, else its name
(``tmcode.report.system_key``), worked out from each report's ``systems`` list, so the ``id``
strings of a baseline are never trusted and baselines written before the system entered
every fingerprint still match. Findings that share the key (two systems reusing an id) are
paired one to one, the same file first; the rest are new.
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tmcode.errors import Problem, TmcodeError
from tmcode.input_file import REQUIRED_TEXT, Shape, list_of, obj, read_json_file, shape_problem
from tmcode.render.escape import json_text, markdown_code, markdown_text, terminal_text
from tmcode.report import CHANGES, GATING_STATUSES, Report, Severity, Status, system_key


class BaselineError(TmcodeError):
    """A baseline or report file that cannot be read as a tmcode JSON report."""


REPORT_MAX_BYTES = 256 * 1024 * 1024
_REPORT_HINT = "pass a report written by `tmcode check --format json`"
_FINDING_KEYS = ("id", "threat", "target", "severity", "status")
_ADDRESSES = Shape("container")
REPORT_SHAPE = obj(
    ("findings",),
    nullable=False,
    findings=list_of(
        obj(_FINDING_KEYS, nullable=False, **dict.fromkeys(_FINDING_KEYS, REQUIRED_TEXT)),
        nullable=False,
    ),
    models=list_of(
        obj(
            nullable=False,
            system=obj(),
            components=_ADDRESSES,
            flows=_ADDRESSES,
            permissions=_ADDRESSES,
        )
    ),
)


def read_report_json(path: Path) -> dict[str, Any]:
    """Read and shape-check a JSON report written by ``tmcode check --format json``."""
    name = str(path)
    data = read_json_file(
        path,
        REPORT_MAX_BYTES,
        error=BaselineError,
        expected="a JSON report",
        size_hint="a report this large is not one tmcode wrote",
        hint=_REPORT_HINT,
    )
    problem = shape_problem(data, REPORT_SHAPE)
    if problem is not None:
        raise BaselineError(
            Problem(name, 1, 1, f"not a tmcode JSON report: {problem}", _REPORT_HINT)
        )
    systems = _SystemKeys.of(data)
    for index, finding in enumerate(data["findings"]):
        problem = _finding_problem(finding, systems)
        if problem:
            raise BaselineError(
                Problem(
                    name,
                    1,
                    1,
                    f"not a tmcode JSON report: finding {index + 1} {problem}",
                    _REPORT_HINT,
                )
            )
    report: dict[str, Any] = data  # its shape is checked above
    return report


_RANKS = {s.value: s.rank for s in Severity}
_SEVERITIES = frozenset(_RANKS)
_STATUSES = frozenset(s.value for s in Status)
_GATING = frozenset(s.value for s in GATING_STATUSES)


def _finding_problem(finding: object, systems: _SystemKeys) -> str | None:
    """What makes one finding of a JSON report unusable, or None."""
    if not isinstance(finding, dict) or not all(
        isinstance(finding.get(key), str)
        for key in ("id", "threat", "target", "severity", "status")
    ):
        return "lacks `id`, `threat`, `target`, `severity` or `status`"
    if finding["severity"] not in _SEVERITIES:
        return f"has an unknown severity `{finding['severity']}`"
    if finding["status"] not in _STATUSES:
        return f"has an unknown status `{finding['status']}`"
    if systems.key_of(finding) is None:
        return (
            f"({finding['threat']} on {finding['target']}) names no system, and the report "
            "does not say which system its file describes"
        )
    return None


@dataclass(frozen=True)
class _SystemKeys:
    """Which system each model file of a report describes, as ``system_key`` values."""

    by_file: dict[str, str]
    only: str | None  # the key when the report has exactly one system

    @classmethod
    def of(cls, report: dict[str, Any]) -> _SystemKeys:
        """Read ``systems`` (and, for older reports, ``models`` or ``system``)."""
        by_file: dict[str, str] = {}
        entries = [(s.get("file"), s) for s in _dicts(report.get("systems"))] + [
            (m.get("file"), m.get("system")) for m in _models(report)
        ]
        for file, system in entries:
            key = _key_of_system(system)
            if isinstance(file, str) and key is not None:
                by_file.setdefault(file, key)
        keys = set(by_file.values())
        only = keys.pop() if len(keys) == 1 else None
        if not by_file and not report.get("systems"):
            only = _key_of_system(report.get("system"))
        return cls(by_file, only)

    def key_of(self, finding: dict[str, Any]) -> str | None:
        """The system key of one finding of a JSON report, or None when it cannot be told."""
        system = finding.get("system")
        return self.key_for(system if isinstance(system, str) else None, _file_of(finding))

    def key_for(self, system_id: str | None, file: str) -> str | None:
        """The system key of a finding: its system's id, else its file's system."""
        return system_id or self.by_file.get(file, self.only)


def _dicts(value: object) -> list[dict[str, Any]]:
    """The objects of a JSON list (a hostile report may put anything anywhere)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _key_of_system(system: object) -> str | None:
    if not isinstance(system, dict) or not isinstance(system.get("name"), str):
        return None
    given = system.get("id")
    return system_key(given if isinstance(given, str) and given else None, system["name"])


def _file_of(finding: dict[str, Any]) -> str:
    location = finding.get("location")
    file = location.get("file") if isinstance(location, dict) else None
    return file if isinstance(file, str) else ""


@dataclass(frozen=True, slots=True)
class _Item:
    """One finding as the comparison sees it."""

    key: tuple[str, str, str]  # (system key, threat, target)
    file: str
    row: dict[str, Any]  # what lists of changes show: id, system, threat, title, ...


_ROW = ("id", "system", "threat", "title", "target", "severity", "status")


def _items_of_json(report: dict[str, Any]) -> list[_Item]:
    systems = _SystemKeys.of(report)
    items = []
    for f in report["findings"]:
        file = _file_of(f)
        row = {k: f.get(k) for k in _ROW} | {"file": file}
        items.append(_Item((systems.key_of(f) or "", f["threat"], f["target"]), file, row))
    return items


def _items_of_report(report: Report) -> list[_Item]:
    systems = _SystemKeys.of({"systems": report.systems})
    items = []
    for f in report.findings:
        file = f.location.file
        key = systems.key_for(f.system, file) or ""
        row = {
            "id": f.id,
            "system": f.system,
            "threat": f.threat,
            "title": f.title,
            "target": f.target,
            "severity": f.severity.value,
            "status": f.status.value,
            "file": file,
        }
        items.append(_Item((key, f.threat, f.target), file, row))
    return items


def _pair(before: list[_Item], after: list[_Item]) -> tuple[list[_Item | None], list[_Item]]:
    """Pair each later finding with at most one earlier one; return the pairs and the gone."""
    exact: dict[tuple[Any, ...], deque[int]] = defaultdict(deque)
    loose: dict[tuple[str, str, str], deque[int]] = defaultdict(deque)
    for i, b in enumerate(before):
        exact[(b.key, b.file)].append(i)
        loose[b.key].append(i)
    used = [False] * len(before)

    def take(queue: deque[int] | None) -> _Item | None:
        while queue:
            i = queue.popleft()
            if not used[i]:
                used[i] = True
                return before[i]
        return None

    paired = [take(exact.get((a.key, a.file))) for a in after]
    paired = [p if p is not None else take(loose.get(a.key)) for p, a in zip(paired, after)]
    return paired, [b for i, b in enumerate(before) if not used[i]]


def _change(old: _Item | None, now: _Item) -> str:
    """The ``CHANGES`` label of a finding given its earlier self (None when it is new)."""
    status = now.row["status"]
    if old is None:
        if status in _GATING:
            return "new"
        return "new_mitigated" if status == Status.mitigated.value else "accepted"
    was_open = old.row["status"] in _GATING
    if status in _GATING:
        if not was_open:
            return "regressed"
        step = _rank(now.row["severity"]) - _rank(old.row["severity"])
        return "severity_raised" if step > 0 else "severity_lowered" if step < 0 else "unchanged"
    if was_open:
        return "fixed" if status == Status.mitigated.value else "accepted"
    return "unchanged"


# The lists of changes, in the order a reviewer reads them: what the gate fails on first.
LISTED = CHANGES[:6]


@dataclass(frozen=True)
class FindingChanges:
    """How the findings of a later report compare with an earlier one."""

    labels: list[str]  # the change of each later finding, in order
    listed: dict[str, list[dict[str, Any]]]  # LISTED -> rows, each with `was` and `present`
    counts: dict[str, int]
    changed: list[dict[str, Any]]  # every finding still found whose severity or status changed

    def to_dict(self) -> dict[str, Any]:
        """Plain data: one list per change, the counts and the sentence that says them."""
        return {
            "new_open": self.listed["new"],
            **{k: v for k, v in self.listed.items() if k != "new"},
            "counts": self.counts,
            "counts_summary": counts_sentence(self.counts),
        }


def compare_findings(before: list[_Item], after: list[_Item]) -> FindingChanges:
    """Label every later finding and list what is new, regressed, fixed and so on."""
    paired, gone = _pair(before, after)
    labels = []
    listed: dict[str, list[dict[str, Any]]] = {k: [] for k in LISTED}
    counts = dict.fromkeys([*CHANGES, "gone_not_open"], 0)
    changed = []
    for old, now in zip(paired, after):
        label = _change(old, now)
        labels.append(label)
        counts[label] += 1
        was = None if old is None else {k: old.row[k] for k in ("severity", "status")}
        if label in listed:
            listed[label].append({**now.row, "was": was, "present": True})
        if was is not None and was != {k: now.row[k] for k in ("severity", "status")}:
            changed.append({**now.row, "was": was})
    for old in gone:
        if old.row["status"] in _GATING:
            was = {k: old.row[k] for k in ("severity", "status")}
            listed["fixed"].append({**old.row, "was": was, "present": False})
            counts["fixed"] += 1
        else:
            counts["gone_not_open"] += 1
    return FindingChanges(labels, listed, counts, changed)


def counts_sentence(counts: dict[str, int]) -> str:
    """The counts of a comparison in one line, the same in `check` and `diff`."""
    parts = [
        f"{counts['new']} new",
        f"{counts['regressed']} regressed",
        f"{counts['severity_raised']} severity raised",
        f"{counts['accepted']} accepted",
        f"{counts['fixed']} fixed",
        f"{counts['severity_lowered']} severity lowered",
        f"{counts['unchanged']} unchanged",
    ]
    if counts["new_mitigated"]:
        parts.append(f"{counts['new_mitigated']} new but mitigated")
    if counts["gone_not_open"]:
        parts.append(f"{counts['gone_not_open']} no longer found (not open)")
    return ", ".join(parts)


def apply_baseline(report: Report, baseline: dict[str, Any], source: str) -> Report:
    """Label every finding by how it compares with the baseline; list the changes."""
    changes = compare_findings(_items_of_json(baseline), _items_of_report(report))
    findings = [replace(f, change=c) for f, c in zip(report.findings, changes.labels)]
    summary = {
        "file": source,
        "new": changes.counts["new"],
        "unchanged": changes.counts["unchanged"],
        "fixed": changes.listed["fixed"],
        **{k: v for k, v in changes.to_dict().items() if k != "fixed"},
    }
    return replace(report, findings=findings, baseline=summary)


@dataclass(frozen=True)
class ReportDiff:
    """What changed between two reports: model elements and findings."""

    added: dict[str, list[str]]
    removed: dict[str, list[str]]
    changes: FindingChanges
    several_systems: bool  # rows then say which system (or file) each finding is in

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the JSON output."""
        return {
            "added": self.added,
            "removed": self.removed,
            "new_findings": self.changes.listed["new"],
            "fixed_findings": self.changes.listed["fixed"],
            "changed_findings": self.changes.changed,
            **self.changes.to_dict(),
            "summary": self.sentence(),
        }

    def sentence(self) -> str:
        """One line a pull-request comment can open with."""
        parts = []
        for kind in ("components", "flows", "permissions"):
            if self.added[kind]:
                noun = kind[:-1] if len(self.added[kind]) == 1 else kind
                parts.append(
                    f"adds {len(self.added[kind])} {noun} ({', '.join(self.added[kind][:3])}"
                    + (", …" if len(self.added[kind]) > 3 else "")
                    + ")"
                )
            if self.removed[kind]:
                noun = kind[:-1] if len(self.removed[kind]) == 1 else kind
                parts.append(f"removes {len(self.removed[kind])} {noun}")
        listed = self.changes.listed
        if listed["new"]:
            by_severity: dict[str, int] = {}
            for f in listed["new"]:
                by_severity[f["severity"]] = by_severity.get(f["severity"], 0) + 1
            counts = ", ".join(
                f"{n} {s}" for s, n in sorted(by_severity.items(), key=lambda kv: -_rank(kv[0]))
            )
            parts.append(f"brings {len(listed['new'])} new open threat(s) ({counts})")
        if listed["regressed"]:
            named = ", ".join(f"{f['threat']} on {f['target']}" for f in listed["regressed"][:3])
            more = ", …" if len(listed["regressed"]) > 3 else ""
            parts.append(f"reopens {len(listed['regressed'])} ({named}{more})")
        for key, verb in (
            ("severity_raised", "raises the severity of"),
            ("accepted", "accepts or dismisses"),
            ("fixed", "fixes"),
            ("severity_lowered", "lowers the severity of"),
        ):
            if listed[key]:
                parts.append(f"{verb} {len(listed[key])}")
        if not parts:
            return "This change alters no element and no finding."
        return "This change " + "; ".join(parts) + "."


def _rank(severity: str) -> int:
    return _RANKS.get(severity, -1)


def _models(report: dict[str, Any]) -> list[dict[str, Any]]:
    return _dicts(report.get("models"))


def _elements(report: dict[str, Any], by_system: bool) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {"components": set(), "flows": set(), "permissions": set()}
    for model in _models(report):
        system = model.get("system")
        label = (system.get("id") or system.get("name") or "") if isinstance(system, dict) else ""
        prefix = f"{label}:" if by_system else ""
        for kind in found:
            addresses = model.get(kind)
            for address in addresses if isinstance(addresses, (list, dict)) else []:
                found[kind].add(prefix + str(address))
    return found


def diff_reports(old: dict[str, Any], new: dict[str, Any]) -> ReportDiff:
    """Compare two JSON reports: elements added or removed, and how the findings changed."""
    # With several models on either side, elements are told apart by system on both sides.
    by_system = len(_models(old)) > 1 or len(_models(new)) > 1
    before, after = _elements(old, by_system), _elements(new, by_system)
    earlier, later = _items_of_json(old), _items_of_json(new)
    return ReportDiff(
        added={k: sorted(after[k] - before[k]) for k in after},
        removed={k: sorted(before[k] - after[k]) for k in after},
        changes=compare_findings(earlier, later),
        several_systems=any(len({i.file for i in items}) > 1 for items in (earlier, later))
        or {i.key[0] for i in earlier} != {i.key[0] for i in later},
    )


_HEADINGS = {
    "new": "New open findings",
    "regressed": "Regressions (open again)",
    "severity_raised": "Severity raised",
    "accepted": "Accepted or marked false positive",
    "fixed": "Fixed",
    "severity_lowered": "Severity lowered",
}


def _note(key: str, f: dict[str, Any]) -> str:
    """What a row of the list ``key`` adds to the finding: where it came from."""
    was = f.get("was") or {}
    if key == "regressed":
        return f"was {was.get('severity')}, {was.get('status')}; now {f.get('status')}"
    if key in ("severity_raised", "severity_lowered"):
        return f"was {was.get('severity')}"
    if key in ("fixed", "accepted") and not f.get("present"):
        return "no longer found"
    if key in ("fixed", "accepted"):
        return f"now {f.get('status')}" + (f", was {was.get('status')}" if was else ", new")
    return "" if f.get("status") == Status.open.value else str(f.get("status"))


def change_sections(
    listed: dict[str, list[dict[str, Any]]], *, markdown: bool, several_systems: bool
) -> list[str]:
    """The lists of changes as lines, worst first, each under its heading; none when empty."""
    out: list[str] = []

    def row(key: str, f: dict[str, Any]) -> str:
        target, title, note = str(f.get("target")), str(f.get("title") or ""), _note(key, f)
        where = str(f.get("system") or f.get("file") or "") if several_systems else ""
        if markdown:
            return (
                f"- **{markdown_text(str(f.get('severity')))}** "
                f"{markdown_code(str(f.get('threat')))} {markdown_text(title)} on "
                f"{markdown_code(target)}"
                + (f" in {markdown_code(where)}" if where else "")
                + (f" ({markdown_text(note)})" if note else "")
            )
        return terminal_text(
            f"  {str(f.get('severity')).upper():8} {f.get('threat')} {title} on {target}"
            + (f" in {where}" if where else "")
            + (f" ({note})" if note else "")
        )

    for key in LISTED:
        items = listed.get(key) or []
        if items:
            out.append(f"**{_HEADINGS[key]}**" if markdown else _HEADINGS[key])
            out += [row(key, f) for f in items]
            out.append("")
    return out


def render_diff(diff: ReportDiff, fmt: str) -> str:
    """Render a diff as text, Markdown or JSON."""
    if fmt == "json":
        return json_text(json.dumps(diff.to_dict(), indent=2, ensure_ascii=False)) + "\n"
    md = fmt == "markdown"
    sentence = diff.sentence()
    out = ["### " + markdown_text(sentence) if md else terminal_text(sentence), ""]
    out += change_sections(diff.changes.listed, markdown=md, several_systems=diff.several_systems)
    out += [f"Findings: {counts_sentence(diff.changes.counts)}.", ""]
    for kind in ("components", "flows", "permissions"):
        for verb, items in (("Added", diff.added[kind]), ("Removed", diff.removed[kind])):
            if items:
                label = f"{verb} {kind}"
                out.append(
                    f"**{label}**: " + ", ".join(markdown_code(i) for i in items)
                    if md
                    else f"{label}: " + ", ".join(terminal_text(i) for i in items)
                )
    return "\n".join(out).rstrip("\n") + "\n"
