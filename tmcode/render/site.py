"""The threat-model documentation site: a mkdocs-material project of plain Markdown pages.

`site_files` is a pure function from a finished report to {relative path: content}; writing and
building are separate steps. Every piece of model text is escaped for Markdown, every id is
shown as code, and diagrams are Mermaid (always) plus SVG (where Graphviz is installed).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from tmcode.catalog.coverage import list_coverage
from tmcode.catalog.load import Catalog, CompiledThreat
from tmcode.model.address import finding_owner, is_edge, permission_address
from tmcode.model.kinds import Trait, has
from tmcode.model.elements import Agent, ControlRef
from tmcode.model.load import LoadedModel
from tmcode.render.diagram import (
    RenderError,
    SystemView,
    ViewBoundary,
    build_view,
    dot_to_image,
    layout_refusal,
    to_dot,
    to_mermaid,
)
from tmcode.render.escape import markdown_code, markdown_text, relative_path, reveal
from tmcode.render.palette import admonition_css
from tmcode.render.standards import standards_markdown
from tmcode.render.wording import as_of, gating_counts, severity_breakdown, status_counts
from tmcode.report import GATING_STATUSES, Finding, Report, Severity, Status


def text(value: str) -> str:
    """Escape model text for a Python-Markdown page."""
    return markdown_text(value, "python")


def nav_title(value: str) -> str:
    """Escape text that MkDocs themes insert into HTML unescaped (site name, nav titles)."""
    return html.escape(_plain_line(value), quote=True)


def _plain_line(value: str) -> str:
    return reveal(re.sub(r"[\t\n\r]", " ", value))


def code(value: str) -> str:
    """Show a value as inline code on a Python-Markdown page."""
    return markdown_code(value, "python")


STAGES = ("design", "development", "deployment", "operation", "decommissioning")
STYLESHEET = "stylesheets/tmcode.css"
# A finding's page shows the whole diagram, its path highlighted, up to this many components
# and flows; beyond them the path alone, since every finding's page repeats its diagram.
_FULL_DIAGRAM_LIMIT = 60
_FULL_DIAGRAM_EDGES = 200
MANIFEST = ".tmcode-site.json"


def _plain(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _slug(value: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:40].strip("-")
    return slug or "system"


# Names a system's folder may not take: the site's own pages and folders.
_RESERVED_SLUGS = frozenset({"index", "threats", "standards", "assets"})


def unique_name(base: str, used: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``…: the first not in ``used`` ignoring case; record it."""
    name, n = base, 2
    while name.casefold() in used:
        name, n = f"{base}-{n}", n + 1
    used.add(name.casefold())
    return name


def _anchor(f: Finding) -> str:
    return f.id


def threat_page(compiled: CompiledThreat, examples: tuple[str, str] | None = None) -> str:
    """The page of one threat, with the catalog's fixed sections."""
    t = compiled.threat
    lines = [
        "---",
        f"title: {t.id}",
        "tags:",
        f"  - {t.area}",
        f"  - {t.target}",
        "---",
        "",
        f"# {text(t.title)} ({t.id})",
        "",
        f"**Status:** {t.status} since {t.since} · **Applies to:** {t.target}"
        + (" (" + ", ".join(code(k) for k in t.kinds) + ")" if t.kinds else "")
        + f" · **Severity:** likelihood {t.severity.likelihood}, impact {t.severity.impact}"
        + (
            " (raised by " + ", ".join(code(m) for m in t.severity.modifiers) + ")"
            if t.severity.modifiers
            else ""
        ),
        "",
        "## What it detects",
        "",
        text(t.docs.what_it_detects),
        "",
        "## Why it matters",
        "",
        text(t.docs.why_it_matters),
        "",
        "## Example",
        "",
        text(t.docs.example),
        "",
    ]
    if examples is not None:
        vulnerable, mitigated = examples
        lines += ['=== "Vulnerable model"', "", "    ```yaml"]
        lines += ["    " + line for line in vulnerable.rstrip("\n").split("\n")]
        lines += ["    ```", "", '=== "Mitigated model"', "", "    ```yaml"]
        lines += ["    " + line for line in mitigated.rstrip("\n").split("\n")]
        lines += ["    ```", ""]
    lines += [
        "## Mitigations",
        "",
        text(t.docs.mitigations),
        "",
        "Any one of these control sets mitigates it:",
        "",
    ]
    for s in t.mitigations:
        lines.append("- " + " + ".join(code(c) for c in s.all) + f" (on {', '.join(s.on)})")
    lines += ["", "## Known limitations", "", text(t.docs.limitations), "", "## References", ""]
    lines += [f"- {code(r)}" for r in t.references]
    lines += [
        "",
        "## Condition",
        "",
        "```yaml",
        yaml.safe_dump(_plain(t.when), sort_keys=False).rstrip("\n"),
        "```",
        "",
    ]
    return "\n".join(lines)


