"""A standalone HTML report: a deliverable for reviewers, viewable offline, with no script in it.

The report opens with a management summary (the gate's verdict, counts by severity and
status, the top risks), gives a legend, the data-flow diagrams, then each threat that was
found, explained once from the catalog's prose, with every finding of it: its evidence path,
the controls present and missing, the risk decision, and links to the model lines and the
component's code. It carries its own styles (screen and print); nothing is fetched to view it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from importlib import resources
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

from tmcode.hidden import shown
from tmcode.model.address import finding_owner, is_edge
from tmcode.render.base import Renderer
from tmcode.render.diagram import (
    RenderError,
    build_view,
    dot_to_image,
    graphviz_available,
    layout_refusal,
    to_dot,
    to_mermaid,
)
from tmcode.render.escape import relative_path, xml_text
from tmcode.render.palette import SEVERITY_STYLE, severity_css
from tmcode.render.wording import (
    STATUS_MEANINGS,
    STATUS_WORDS,
    as_of,
    assumption_note,
    by_target,
    gating_counts,
    more_paths,
    partly_met,
    status_counts,
    verdict,
)
from tmcode.report import GATING_STATUSES, Finding, Report, Severity, Status
from tmcode.severity import IMPACT, LIKELIHOOD, severity_of

_COMMENT = re.compile(r"<!--.*?-->", re.S)
# An inline code span as Markdown writes it: a run of backticks closed by a run of the same length.
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
# Order of findings within a threat: what still needs work first.
_STATUS_ORDER = [
    Status.open,
    Status.expired,
    Status.accepted,
    Status.false_positive,
    Status.mitigated,
]
_CHANGE_WORDS = {
    "new": "new",
    "regressed": "regressed",
    "severity_raised": "severity raised",
    "severity_lowered": "severity lowered",
    "accepted": "newly accepted",
    "new_mitigated": "new, mitigated",
}
_WORD_OF = {st.value: word for st, word in STATUS_WORDS.items()}
TOP_RISKS = 5


def rich(text: str) -> Markup:
    """Model or catalog text as HTML: code spans become ``<code>``, everything else is escaped.

    Hidden characters are shown as escapes first, so nothing in the text can act in the page.
    """
    text = xml_text(text)
    parts: list[Markup] = []
    end = 0
    for match in _CODE_SPAN.finditer(text):
        parts.append(escape(text[end : match.start()]))
        body = match.group(2)
        if body.startswith(" ") and body.endswith(" ") and body.strip():
            body = body[1:-1]  # CommonMark strips one space each side
        parts.append(Markup("<code>%s</code>") % body)
        end = match.end()
    parts.append(escape(text[end:]))
    return Markup("").join(parts)


def href(path: str, base_dir: str, line: int | None = None) -> str:
    """A link from the report's folder to ``path`` (relative, percent-encoded, never a scheme)."""
    target = os.path.abspath(path)
    try:
        rel = os.path.relpath(target, base_dir).replace(os.sep, "/")
    except ValueError:  # another drive on Windows: no relative path exists
        rel = "/" + target.replace(os.sep, "/").lstrip("/")
    if path.endswith(("/", os.sep)) and not rel.endswith("/"):
        rel += "/"
    url = quote(rel, safe="/", errors="surrogateescape")
    # `#L12` opens the line in code browsers (GitHub, GitLab); a browser reading the file ignores it.
    return f"{url}#L{line}" if line else url


def _far(path: str, base_dir: str) -> str:
    """`` far`` when the link's target is not the path shown (the report lies elsewhere).

    Printed, such a link shows where it points, since paper cannot follow it.
    """
    near = os.path.abspath(os.getcwd()) == os.path.abspath(base_dir)
    return "" if near and not os.path.isabs(relative_path(path)) else " far"


_URL = re.compile(r"^https?://[^\s\x00-\x20\x7f<>\"']+$")


