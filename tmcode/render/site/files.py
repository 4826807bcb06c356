"""Every file of the site, as a pure function of a finished report: {relative path: content}."""

from __future__ import annotations

from typing import Any

from tmcode.catalog.coverage import load_standards
from tmcode.catalog.load import Catalog
from tmcode.render.palette import admonition_css, severity_css
from tmcode.render.site.catalog import catalog_index, standards_page, threat_page
from tmcode.render.site.component import component_page
from tmcode.render.site.config import STYLESHEET, mkdocs_yml
from tmcode.render.site.context import SystemSite, finding_page
from tmcode.render.site.controls import controls_page, lifecycle_page
from tmcode.render.site.decisions import decisions_page
from tmcode.render.site.diagrams import (
    MERMAID,
    SCRIPT,
    SEARCH_SHIM,
    SITE_CSS,
    Picture,
    asset_files,
    has_attack_path,
    lay_out,
    legend_files,
    picture_files,
    pictures_of,
)
from tmcode.render.site.governance import assurance_page, reach_overview_page, reach_page
from tmcode.render.site.findings import finding_detail, findings_page
from tmcode.render.site.inventory import inventory_page
from tmcode.render.site.markup import nav_title, slug, unique_name
from tmcode.render.site.overview import diagrams_page, home_page, overview_page
from tmcode.render.site.permissions import permissions_page
from tmcode.report import Report

# Names a system's folder may not take: the site's own pages and folders.
_RESERVED_SLUGS = frozenset(
    {"index", "threats", "standards", "assets", "javascripts", "stylesheets", "search", "tags"}
)


def system_files(site: SystemSite, pictures: list[Picture], svg: bool) -> dict[str, str | bytes]:
    """The pages of one system and its diagrams, keyed by path under docs/."""
    out: dict[str, str | bytes] = {}
    legend = legend_files(site.slug, site.view, svg)
    out.update(legend)
    whole, rest = pictures[0], pictures[1:]
    boundaries = [p for p in rest if not p.path]
    paths = {p.view.highlight: p for p in rest if p.path}
    out.update(picture_files(whole, sources=True))
    for picture in rest:
        out.update(picture_files(picture))
    folder = site.slug
    out[f"{folder}/index.md"] = overview_page(site, whole, bool(boundaries), legend)
    if boundaries:
        out[f"{folder}/diagrams.md"] = diagrams_page(site, boundaries, legend)
    out[f"{folder}/findings.md"] = findings_page(site)
    for f in site.findings:
        path = paths.get(frozenset(f.elements)) if has_attack_path(f) else None
        out[f"{folder}/{finding_page(f)}"] = finding_detail(site, f, path, legend)
    out[f"{folder}/inventory.md"] = inventory_page(site)
    out[f"{folder}/permissions.md"] = permissions_page(site)
    out[f"{folder}/controls.md"] = controls_page(site)
    out[f"{folder}/decisions.md"] = decisions_page(site)
    out[f"{folder}/lifecycle.md"] = lifecycle_page(site)
    for cid in site.model.components:
        out[f"{folder}/components/{site.page[cid]}.md"] = component_page(site, cid)
    out[f"{folder}/assurance.md"] = assurance_page(site)
    radius = site.radius
    if radius is not None:
        out[f"{folder}/reach/index.md"] = reach_overview_page(site, radius)
        for c in radius.components:
            out[f"{folder}/reach/{site.page[c.component]}.md"] = reach_page(c)
    return out


def system_nav(site: SystemSite, boundaries: bool) -> dict[str, Any]:
    """The navigation section of one system; findings and components by name."""
    folder = site.slug
    findings: list[Any] = [{"All findings": f"{folder}/findings.md"}]
    findings += [
        {
            nav_title(
                f"{f.severity.value} · {f.threat} {f.title} ({f.target})"
            ): f"{folder}/{finding_page(f)}"
        }
        for f in sorted(site.findings, key=lambda f: f.severity, reverse=True)
    ]
    overview: list[Any] = [{"Front page": f"{folder}/index.md"}]
    if boundaries:
        overview.append({"Diagrams by boundary": f"{folder}/diagrams.md"})
    return {
        nav_title(site.model.system.name): [
            {"Overview": overview if boundaries else f"{folder}/index.md"},
            {"Findings": findings},
            {"Tool permissions": f"{folder}/permissions.md"},
            {"Inventory": f"{folder}/inventory.md"},
            {"Controls": f"{folder}/controls.md"},
            {"Decisions": f"{folder}/decisions.md"},
            {"Lifecycle": f"{folder}/lifecycle.md"},
            {"Assurance": f"{folder}/assurance.md"},
            *(
                [
                    {
                        "Blast radius": [
                            {"Overview and ownership": f"{folder}/reach/index.md"},
                            *(
                                {
                                    nav_title(
                                        c.component
                                    ): f"{folder}/reach/{site.page[c.component]}.md"
                                }
                                for c in site.radius.components
                            ),
                        ]
                    }
                ]
                if site.radius is not None
                else []
            ),
            {
                "Components": [
                    {nav_title(cid): f"{folder}/components/{site.page[cid]}.md"}
                    for cid in site.model.components
                ]
            },
        ]
    }


def site_files(report: Report, *, svg: bool) -> dict[str, str | bytes]:
    """Return every file of the documentation site, keyed by path relative to the site root."""
    catalog: Catalog = report.threats
    standards = load_standards()
    docs: dict[str, str | bytes] = {}
    used = set(_RESERVED_SLUGS)
    systems: list[SystemSite] = []
    for loaded in report.sources:
        name = unique_name(slug(loaded.model.system.id or loaded.model.system.name), used)
        systems.append(SystemSite.of(loaded, report, name, standards))
    drawn = [pictures_of(s.slug, s.view, s.findings) for s in systems]
    if svg:
        laid = iter(lay_out([p for pictures in drawn for p in pictures]))
        drawn = [[next(laid) for _ in pictures] for pictures in drawn]
    mermaid = any(p.svg is None for pictures in drawn for p in pictures)
    navs = []
    for site, pictures in zip(systems, drawn):
        docs.update(system_files(site, pictures, svg))
        navs.append(system_nav(site, any(not p.path for p in pictures[1:])))
    docs["index.md"] = home_page(systems)
    docs["threats/index.md"] = catalog_index(catalog)
    for tid, compiled in catalog.threats.items():
        docs[f"threats/{tid}.md"] = threat_page(compiled)
    docs["standards.md"] = standards_page(catalog, report.findings, standards)
    nav: list[Any] = [
        {"Home": "index.md"},
        *navs,
        {
            "Threats": [
                {"Catalog": "threats/index.md"},
                *(
                    {nav_title(f"{tid} {c.threat.title}"): f"threats/{tid}.md"}
                    for tid, c in catalog.threats.items()
                ),
            ]
        },
        {"Standards": "standards.md"},
    ]
    docs[STYLESHEET] = admonition_css() + severity_css(".md-typeset .tmcode-sev") + "\n"
    docs.update(asset_files(mermaid))
    files: dict[str, str | bytes] = {f"docs/{k}": v for k, v in docs.items()}
    files["mkdocs.yml"] = mkdocs_yml(
        "Threat model" if len(systems) != 1 else f"Threat model: {systems[0].model.system.name}",
        nav,
        css=[SITE_CSS],
        scripts=([MERMAID] if mermaid else []) + [SCRIPT],
        polyfills=[SEARCH_SHIM],
    )
    return files
