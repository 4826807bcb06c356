"""A system's controls: where each is declared, which are missing, and by lifecycle stage."""

from __future__ import annotations

from collections import Counter

from tmcode.model.elements import ControlRef
from tmcode.render.site.context import SystemSite
from tmcode.render.site.markup import code
from tmcode.report import GATING_STATUSES

STAGES = ("design", "development", "deployment", "operation", "decommissioning")


def _stage(site: SystemSite, cid: str) -> str:
    return site.catalog.controls[cid].stage if cid in site.catalog.controls else ""


def _missing_for_open(site: SystemSite) -> Counter[str]:
    """Each control missing from a set of an open finding, with how many it would help close."""
    wanted: Counter[str] = Counter()
    for f in site.findings:
        if f.status in GATING_STATUSES:
            for c in {c for cs in f.controls for c in cs.missing}:
                wanted[c] += 1
    return wanted


def controls_page(site: SystemSite) -> str:
    """Every declared control with where and with what evidence, then the missing ones."""
    checked = site.report.repository is not None  # `--discover`: evidence paths checked
    drifted = {f.target for f in site.findings if f.threat == "DRIFT-006"}

    def evidence(where: str, control: ControlRef) -> str:
        if not control.evidence:
            return ""
        state = ""
        if checked and "://" in control.evidence:
            state = " (a URL: not checked)"
        elif checked:
            state = (
                " (missing from the repository)"
                if f"{where}#{control.id}" in drifted
                else " (checked: present)"
            )
        return f" — evidence {code(control.evidence)}{state}"

    declared: dict[str, list[str]] = {}
    for where, controls in site.index.all_controls():
        for control in controls.entries:
            declared.setdefault(control.id, []).append(
                code(where)
                + (" (planned)" if not control.implemented else "")
                + evidence(where, control)
            )
    lines = [
        "# Control coverage",
        "",
        "## Declared",
        "",
        "| control | stage | declared on |",
        "|---|---|---|",
    ]
    for cid in sorted(declared):
        lines.append(f"| {code(cid)} | {_stage(site, cid)} | {'; '.join(declared[cid])} |")
    lines += [
        "",
        "## Missing",
        "",
        "Controls that appear in a mitigating set of an open finding, by how many "
        "open findings they would help close.",
        "",
        "| control | stage | open findings |",
        "|---|---|---:|",
    ]
    for cid, n in sorted(_missing_for_open(site).items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"| {code(cid)} | {_stage(site, cid)} | {n} |")
    return "\n".join(lines) + "\n"


def lifecycle_page(site: SystemSite) -> str:
    """Controls in place and missing for each stage of the lifecycle."""
    present: dict[str, set[str]] = {s: set() for s in STAGES}
    missing: dict[str, set[str]] = {s: set() for s in STAGES}
    known = site.catalog.controls
    for _, controls in site.index.all_controls():
        for cid in controls.implemented:
            if cid in known:
                present[known[cid].stage].add(cid)
    for cid in _missing_for_open(site):
        if cid in known:
            missing[known[cid].stage].add(cid)
    lines = [
        "# Lifecycle view",
        "",
        "Controls in place and missing for each stage of the secure AI system "
        "development lifecycle (design, development, deployment, operation, decommissioning).",
        "",
    ]
    for stage in STAGES:
        lines += [
            f"## {stage.capitalize()}",
            "",
            "In place: " + (", ".join(code(c) for c in sorted(present[stage])) or "none"),
            "",
            "Missing for open findings: "
            + (", ".join(code(c) for c in sorted(missing[stage] - present[stage])) or "none"),
            "",
        ]
    return "\n".join(lines) + "\n"