def _code_paths(component: Any) -> list[str]:
    code = getattr(component, "code", None)
    return [code] if isinstance(code, str) else list(code or [])


class _Context:
    """What the page needs from the report: where links start, the catalog and the models."""

    def __init__(self, report: Report, output: str | None) -> None:
        self.base = os.path.dirname(os.path.abspath(output)) if output else os.getcwd()
        root = (report.repository or {}).get("root")
        self.root = os.path.abspath(str(root)) if root else os.getcwd()
        catalog = report.threats
        self.threats = dict(catalog.threats)
        self.controls = dict(catalog.controls)
        self.models = {loaded.path: loaded for loaded in report.sources}
        self._files: dict[str, tuple[str, str, str]] = {}
        self._controls: dict[str, dict[str, Any]] = {}

    def model_of(self, f: Finding) -> Any:
        """The loaded model of a finding (a drift finding points at a config file, not at it)."""
        loaded = self.models.get(f.location.file)
        if loaded is None and len(self.models) == 1:
            loaded = next(iter(self.models.values()))
        elif loaded is None and f.system is not None:
            same = [m for m in self.models.values() if m.model.system.id == f.system]
            loaded = same[0] if len(same) == 1 else None
        return loaded

    def where_declared(self, f: Finding, control_id: str, address: str | None) -> dict[str, Any]:
        """Where a present control is written (element, boundary or system), and its evidence."""
        loaded = self.model_of(f)
        if loaded is None or address is None:
            return {}
        for ref in loaded.index.controls_on(address).entries:
            if ref.id == control_id and ref.implemented:
                return {"on": xml_text(address), "evidence": self.evidence(ref.evidence)}
        return {}

    def evidence(self, text: str | None) -> dict[str, Any] | None:
        """A control's evidence: a web address or a repository path is linked; other text is not."""
        if not text:
            return None
        if _URL.match(text):
            return {"href": text, "text": xml_text(text), "far": ""}
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", text) or not shown(text):
            return {"href": None, "text": xml_text(text), "far": ""}
        target = os.path.join(self.root, text)
        return {
            "href": href(target, self.base),
            "text": xml_text(text),
            "far": _far(target, self.base),
        }

    def file_link(self, file: str, line: int | None) -> dict[str, Any]:
        """A link to a line of a model (or a config) file, shown as ``file:line``."""
        known = self._files.get(file)
        if known is None:  # a report links each file thousands of times: work it out once
            known = self._files[file] = (
                href(file, self.base),
                xml_text(relative_path(file)),
                _far(file, self.base),
            )
        url, label, far = known
        return {
            "href": f"{url}#L{line}" if line else url,
            "text": f"{label}:{line}" if line else label,
            "far": far,
        }

    def control(self, control_id: str) -> dict[str, Any]:
        """A control's id and what it is, from the catalog."""
        if control_id not in self._controls:
            found = self.controls.get(control_id)
            self._controls[control_id] = {
                "id": xml_text(control_id),
                "description": rich(found.description) if found is not None else "",
            }
        return self._controls[control_id]


def _sort_key(f: Finding) -> tuple[int, int, str]:
    return (_STATUS_ORDER.index(f.status), -f.severity.rank, f.target)


def _path(elements: list[str], loaded: Any, ctx: _Context) -> list[dict[str, Any]]:
    path = []
    for element in elements:
        entry: dict[str, Any] = {"text": xml_text(element), "edge": is_edge(element), "link": None}
        if loaded is not None:
            where = loaded.location(element)
            entry["link"] = ctx.file_link(where.file, where.line) if where.line else None
        path.append(entry)
    return path


