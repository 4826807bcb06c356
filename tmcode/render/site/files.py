"""Every file of the site, as a pure function of a finished report: {relative path: content}."""

from __future__ import annotations

from typing import Any

from tmcode.catalog.load import Catalog
from tmcode.render.palette import admonition_css
from tmcode.render.site.catalog import catalog_index, standards_page, threat_page
from tmcode.render.site.component import component_page
from tmcode.render.site.config import STYLESHEET, mkdocs_yml
from tmcode.render.site.context import SystemSite
from tmcode.render.site.controls import controls_page, lifecycle_page
from tmcode.render.site.decisions import decisions_page
from tmcode.render.site.diagrams import lay_out
from tmcode.render.site.findings import findings_page
from tmcode.render.site.inventory import inventory_page
from tmcode.render.site.markup import nav_title, slug, unique_name
from tmcode.render.site.overview import home_page, overview_page
from tmcode.render.site.permissions import permissions_page
from tmcode.report import Report

# Names a system's folder may not take: the site's own pages and folders.
_RESERVED_SLUGS = frozenset({"index", "threats", "standards", "assets"})


def system_files(site: SystemSite, svg: bool) -> dict[str, str | bytes]:
    """The pages of one system (and its diagram), keyed by path under docs/."""
    out: dict[str, str | bytes] = {}
    diagram = lay_out(site.view, svg)
    if diagram.svg is not None:
        out[f"assets/{site.slug}.svg"] = diagram.svg
    folder = site.slug
    out[f"{folder}/index.md"] = overview_page(site, diagram)
    out[f"{folder}/inventory.md"] = inventory_page(site)
    out[f"{folder}/permissions.md"] = permissions_page(site)
    out[f"{folder}/findings.md"] = findings_page(site)
    out[f"{folder}/controls.md"] = controls_page(site)
    out[f"{folder}/decisions.md"] = decisions_page(site)
    out[f"{folder}/lifecycle.md"] = lifecycle_page(site)
    for cid in site.model.components:
        out[f"{folder}/components/{site.page[cid]}.md"] = component_page(site, cid)
    return out


def system_nav(site: SystemSite) -> dict[str, Any]:
    """The navigation section of one system."""
    folder = site.slug
    return {
        nav_title(site.model.system.name): [
            {"Overview": f"{folder}/index.md"},
            {"Inventory": f"{folder}/inventory.md"},
            {"Tool permissions": f"{folder}/permissions.md"},
            {"Findings": f"{folder}/findings.md"},
            {"Controls": f"{folder}/controls.md"},
            {"Decisions": f"{folder}/decisions.md"},
            {"Lifecycle": f"{folder}/lifecycle.md"},
            {
                "Components": [
                    {cid: f"{folder}/components/{site.page[cid]}.md"}
                    for cid in site.model.components
                ]
            },
        ]
    }


def site_files(report: Report, *, svg: bool) -> dict[str, str | bytes]:
    """Return every file of the documentation site, keyed by path relative to the site root."""
    catalog: Catalog = report.threats
    docs: dict[str, str | bytes] = {}
    used = set(_RESERVED_SLUGS)
    systems = []
    for loaded in report.sources:
        name = unique_name(slug(loaded.model.system.id or loaded.model.system.name), used)
        site = SystemSite.of(loaded, report, name)
        docs.update(system_files(site, svg))
        systems.append(site)
    docs["index.md"] = home_page(systems)
    docs["threats/index.md"] = catalog_index(catalog)
    for tid, compiled in catalog.threats.items():
        docs[f"threats/{tid}.md"] = threat_page(compiled)
    docs["standards.md"] = standards_page(catalog, report.findings)
    nav: list[Any] = [
        {"Home": "index.md"},
        *(system_nav(s) for s in systems),
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