def catalog_index(catalog: Catalog) -> str:
    """A table of every threat, one section per area prefix."""
    lines = [
        "# Threat catalog",
        "",
        f"{len(catalog.threats)} threats. Each page has the same sections: "
        "what it detects, why it matters, example, mitigations, known limitations, references.",
        "",
    ]
    areas: dict[str, list[CompiledThreat]] = {}
    for compiled in catalog.threats.values():
        areas.setdefault(compiled.threat.area, []).append(compiled)
    for area, threats in areas.items():
        lines += [
            f"## {area}",
            "",
            "| id | title | applies to | likelihood / impact |",
            "|---|---|---|---|",
        ]
        for c in threats:
            t = c.threat
            lines.append(
                f"| [{t.id}]({t.id}.md) | {text(t.title)} | {t.target} | "
                f"{t.severity.likelihood} / {t.severity.impact} |"
            )
        lines.append("")
    return "\n".join(lines)


def standards_page(catalog: Catalog, findings: list[Finding] | None = None) -> str:
    """The cross-walk: every standard entry, the threats covering it, and findings here."""
    fired = Counter(r for f in findings or [] if f.status in GATING_STATUSES for r in f.references)
    return standards_markdown(list_coverage(catalog), fired if findings is not None else None)


class _SystemPages:
    """The pages of one system."""

    def __init__(
        self, loaded: LoadedModel, findings: list[Finding], report: Report, slug: str, svg: bool
    ) -> None:
        self.loaded = loaded
        self.model = loaded.model
        self.findings = findings
        self.summary = report.summary_of(loaded.path)
        self.report = report
        self.slug = slug
        self.svg = svg
        self.layout_note = ""
        self.catalog: Catalog = report.threats
        self.view = build_view(loaded, findings)
        self.nodes_by_id = {n.id: n for n in self.view.nodes}
        self.boundary_order = {b: i for i, b in enumerate(self.view.boundaries)}
        self.edges_by_address: dict[str, list[Any]] = {}
        for edge in self.view.edges:
            self.edges_by_address.setdefault(edge.address, []).append(edge)
        self.flows_in: dict[str, list[Any]] = {}
        self.flows_out: dict[str, list[Any]] = {}
        for flow in self.model.flows:
            self.flows_in.setdefault(flow.to, []).append(flow)
            self.flows_out.setdefault(flow.from_, []).append(flow)
        used: set[str] = set()  # ids differ, but may differ only in case
        self.page = {cid: unique_name(cid, used) for cid in self.model.components}
        self.by_component: dict[str, list[Finding]] = {}
        for f in findings:
            owner = finding_owner(f.target, f.elements, self.model.components)
            if owner is not None:
                self.by_component.setdefault(owner, []).append(f)

    def path_view(self, f: Finding) -> Any:
        """The attack path on the whole system, or alone when the system is large."""
        highlight = frozenset(f.elements)
        if (
            len(self.model.components) <= _FULL_DIAGRAM_LIMIT
            and len(self.view.edges) <= _FULL_DIAGRAM_EDGES
        ):
            return replace(self.view, highlight=highlight)
        nodes = [self.nodes_by_id[e] for e in dict.fromkeys(f.elements) if e in self.nodes_by_id]
        keep = {n.id for n in nodes}
        boundaries = {n.boundary for n in nodes}
        edges = [
            edge
            for e in dict.fromkeys(f.elements)
            for edge in self.edges_by_address.get(e, [])
            if edge.source in keep and edge.target in keep
        ]
        shown = {
            b: ViewBoundary(b, v.label, ())
            for b, v in self.view.boundaries.items()
            if b in boundaries
        }
        return SystemView(
            self.view.name,
            nodes,
            edges,
            shown,
            sorted(shown, key=self.boundary_order.__getitem__),
            highlight,
        )

    def files(self) -> dict[str, str | bytes]:
        out: dict[str, str | bytes] = {}
        view = self.view
        if self.svg:
            self.layout_note = layout_refusal(view)
            if not self.layout_note:
                try:
                    out[f"assets/{self.slug}.svg"] = dot_to_image(to_dot(view), "svg")
                except RenderError as exc:
                    self.layout_note = exc.problems[0].message
            self.svg = not self.layout_note
        out[f"{self.slug}/index.md"] = self.overview(to_mermaid(view))
        out[f"{self.slug}/inventory.md"] = self.inventory()
        out[f"{self.slug}/permissions.md"] = self.permissions()
        out[f"{self.slug}/findings.md"] = self.findings_page()
        out[f"{self.slug}/controls.md"] = self.controls()
        out[f"{self.slug}/decisions.md"] = self.decisions()
        out[f"{self.slug}/lifecycle.md"] = self.lifecycle()
        for cid in self.model.components:
            out[f"{self.slug}/components/{self.page[cid]}.md"] = self.component(cid)
        return out

    def nav(self) -> dict[str, Any]:
        return {
            nav_title(self.model.system.name): [
                {"Overview": f"{self.slug}/index.md"},
                {"Inventory": f"{self.slug}/inventory.md"},
                {"Tool permissions": f"{self.slug}/permissions.md"},
                {"Findings": f"{self.slug}/findings.md"},
                {"Controls": f"{self.slug}/controls.md"},
                {"Decisions": f"{self.slug}/decisions.md"},
                {"Lifecycle": f"{self.slug}/lifecycle.md"},
                {
                    "Components": [
                        {cid: f"{self.slug}/components/{self.page[cid]}.md"}
                        for cid in self.model.components
                    ]
                },
            ]
        }

    def overview(self, mermaid: str) -> str:
        s = self.model.system
        gating = [f for f in self.findings if f.status in GATING_STATUSES]
        worst = max((f.severity for f in gating), default=None)
        lines = [
            "---",
            "tags:",
            "  - system",
            f"  - {(s.lifecycle.value if s.lifecycle else 'production')}",
            "---",
            "",
            f"# {text(s.name)}",
            "",
        ]
        if s.description:
            lines += [text(s.description), ""]
        lines += [
            "| property | value |",
            "|---|---|",
            f"| owner | {text(s.owner or 'not declared')} |",
            f"| lifecycle | {s.lifecycle.value if s.lifecycle else 'not declared (assumed production)'} |",
            f"| model file | {code(relative_path(self.loaded.path))} |",
            f"| components | {len(self.model.components)} |",
            f"| flows | {len(self.model.flows)} |",
            f"| permissions | {len(self.model.permissions())} |",
            f"| findings | {status_counts(self.summary)} |",
            f"| open or expired | {gating_counts(self.summary)} |",
            "",
        ]
        if worst is not None:
            lines += [
                f'!!! {worst.value} "{len(gating)} open or expired finding(s), the worst {worst.value}"',
                "",
                "    See [Findings](findings.md).",
                "",
            ]
        lines += ["## Data-flow diagram", ""]
        if self.layout_note:
            note = self.layout_note[0].upper() + self.layout_note[1:]
            lines += [f"{text(note)}; the diagram is given as Mermaid source.", ""]
        lines += self._diagram_tabs(mermaid, f"../assets/{self.slug}.svg")
        return "\n".join(lines) + "\n"

    def _diagram_tabs(self, mermaid: str, svg_path: str | None) -> list[str]:
        lines: list[str] = []
        if self.svg and svg_path:
            lines += [
                '=== "Diagram"',
                "",
                f"    ![Data-flow diagram of {text(self.model.system.name)}]({svg_path})",
                "",
            ]
            lines += ['=== "Mermaid"', ""]
            indent = "    "
        else:
            indent = ""
        lines += [indent + "```mermaid"] + [
            indent + line for line in mermaid.rstrip("\n").split("\n")
        ]
        lines += [indent + "```", ""]
        return lines

    def inventory(self) -> str:
        m = self.model
        lines = [
            "# Inventory",
            "",
            "## Components",
            "",
            "| id | kind | boundary | trust | source | exposure | owner |",
            "|---|---|---|---|---|---|---|",
        ]
        for cid, c in m.components.items():
            lines.append(
                f"| [{code(cid)}](components/{self.page[cid]}.md) | {c.kind} | {code(c.boundary)} | "
                f"{m.effective_trust(cid).value} | {c.source.value if c.source else ''} | "
                f"{c.exposure.value if c.exposure else ''} | {text(c.owner or '')} |"
            )
        lines += ["", "## AI assets", "", "| id | kind | details |", "|---|---|---|"]
        for cid, c in m.components.items():
            if has(c.kind, Trait.ai_asset):
                attrs = c.model_dump(
                    mode="json",
                    exclude_unset=True,
                    exclude={
                        "kind",
                        "boundary",
                        "name",
                        "description",
                        "tools",
                        "controls",
                        "tags",
                    },
                )
                details = "; ".join(f"{k}: {text(str(v))}" for k, v in attrs.items())
                lines.append(
                    f"| [{code(cid)}](components/{self.page[cid]}.md) | {c.kind} | {details} |"
                )
        lines += [
            "",
            "## Data assets",
            "",
            "| id | classification | tags | held by |",
            "|---|---|---|---|",
        ]
        held: dict[str, list[str]] = {}
        for cid, c in m.components.items():
            for did in getattr(c, "stores", None) or getattr(c, "contains", None) or []:
                held.setdefault(did, []).append(cid)
        for did, d in m.data.items():
            holders = held.get(did, [])
            lines.append(
                f"| {code(did)} | {d.classification.value} | {', '.join(code(t) for t in d.tags)} | "
                f"{', '.join(code(h) for h in holders)} |"
            )
        lines += [
            "",
            "## Trust boundaries",
            "",
            "| id | name | trust | inside |",
            "|---|---|---|---|",
        ]
        for bid, b in m.boundaries.items():
            lines.append(
                f"| {code(bid)} | {text(b.name or '')} | {b.trust.value} | {code(b.parent) if b.parent else ''} |"
            )
        return "\n".join(lines) + "\n"

    def permissions(self) -> str:
        lines = [
            "# Tool permissions",
            "",
            "What each agent may do with each tool, server, store or service.",
            "",
            "| agent | target | kind | scopes | credential | controls |",
            "|---|---|---|---|---|---|",
        ]
        for agent, target, p in self.model.permissions():
            controls = ", ".join(
                code(c.id) + (" (planned)" if not c.implemented else "") for c in p.controls
            )
            lines.append(
                f"| [{code(agent)}](components/{self.page[agent]}.md) | "
                f"[{code(target)}](components/{self.page[target]}.md) | "
                f"{self.model.components[target].kind} | {', '.join(s.value for s in p.scopes)} | "
                f"{p.credential.value if p.credential else ''} | {controls} |"
            )
        if not self.model.permissions():
            lines.append("| — | — | — | — | — | — |")
        return "\n".join(lines) + "\n"

    def _finding_block(self, f: Finding, heading: str = "###") -> list[str]:
        lines = [
            f"{heading} {f.threat}: {text(f.title)} — {code(f.target)} {{ #{_anchor(f)} }}",
            "",
            f"**{f.severity.value}**, **{f.status.value}**"
            + (f": {text(f.status_reason)}" if f.status_reason else "")
            + f" · [{f.threat}](../threats/{f.threat}.md) · {code(relative_path(f.location.file))}"
            + (f" line {f.location.line}" if f.location.line else ""),
            "",
            text(f.message),
            "",
        ]
        if len(f.elements) > 1:
            lines += ["Evidence path: " + " → ".join(code(e) for e in f.elements), ""]
        for cs in f.controls:
            mark = "**satisfied:**" if cs.satisfied else "**not satisfied:**"
            lines.append(
                f"- {mark} "
                + " + ".join(
                    code(c)
                    + ("" if c in cs.present else " (planned)" if c in cs.planned else " (missing)")
                    for c in cs.all
                )
            )
        lines.append("")
        if f.assumptions:
            lines += ["Assumed: " + "; ".join(text(a) for a in f.assumptions), ""]
        if f.severity_factors:
            lines += ["Severity: " + "; ".join(text(x) for x in f.severity_factors), ""]
        lines += ["References: " + ", ".join(code(r) for r in f.references), ""]
        flows = [e for e in f.elements if is_edge(e)]
        if flows and f.status in GATING_STATUSES:
            view = self.path_view(f)
            lines += ['??? note "Attack path"', "", "    ```mermaid"]
            lines += ["    " + line for line in to_mermaid(view).rstrip("\n").split("\n")]
            lines += ["    ```", ""]
        return lines

    def findings_page(self) -> str:
        lines = [
            "# Findings",
            "",
            f"{status_counts(self.summary)}; open or expired: {gating_counts(self.summary)}; "
            f"{as_of(self.report)}.",
            "",
        ]
        for severity in sorted(Severity, reverse=True):
            group = [f for f in self.findings if f.severity is severity]
            if not group:
                continue
            breakdown = severity_breakdown(self.summary, severity)
            lines += [f"## {severity.value.capitalize()} ({breakdown})", ""]
            for f in group:
                lines += self._finding_block(f)
        if not self.findings:
            lines.append("No threat of the catalog applies to this model.")
        return "\n".join(lines) + "\n"

    def component(self, cid: str) -> str:
        m = self.model
        c = m.components[cid]
        lines = ["---", "tags:", f"  - {c.kind}", "---", "", f"# {code(cid)} ({c.kind})", ""]
        if c.description:
            lines += [text(c.description), ""]
        lines += [
            "| attribute | value |",
            "|---|---|",
            f"| boundary | {code(c.boundary)} |",
            f"| trust | {m.effective_trust(cid).value}{'' if c.trust else ' (from its boundary)'} |",
        ]
        for name, value in c.model_dump(
            mode="json",
            exclude_unset=True,
            exclude={"kind", "boundary", "description", "tools", "controls"},
        ).items():
            lines.append(f"| {name} | {text(str(value))} |")
        for name, info in type(c).model_fields.items():
            extra = info.json_schema_extra
            if (
                name not in c.model_fields_set
                and isinstance(extra, dict)
                and "x-tmcode-assumed" in extra
            ):
                lines.append(
                    f"| {name} | *unset; assumed {text(str(extra['x-tmcode-assumed']))}* |"
                )
        lines.append("")
        if c.controls:
            lines += [
                "Controls: "
                + ", ".join(
                    code(x.id) + (" (planned)" if not x.implemented else "") for x in c.controls
                ),
                "",
            ]
        flows_in = self.flows_in.get(cid, [])
        flows_out = self.flows_out.get(cid, [])
        if flows_in or flows_out:
            lines += ["## Flows", "", "| direction | peer | kind | data |", "|---|---|---|---|"]
            for f in flows_in:
                lines.append(
                    f"| from | [{code(f.from_)}]({self.page[f.from_]}.md) | {f.kind.value} | {', '.join(code(d) for d in f.data)} |"
                )
            for f in flows_out:
                lines.append(
                    f"| to | [{code(f.to)}]({self.page[f.to]}.md) | {f.kind.value} | {', '.join(code(d) for d in f.data)} |"
                )
            lines.append("")
        if isinstance(c, Agent) and c.tools:
            lines += ["## Permissions held", "", "| target | scopes |", "|---|---|"]
            for target, p in c.tools.items():
                lines.append(
                    f"| [{code(target)}]({self.page[target]}.md) | {', '.join(s.value for s in p.scopes)} |"
                )
            lines.append("")
        mine = self.by_component.get(cid, [])
        lines += ["## Findings", ""]
        for f in mine:
            lines.append(
                f"- **{f.severity.value}** [{f.threat}: {text(f.title)}](../findings.md#{_anchor(f)}) "
                f"on {code(f.target)} — {f.status.value}"
            )
        if not mine:
            lines.append("None.")
        return "\n".join(lines) + "\n"

    def controls(self) -> str:
        m = self.model
        declared: dict[str, list[str]] = {}
        places = [("system", m.system.controls)] + [
            (cid, c.controls) for cid, c in m.components.items()
        ]
        places += [(f.address, f.controls) for f in m.flows]
        places += [(permission_address(a, t), p.controls) for a, t, p in m.permissions()]
        checked = self.report.repository is not None  # `--discover`: evidence paths checked
        missing = {f.target for f in self.findings if f.threat == "DRIFT-006"}

        def evidence(where: str, control: ControlRef) -> str:
            if not control.evidence:
                return ""
            state = ""
            if checked and "://" in control.evidence:
                state = " (a URL: not checked)"
            elif checked:
                state = (
                    " (missing from the repository)"
                    if f"{where}#{control.id}" in missing
                    else " (checked: present)"
                )
            return f" — evidence {code(control.evidence)}{state}"

        for where, controls in places:
            for control in controls:
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
            stage = self.catalog.controls[cid].stage if cid in self.catalog.controls else ""
            lines.append(f"| {code(cid)} | {stage} | {'; '.join(declared[cid])} |")
        wanted: Counter[str] = Counter()
        for f in self.findings:
            if f.status in GATING_STATUSES:
                for c in {c for cs in f.controls for c in cs.missing}:
                    wanted[c] += 1
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
        for cid, n in sorted(wanted.items(), key=lambda kv: (-kv[1], kv[0])):
            stage = self.catalog.controls[cid].stage if cid in self.catalog.controls else ""
            lines.append(f"| {code(cid)} | {stage} | {n} |")
        return "\n".join(lines) + "\n"

    def decisions(self) -> str:
        lines = [
            "# Risk decisions",
            "",
            "| threat | target | status | owner | expires | ticket | reason | finding |",
            "|---|---|---|---|---|---|---|---|",
        ]
        by_index = {f.decision.index: f for f in self.findings if f.decision is not None}
        for index, d in enumerate(self.model.decisions):
            f = by_index.get(index)
            state = d.status.value
            if f is not None and f.status is Status.expired:
                state = "expired"
            link = (
                f"[{f.threat} on {code(f.target)}](findings.md#{_anchor(f)})"
                if f
                else "stale: matches no finding"
            )
            lines.append(
                f"| {code(d.threat)} | {code(d.target)} | {state} | {text(d.owner or '')} | "
                f"{d.expires.isoformat() if d.expires else ''} | {text(d.ticket or '')} | {text(d.reason)} | {link} |"
            )
        if not self.model.decisions:
            lines.append("| — | — | — | — | — | — | — | — |")
        return "\n".join(lines) + "\n"

    def lifecycle(self) -> str:
        present: dict[str, set[str]] = {s: set() for s in STAGES}
        missing: dict[str, set[str]] = {s: set() for s in STAGES}
        m = self.model
        for controls in [
            m.system.controls,
            *(c.controls for c in m.components.values()),
            *(f.controls for f in m.flows),
            *(p.controls for _, _, p in m.permissions()),
        ]:
            for control in controls:
                if control.implemented and control.id in self.catalog.controls:
                    present[self.catalog.controls[control.id].stage].add(control.id)
        for f in self.findings:
            if f.status in GATING_STATUSES:
                for cs in f.controls:
                    for cid in cs.missing:
                        if cid in self.catalog.controls:
                            missing[self.catalog.controls[cid].stage].add(cid)
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