def _finding(f: Finding, ctx: _Context, on_target: list[Finding]) -> dict[str, Any]:
    loaded = ctx.model_of(f)
    model = loaded.model if loaded is not None else None
    path = _path(f.elements, loaded, ctx)
    paths = [{"label": rich(p.label), "path": _path(p.elements, loaded, ctx)} for p in f.paths]
    code: list[dict[str, Any]] = []
    component_id = None
    if model is not None:
        component_id = finding_owner(f.target, f.elements, model.components)
        if component_id is not None:
            for code_path in _code_paths(model.components[component_id]):
                code.append(
                    {
                        "href": href(os.path.join(ctx.root, code_path), ctx.base),
                        "text": xml_text(code_path),
                        "far": _far(os.path.join(ctx.root, code_path), ctx.base),
                    }
                )
    sets: list[dict[str, Any]] = [
        {
            "n": n,
            "satisfied": cs.satisfied,
            "present": [
                dict(
                    ctx.control(c),
                    **ctx.where_declared(f, c, cs.declared_on.get(c)),
                )
                for c in cs.present
            ],
            "missing": [dict(ctx.control(c), planned=c in cs.planned) for c in cs.missing],
        }
        for n, cs in enumerate(f.controls, 1)
    ]
    d = f.decision
    return {
        "id": f.id,
        "threat": f.threat,
        "severity": f.severity.value,
        "status": f.status.value,
        "status_word": STATUS_WORDS[f.status],
        "gating": f.status in GATING_STATUSES,
        "change": _CHANGE_WORDS.get(f.change or ""),
        "message": rich(f.message),
        "target": xml_text(f.target),
        "system": xml_text(model.system.name)
        if model is not None and len(ctx.models) > 1
        else None,
        "where": ctx.file_link(f.location.file, f.location.line),
        "component": xml_text(component_id) if component_id and component_id != f.target else None,
        "code": code,
        "path": path,
        "paths": paths,
        "more_paths": more_paths(f.paths_left_out),
        "assumes": rich(assumption_note(f)),
        "partly": rich(partly_met(f)),
        "related": [
            {
                "id": g.id,
                "threat": g.threat,
                "severity": g.severity.value,
                "status": STATUS_WORDS[g.status],
            }
            for g in on_target
            if g is not f
        ],
        "factors": [rich(s) for s in f.severity_factors],
        "sets": sets,
        "mitigated_by": [s["n"] for s in sets if s["satisfied"]],
        "assumptions": [rich(a) for a in f.assumptions],
        "decision": None
        if d is None
        else {
            "status": _WORD_OF.get(d.status, xml_text(d.status)),
            "reason": rich(d.reason),
            "owner": xml_text(d.owner or ""),
            "expires": d.expires or "",
            "ticket": xml_text(d.ticket or ""),
        },
        "status_reason": rich(f.status_reason),
    }


def _targets(report: Report) -> list[dict[str, Any]]:
    """Every target with findings, the worst open first, and its findings (links)."""
    groups = by_target(report.findings)

    def rank(found: list[Finding]) -> tuple[int, int]:
        gating = [f.severity.rank for f in found if f.status in GATING_STATUSES]
        return (-max(gating, default=-1), -max(f.severity.rank for f in found))

    rows = []
    for (_, target), found in sorted(groups.items(), key=lambda item: rank(item[1])):
        if len(found) < 2:
            continue
        rows.append(
            {
                "target": xml_text(target),
                "findings": [
                    {
                        "id": f.id,
                        "threat": f.threat,
                        "severity": f.severity.value,
                        "status": f.status.value,
                        "status_word": STATUS_WORDS[f.status],
                        "title": rich(f.title),
                    }
                    for f in sorted(found, key=_sort_key)
                ],
            }
        )
    return rows


