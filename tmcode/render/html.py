"""A standalone HTML report: no network needed to view it, no script in it."""

from __future__ import annotations

import re
from importlib import resources

import jinja2
from markupsafe import Markup

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
from tmcode.render.palette import severity_css
from tmcode.render.wording import STATUS_WORDS, as_of, status_counts, verdict
from tmcode.report import Report, Severity

_COMMENT = re.compile(r"<!--.*?-->", re.S)


class HtmlRenderer(Renderer):
    """Summary, diagram (inline SVG when Graphviz is installed) and findings table."""

    name = "html"
    suffix = ".html"

    def render(self, report: Report) -> str:
        template_text = (
            resources.files("tmcode.render").joinpath("templates/report.html.j2").read_text("utf-8")
        )
        env = jinja2.Environment(
            autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
        )
        template = env.from_string(template_text)
        matrix = report.summary["by_severity_and_status"]
        counts = [
            {"severity": sev.value, "counts": [matrix[sev.value][st.value] for st in STATUS_WORDS]}
            for sev in sorted(Severity, reverse=True)
        ]
        has_dot = graphviz_available() if self.options.svg is None else self.options.svg
        systems = []
        for loaded in report.sources:
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
            systems.append(
                {
                    "name": xml_text(loaded.model.system.name),
                    "svg": svg,
                    "mermaid": to_mermaid(view),
                    "note": note,
                }
            )
        findings = [
            {
                "id": f.id,
                "severity": f.severity.value,
                "status": f.status.value,
                "threat": f.threat,
                "title": f.title,
                "message": xml_text(f.message),
                "target": xml_text(f.target),
                "where": xml_text(f"{relative_path(f.location.file)}:{f.location.line or ''}"),
                "elements": [xml_text(e) for e in f.elements],
                "references": f.references,
                "controls": [{"all": cs.all} for cs in f.controls],
                "status_reason": xml_text(f.status_reason),
            }
            for f in report.findings
        ]
        return template.render(
            title=xml_text(str(report.system.get("name"))),
            verdict=verdict(report, self.options),
            severity_css=Markup(severity_css()),
            statuses=list(STATUS_WORDS.values()),
            counts=counts,
            systems=systems,
            findings=findings,
            stale=[
                {
                    "threat": st.threat,
                    "target": xml_text(st.target),
                    "file": xml_text(relative_path(st.file)),
                    "line": st.line,
                }
                for st in report.stale_decisions
            ],
            version=report.tool["version"],
            totals=status_counts(report.summary),
            as_of=as_of(report),
        )