def site_files(report: Report, *, svg: bool) -> dict[str, str | bytes]:
    """Return every file of the documentation site, keyed by path relative to the site root."""
    catalog: Catalog = report.threats
    docs: dict[str, str | bytes] = {}
    used = set(_RESERVED_SLUGS)
    systems = []
    for loaded in report.sources:
        slug = unique_name(_slug(loaded.model.system.id or loaded.model.system.name), used)
        pages = _SystemPages(loaded, report.findings_of(loaded.path), report, slug, svg)
        docs.update(pages.files())
        systems.append(pages)
    index = [
        "# Threat model",
        "",
        "Generated by tmcode from the models in the repository. Each system has "
        "an overview with its data-flow diagram, an inventory of its AI assets, its tool permissions, "
        "findings with evidence paths, control coverage, risk decisions and a lifecycle view.",
        "",
        "| system | lifecycle | owner | components | open or expired findings |",
        "|---|---|---|---:|---|",
    ]
    for pages in systems:
        s = pages.model.system
        index.append(
            f"| [{text(s.name)}]({pages.slug}/index.md) | {s.lifecycle.value if s.lifecycle else ''} | "
            f"{text(s.owner or '')} | {len(pages.model.components)} | {gating_counts(pages.summary)} |"
        )
    docs["index.md"] = "\n".join(index) + "\n"
    docs["threats/index.md"] = catalog_index(catalog)
    for tid, compiled in catalog.threats.items():
        docs[f"threats/{tid}.md"] = threat_page(compiled)
    docs["standards.md"] = standards_page(catalog, report.findings)
    nav: list[Any] = [
        {"Home": "index.md"},
        *(p.nav() for p in systems),
        {
            "Threats": [
                {"Catalog": "threats/index.md"},
                *({tid: f"threats/{tid}.md"} for tid in catalog.threats),
            ]
        },
        {"Standards": "standards.md"},
    ]
    docs[STYLESHEET] = admonition_css()
    files: dict[str, str | bytes] = {f"docs/{k}": v for k, v in docs.items()}
    files["mkdocs.yml"] = mkdocs_yml(
        "Threat model" if len(systems) != 1 else f"Threat model: {systems[0].model.system.name}",
        nav,
    )
    return files