def _threat_groups(report: Report, ctx: _Context) -> list[dict[str, Any]]:
    targets = by_target(report.findings)
    by_threat: dict[str, list[Finding]] = {}
    for f in report.findings:
        by_threat.setdefault(f.threat, []).append(f)

    def rank(item: tuple[str, list[Finding]]) -> tuple[int, int, int, str]:
        threat, found = item
        gating = [f.severity.rank for f in found if f.status in GATING_STATUSES]
        return (
            -bool(gating),
            -max(gating, default=-1),
            -max(f.severity.rank for f in found),
            threat,
        )

    groups = []
    names = {sev.rank: sev.value for sev in Severity}
    for threat_id, found in sorted(by_threat.items(), key=rank):
        compiled = ctx.threats.get(threat_id)
        threat = compiled.threat if compiled is not None else None
        counts = {st: 0 for st in STATUS_WORDS}
        for f in found:
            counts[f.status] += 1
        groups.append(
            {
                "id": threat_id,
                "anchor": f"threat-{threat_id}",
                "title": rich(found[0].title),
                "worst": max(f.severity for f in found).value,
                # The contents' dot: the worst finding still open, else none ("settled").
                "worst_open": names.get(
                    max(
                        (f.severity.rank for f in found if f.status in GATING_STATUSES), default=-1
                    ),
                    "settled",
                ),
                "counts": ", ".join(f"{n} {STATUS_WORDS[st]}" for st, n in counts.items() if n),
                "docs": None
                if threat is None
                else {
                    "detects": rich(threat.docs.what_it_detects),
                    "matters": rich(threat.docs.why_it_matters),
                    "mitigations": rich(threat.docs.mitigations),
                    "limitations": rich(threat.docs.limitations),
                },
                "rating": None
                if threat is None
                else f"likelihood {threat.severity.likelihood}, impact {threat.severity.impact}",
                "sets": []
                if threat is None
                else [[ctx.control(c) for c in cs.all] for cs in threat.mitigations],
                "references": [xml_text(r) for r in found[0].references],
                "findings": [
                    _finding(f, ctx, targets[(f.location.file, f.target)])
                    for f in sorted(found, key=_sort_key)
                ],
            }
        )
    return groups


