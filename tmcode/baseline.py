"""Compare a check with an earlier JSON report: new, unchanged and fixed findings, and diffs."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tmcode.errors import Problem, TmcodeError
from tmcode.input_file import REQUIRED_TEXT, Shape, list_of, obj, read_json_file, shape_problem
from tmcode.render.escape import markdown_code, markdown_text
from tmcode.report import Report, Severity


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
    return data  # type: ignore[no-any-return]


def apply_baseline(report: Report, baseline: dict[str, Any], source: str) -> Report:
    """Label every finding new or unchanged by fingerprint and list the fixed ones."""
    before = {f["id"]: f for f in baseline["findings"]}
    findings = [
        replace(f, change="unchanged" if f.id in before else "new") for f in report.findings
    ]
    now = {f.id for f in report.findings}
    fixed = [
        {key: old.get(key) for key in ("id", "threat", "title", "target", "severity", "status")}
        for fid, old in before.items()
        if fid not in now
    ]
    summary = {
        "file": source,
        "new": sum(1 for f in findings if f.change == "new"),
        "unchanged": sum(1 for f in findings if f.change == "unchanged"),
        "fixed": fixed,
    }
    return replace(report, findings=findings, baseline=summary)


@dataclass(frozen=True)
class ReportDiff:
    """What changed between two reports: model elements and findings."""

    added: dict[str, list[str]]
    removed: dict[str, list[str]]
    new: list[dict[str, Any]]
    fixed: list[dict[str, Any]]
    changed: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the JSON output."""
        return {
            "added": self.added,
            "removed": self.removed,
            "new_findings": self.new,
            "fixed_findings": self.fixed,
            "changed_findings": self.changed,
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
        gating = [f for f in self.new if f.get("status") in ("open", "expired")]
        if gating:
            by_severity: dict[str, int] = {}
            for f in gating:
                by_severity[f["severity"]] = by_severity.get(f["severity"], 0) + 1
            counts = ", ".join(
                f"{n} {s}" for s, n in sorted(by_severity.items(), key=lambda kv: -_rank(kv[0]))
            )
            parts.append(f"brings {len(gating)} new open threat(s) ({counts})")
        if self.fixed:
            parts.append(f"fixes {len(self.fixed)}")
        if not parts:
            return "This change alters no element and no finding."
        return "This change " + "; ".join(parts) + "."


def _rank(severity: str) -> int:
    try:
        return Severity(severity).rank
    except ValueError:
        return -1


def _elements(report: dict[str, Any]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {"components": set(), "flows": set(), "permissions": set()}
    for model in report.get("models") or []:
        system = (
            (model.get("system") or {}).get("id") or (model.get("system") or {}).get("name") or ""
        )
        prefix = f"{system}:" if len(report.get("models") or []) > 1 else ""
        for kind in found:
            for address in model.get(kind) or []:
                found[kind].add(prefix + str(address))
    return found


def diff_reports(old: dict[str, Any], new: dict[str, Any]) -> ReportDiff:
    """Compare two JSON reports: elements added or removed, findings new, fixed or changed."""
    before, after = _elements(old), _elements(new)
    old_findings = {f["id"]: f for f in old["findings"]}
    new_findings = {f["id"]: f for f in new["findings"]}
    keys = ("id", "threat", "title", "target", "severity", "status")
    changed = [
        {
            **{k: new_findings[i].get(k) for k in keys},
            "was": {k: old_findings[i].get(k) for k in ("severity", "status")},
        }
        for i in new_findings
        if i in old_findings
        and (old_findings[i].get("severity"), old_findings[i].get("status"))
        != (new_findings[i].get("severity"), new_findings[i].get("status"))
    ]
    return ReportDiff(
        added={k: sorted(after[k] - before[k]) for k in after},
        removed={k: sorted(before[k] - after[k]) for k in after},
        new=[{k: f.get(k) for k in keys} for i, f in new_findings.items() if i not in old_findings],
        fixed=[
            {k: f.get(k) for k in keys} for i, f in old_findings.items() if i not in new_findings
        ],
        changed=changed,
    )


def render_diff(diff: ReportDiff, fmt: str) -> str:
    """Render a diff as text, Markdown or JSON."""
    if fmt == "json":
        return json.dumps(diff.to_dict(), indent=2, ensure_ascii=False) + "\n"
    md = fmt == "markdown"
    out = [("### " if md else "") + diff.sentence(), ""]

    def row(f: dict[str, Any]) -> str:
        target, title = str(f.get("target")), str(f.get("title") or "")
        if md:
            return f"- **{f.get('severity')}** {markdown_code(str(f.get('threat')))} {markdown_text(title)} on {markdown_code(target)}"
        return f"  {str(f.get('severity')).upper():8} {f.get('threat')} {title} on {target}"

    for title, items in (
        ("New findings", diff.new),
        ("Fixed findings", diff.fixed),
        ("Changed findings", diff.changed),
    ):
        if items:
            out.append(f"**{title}**" if md else title)
            out += [
                row(f)
                + (f" (was {f['was']['severity']}, {f['was']['status']})" if "was" in f else "")
                for f in items
            ]
            out.append("")
    for kind in ("components", "flows", "permissions"):
        for verb, items in (("Added", diff.added[kind]), ("Removed", diff.removed[kind])):
            if items:
                label = f"{verb} {kind}"
                out.append(
                    f"**{label}**: " + ", ".join(markdown_code(i) for i in items)
                    if md
                    else f"{label}: " + ", ".join(items)
                )
    return "\n".join(out).rstrip("\n") + "\n"