def mkdocs_yml(site_name: str, nav: list[Any]) -> str:
    """The mkdocs-material configuration the generated pages need."""
    config = {
        "site_name": nav_title(site_name),
        "theme": {
            "name": "material",
            "features": ["navigation.sections", "content.tabs.link", "search.highlight"],
        },
        "plugins": ["search", "tags"],
        "extra_css": [STYLESHEET],
        "markdown_extensions": [
            "admonition",
            "attr_list",
            "tables",
            "toc",
            "pymdownx.details",
            {
                "pymdownx.superfences": {
                    "custom_fences": [
                        {
                            "name": "mermaid",
                            "class": "mermaid",
                            "format": _PythonName("pymdownx.superfences.fence_code_format"),
                        }
                    ]
                }
            },
            {"pymdownx.tabbed": {"alternate_style": True}},
        ],
        "nav": nav,
    }
    return str(
        yaml.dump(config, Dumper=_ConfigDumper, sort_keys=False, allow_unicode=True, width=1000)
    )


class _PythonName(str):
    """A ``!!python/name:`` reference that MkDocs resolves: the one tag its configuration holds."""


class _ConfigDumper(yaml.SafeDumper):
    """The safe dumper, which quotes every string that could read as a tag, anchor or key."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_python_name(dumper: yaml.SafeDumper, value: _PythonName) -> yaml.ScalarNode:
    return dumper.represent_scalar(f"tag:yaml.org,2002:python/name:{value}", "")


_ConfigDumper.add_representer(_PythonName, _represent_python_name)


def write_site(files: dict[str, str | bytes], root: Path, inputs: Iterable[Path] = ()) -> list[str]:
    """Write the site under ``root``, replacing and removing only files an earlier run wrote."""
    from tmcode.output import write_tree

    return write_tree(root, files, inputs, manifest=MANIFEST, owns=_site_file)


def check_site_folder(root: Path) -> None:
    """Refuse early an output folder ``write_site`` would refuse for what is already in it."""
    from tmcode.output import recorded_files

    recorded_files(root, manifest=MANIFEST, owns=_site_file)


def _site_file(relative: str) -> bool:
    """Whether ``tmcode docs`` may have written ``relative``: mkdocs.yml or a page under docs/."""
    return relative == "mkdocs.yml" or relative.startswith("docs/")


def build_site(root: Path, site: Path | None = None) -> None:
    """Run ``mkdocs build --strict`` on ``root/mkdocs.yml``; the HTML goes to ``site`` (``root/site``)."""
    import importlib.util
    import os
    import subprocess
    import sys

    from tmcode.errors import Problem, UsageError

    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None:
        raise UsageError(
            "--build needs mkdocs-material, a dependency of tmcode that is missing from this "
            "Python environment: reinstall tmcode (pip install --force-reinstall tmcode) or "
            "pip install mkdocs-material"
        )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-q",
            "-f",
            str(root / "mkdocs.yml"),
            "-d",
            str((site or root / "site").resolve()),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    if result.returncode != 0:
        raise UsageError(
            Problem(
                str(root / "mkdocs.yml"),
                None,
                None,
                "mkdocs build --strict failed:\n" + (result.stderr or result.stdout).strip(),
            )
        )