def _top_risks(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    gating = [f for f in findings if f.status in GATING_STATUSES]
    gating.sort(key=lambda f: -f.severity.rank)  # stable: the report's order within a severity
    return [
        {
            "id": f.id,
            "severity": f.severity.value,
            "title": rich(f.title),
            "message": rich(f.message),
            "expired": f.status is Status.expired,
        }
        for f in gating[:TOP_RISKS]
    ]


def _systems(report: Report, has_dot: bool) -> list[dict[str, Any]]:
    systems = []
    for loaded in report.sources:
        model = loaded.model
        view = build_view(loaded, report.findings_of(loaded.path))
        svg = None
        refusal = layout_refusal(view)
        if has_dot and not refusal:
            try:
                raw = dot_to_image(to_dot(view), "svg").decode("utf-8")
            except RenderError as exc:
                refusal = exc.problems[0].message
            else:
                # Graphviz escapes every label it writes; drop its XML prologue and comments.
                svg = Markup(_COMMENT.sub("", raw[raw.index("<svg") :]))
        note = (
            f"{refusal[0].upper()}{refusal[1:]}; the diagram is given as Mermaid source."
            if refusal
            else "Graphviz is not installed, so the diagram is given as Mermaid "
            "source; paste it into any Mermaid viewer."
        )
        summary = report.summary_of(loaded.path)
        systems.append(
            {
                "name": xml_text(model.system.name),
                "description": rich(model.system.description or ""),
                "owner": xml_text(model.system.owner or ""),
                "file": xml_text(relative_path(loaded.path)),
                "facts": (
                    f"{len(model.components)} components, {len(model.flows)} flows, "
                    f"{len(loaded.index.permissions)} permissions, {len(model.boundaries)} trust "
                    f"boundaries, {len(model.data)} data assets"
                ),
                "totals": status_counts(summary),
                "gating": gating_counts(summary),
                "svg": svg,
                "mermaid": to_mermaid(view),
                "note": note,
            }
        )
    return systems


def _legend() -> dict[str, Any]:
    severities = sorted(Severity, reverse=True)
    impacts = list(IMPACT)
    matrix = [
        {
            "likelihood": likelihood,
            "cells": [severity_of(LIKELIHOOD[likelihood], IMPACT[i]).value for i in impacts],
        }
        for likelihood in reversed(list(LIKELIHOOD))
    ]
    return {
        "severities": [
            {"name": s.value, "fill": SEVERITY_STYLE[s].fill, "ink": SEVERITY_STYLE[s].ink}
            for s in severities
        ],
        "statuses": [
            {"word": STATUS_WORDS[st], "meaning": STATUS_MEANINGS[st]} for st in STATUS_WORDS
        ],
        "impacts": impacts,
        "matrix": matrix,
    }


def _reach(report: Report) -> list[dict[str, Any]]:
    """The blast radius of each model, when the report carries it (``check --reach``)."""
    from tmcode.reach.values import VERBS

    systems = []
    for radius in report.reach or ():
        components = []
        for c in radius.components:
            rows = [
                {
                    "target": xml_text(target),
                    "cells": [cells.get(v.value) for v in VERBS],
                }
                for target, cells in c.matrix.items()
            ]
            components.append(
                {
                    "id": xml_text(c.component),
                    "kind": c.kind,
                    "takes_over": [xml_text(t) for t in c.takes_over[1:]],
                    "open": c.open,
                    "total": c.total,
                    "worst": c.worst.value if c.worst is not None else None,
                    "rows": rows,
                }
            )
        systems.append(
            {
                "name": xml_text(radius.name),
                "verbs": [v.value for v in VERBS],
                "components": components,
                "gaps": [xml_text(g) for g in radius.gaps],
            }
        )
    return systems


class HtmlRenderer(Renderer):
    """Management summary, legend, diagrams, and every finding explained with its evidence."""

    name = "html"
    suffix = ".html"

    def render(self, report: Report) -> str:
        folder = resources.files("tmcode.render").joinpath("templates")
        env = jinja2.Environment(
            autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
        )
        template = env.from_string(folder.joinpath("report.html.j2").read_text("utf-8"))
        ctx = _Context(report, self.options.output)
        matrix = report.summary["by_severity_and_status"]
        counts = [
            {
                "severity": sev.value,
                "counts": [matrix[sev.value][st.value] for st in STATUS_WORDS],
                "total": report.summary["by_severity"][sev.value],
            }
            for sev in sorted(Severity, reverse=True)
        ]
        has_dot = graphviz_available() if self.options.svg is None else self.options.svg
        groups = _threat_groups(report, ctx)
        gating = [f for f in report.findings if f.status in GATING_STATUSES]
        baseline = report.baseline
        return template.render(
            title=xml_text(str(report.system.get("name"))),
            verdict=verdict(report, self.options),
            css=Markup(folder.joinpath("report.css").read_text("utf-8")),
            severity_css=Markup(severity_css() + "\n" + severity_css(".sev-dot")),
            statuses=list(STATUS_WORDS.values()),
            status_totals=[report.summary["by_status"][st.value] for st in STATUS_WORDS],
            counts=counts,
            total=report.summary["total"],
            gating=gating_counts(report.summary),
            top=_top_risks(report.findings),
            more=max(len(gating) - TOP_RISKS, 0),
            systems=_systems(report, has_dot),
            groups=groups,
            targets=_targets(report),
            legend=_legend(),
            reach=_reach(report),
            decisions=[f for g in groups for f in g["findings"] if f["decision"] is not None],
            baseline=None if baseline is None else xml_text(str(baseline.get("counts_summary"))),
            stale=[
                {
                    "threat": xml_text(st.threat),
                    "target": xml_text(st.target),
                    "where": ctx.file_link(st.file, st.line),
                }
                for st in report.stale_decisions
            ],
            version=report.tool["version"],
            catalog_size=report.catalog.get("threats"),
            totals=status_counts(report.summary),
            as_of=as_of(report),
        )
