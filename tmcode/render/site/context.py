"""What every page of one system reads: the model, its index, its findings, page names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from tmcode.catalog.coverage import StandardList
from tmcode.catalog.load import Catalog
from tmcode.model.address import finding_owner
from tmcode.model.elements import Model
from tmcode.model.index import ModelIndex
from tmcode.model.load import LoadedModel
from tmcode.reach.values import BlastRadius
from tmcode.render.diagram import SystemView, build_view
from tmcode.render.site.markup import unique_name
from tmcode.report import Finding, Report


@dataclass(frozen=True)
class SystemSite:
    """One system's share of the site: its model, findings, folder and diagram view."""

    loaded: LoadedModel
    report: Report
    findings: tuple[Finding, ...]
    summary: dict[str, Any]
    slug: str
    page: Mapping[str, str]
    by_component: Mapping[str, tuple[Finding, ...]]
    view: SystemView
    standards: Mapping[str, StandardList] = field(default_factory=dict)
    radius: BlastRadius | None = None  # the report's blast radius of this model, when computed

    @classmethod
    def of(
        cls, loaded: LoadedModel, report: Report, slug: str, standards: Mapping[str, StandardList]
    ) -> SystemSite:
        """Gather what the pages of the system at ``loaded`` need."""
        model = loaded.model
        findings = report.findings_of(loaded.path)
        # Ids differ, but may differ only in case; `index` is each folder's own overview page.
        used: set[str] = {"index"}
        page = {cid: unique_name(cid, used) for cid in model.components}
        by_component: dict[str, list[Finding]] = {}
        for f in findings:
            owner = finding_owner(f.target, f.elements, model.components)
            if owner is not None:
                by_component.setdefault(owner, []).append(f)
        return cls(
            loaded,
            report,
            tuple(findings),
            report.summary_of(loaded.path),
            slug,
            MappingProxyType(page),
            MappingProxyType({k: tuple(v) for k, v in by_component.items()}),
            build_view(loaded, findings),
            standards,
            next((r for r in report.reach or () if r.file == loaded.path), None),
        )

    @property
    def model(self) -> Model:
        """The system's model."""
        return self.loaded.model

    @property
    def index(self) -> ModelIndex:
        """The model's index: controls, data and permissions per address."""
        return self.loaded.index

    @property
    def catalog(self) -> Catalog:
        """The catalog the findings were matched against."""
        catalog: Catalog = self.report.threats
        return catalog


def finding_page(f: Finding) -> str:
    """The page of a finding, relative to its system's folder."""
    return f"findings/{f.id}.md"
