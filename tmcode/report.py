"""Findings and reports: the values every renderer and the exit policy read."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import TYPE_CHECKING, Any

from tmcode.model.enums import _Ordered

if TYPE_CHECKING:
    from tmcode.catalog.load import Catalog
    from tmcode.model.load import LoadedModel
    from tmcode.reach.values import BlastRadius

SCHEMA_VERSION = "1.0"


class Severity(_Ordered):
    """How bad a finding is, least first."""

    info = "info"
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class Status(str, Enum):
    """Where a finding stands."""

    open = "open"
    mitigated = "mitigated"
    accepted = "accepted"
    false_positive = "false_positive"
    expired = "expired"


GATING_STATUSES = frozenset({Status.open, Status.expired})

# How a finding compares with a baseline (`Finding.change`), worst first. The first three are
# what `--fail-on-new` gates on: open now and not open before, or open with a higher severity.
CHANGES = (
    "new",
    "regressed",
    "severity_raised",
    "accepted",
    "fixed",
    "severity_lowered",
    "new_mitigated",
    "unchanged",
)
GATE_CHANGES = frozenset(CHANGES[:3])


@dataclass(frozen=True, slots=True)
class ControlSetState:
    """One set of controls that would mitigate a finding, and which of them are present."""

    all: list[str]
    present: list[str]
    planned: list[str]
    missing: list[str]
    satisfied: bool
    # Where each present control is written: the address of the element, boundary or system.
    declared_on: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EvidencePath:
    """One labelled evidence path of a finding: what it shows, and its elements in flow order."""

    label: str
    elements: list[str]


# Labelled paths given per reachability test (`tmcode.catalog.conditions.reach.PATH_LIMIT`)
# and origins followed per component (`tmcode.graph.ORIGIN_LIMIT`): a count of sources left
# out that reaches their difference may be a lower bound.
PATHS_SHOWN = 5
MORE_SOURCES_CAP = 15


@dataclass(frozen=True, slots=True)
class FindingLocation:
    """Where the finding's target is written."""

    file: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """The risk decision that applies to a finding."""

    status: str
    reason: str
    owner: str | None
    expires: str | None
    ticket: str | None
    index: int


@dataclass(frozen=True, slots=True)
class Finding:
    """One threat applying to one target, with the evidence and the verdict."""

    id: str
    threat: str
    title: str
    severity: Severity
    status: Status
    target: str
    message: str
    elements: list[str]
    references: list[str]
    controls: list[ControlSetState]
    assumptions: list[str]
    location: FindingLocation
    severity_factors: list[str] = field(default_factory=list)
    system: str | None = None
    decision: DecisionRecord | None = None
    status_reason: str = ""
    change: str | None = None  # with a baseline: one of CHANGES (see tmcode.baseline)
    # Every labelled path of the evidence (the primary first), when the rule's evidence is
    # made of paths; empty when `elements` is the whole story.
    paths: list[EvidencePath] = field(default_factory=list)
    paths_left_out: int = 0  # further distinct sources found and not given as paths


@dataclass(frozen=True, slots=True)
class StaleDecision:
    """A decision in the model that matches no finding."""

    threat: str
    target: str
    status: str
    file: str
    line: int | None
    reason: str


def _no_catalog() -> Catalog:
    """The catalog of a report built by hand: no threats, no controls."""
    from tmcode.catalog.load import Catalog

    return Catalog()


@dataclass(frozen=True, slots=True)
class Report:
    """The result of checking one or more models against the catalog."""

    tool: dict[str, str]
    system: dict[str, Any]
    summary: dict[str, Any]
    findings: list[Finding]
    systems: list[dict[str, Any]] = field(default_factory=list)
    stale_decisions: list[StaleDecision] = field(default_factory=list)
    catalog: dict[str, Any] = field(default_factory=dict)
    schema_version: str = SCHEMA_VERSION
    models: list[dict[str, Any]] = field(default_factory=list)
    baseline: dict[str, Any] | None = None
    # What `check --discover` read from the repository; None when drift was not checked.
    repository: dict[str, Any] | None = None
    # The blast radius of each model, when asked for (``check --reach``, the site); else None.
    reach: list[BlastRadius] | None = None
    # What the findings were computed from, for renderers; never serialised.
    sources: tuple[LoadedModel, ...] = field(default=(), compare=False, repr=False)
    threats: Catalog = field(default_factory=_no_catalog, compare=False, repr=False)

    def findings_of(self, path: str) -> list[Finding]:
        """Return the findings of the model loaded from ``path``."""
        return [f for f in self.findings if f.location.file == path]

    def summary_of(self, path: str) -> dict[str, Any]:
        """Return the counts of the model loaded from ``path`` (computed once, by the engine)."""
        for system in self.systems:
            if system.get("file") == path and "summary" in system:
                counts: dict[str, Any] = system["summary"]
                return counts
        return summarize(self.findings_of(path))


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value


def finding_to_dict(f: Finding) -> dict[str, Any]:
    """Return one finding as plain JSON-ready data (written out field by field: it is hot)."""
    d = f.decision
    return {
        "id": f.id,
        "threat": f.threat,
        "title": f.title,
        "severity": f.severity.value,
        "status": f.status.value,
        "target": f.target,
        "message": f.message,
        "elements": f.elements,
        "references": f.references,
        "controls": [
            {
                "all": c.all,
                "present": c.present,
                "planned": c.planned,
                "missing": c.missing,
                "satisfied": c.satisfied,
                "declared_on": c.declared_on,
            }
            for c in f.controls
        ],
        "assumptions": f.assumptions,
        "location": {"file": f.location.file, "line": f.location.line, "column": f.location.column},
        "severity_factors": f.severity_factors,
        "system": f.system,
        "decision": None
        if d is None
        else {
            "status": d.status,
            "reason": d.reason,
            "owner": d.owner,
            "expires": d.expires,
            "ticket": d.ticket,
            "index": d.index,
        },
        "status_reason": f.status_reason,
        "change": f.change,
        "paths": [{"label": p.label, "elements": p.elements} for p in f.paths],
        "paths_left_out": f.paths_left_out,
    }


def report_to_dict(report: Report) -> dict[str, Any]:
    """Return the report as plain JSON-ready data, in the contract's key order."""
    # `models` is plain data already (and large): it needs no conversion.
    data = {
        f.name: _plain(getattr(report, f.name))
        for f in fields(report)
        if f.compare and f.name not in ("findings", "models")
    }
    data["models"] = report.models
    data["findings"] = [finding_to_dict(f) for f in report.findings]
    order = [
        "schema_version",
        "tool",
        "system",
        "systems",
        "summary",
        "findings",
        "stale_decisions",
        "baseline",
        "models",
        "catalog",
    ]
    if report.repository is not None:
        order.append("repository")
    if report.reach is not None:
        order.append("reach")
    return {key: data[key] for key in order}


def utc_today() -> dt.date:
    """The date expiry is judged on when no date is given: today in UTC, whatever the runner's zone."""
    return dt.datetime.now(dt.timezone.utc).date()


def system_key(system_id: str | None, name: str) -> str:
    """Return what tells systems apart in fingerprints: the id, else the name (never an id)."""
    # Ids cannot contain ':', so a name can never pose as another system's id.
    return system_id or f"name:{name}"


def fingerprint(threat: str, target: str, system: str) -> str:
    """Return a finding's stable id: the same across runs, key orders and line moves.

    ``system`` is the :func:`system_key` of the finding's system, so two systems that reuse
    component ids never share a fingerprint.
    """
    text = "\x1f".join([threat, target, system])
    return "tmc-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def summarize(findings: list[Finding]) -> dict[str, Any]:
    """Count findings by severity and status: the only place findings are counted.

    ``open_by_severity`` counts what can fail the gate (open and expired);
    ``by_severity_and_status`` splits each severity by status, so a renderer never recounts.
    """
    by_severity = {s.value: 0 for s in reversed(list(Severity))}
    by_status = {s.value: 0 for s in Status}
    open_by_severity = {s.value: 0 for s in reversed(list(Severity))}
    matrix = {sev: {st.value: 0 for st in Status} for sev in by_severity}
    for f in findings:
        by_severity[f.severity.value] += 1
        by_status[f.status.value] += 1
        matrix[f.severity.value][f.status.value] += 1
        if f.status in GATING_STATUSES:
            open_by_severity[f.severity.value] += 1
    return {
        "total": len(findings),
        "by_severity": by_severity,
        "by_status": by_status,
        "open_by_severity": open_by_severity,
        "by_severity_and_status": matrix,
    }


class FailOn(str, Enum):
    """The lowest severity that fails the gate, or none."""

    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
    none = "none"


def gate_failures(
    findings: list[Finding], fail_on: FailOn, *, only_new: bool = False
) -> list[Finding]:
    """Return the findings that fail the gate: open or expired, at or above ``fail_on``.

    With ``only_new``, only findings a baseline comparison labelled new, regressed or
    severity raised (``GATE_CHANGES``) can fail it.
    """
    if fail_on is FailOn.none:
        return []
    threshold = Severity(fail_on.value)
    return [
        f
        for f in findings
        if f.status in GATING_STATUSES
        and f.severity >= threshold
        and (not only_new or f.change in GATE_CHANGES)
    ]


def exit_code(report: Report, fail_on: FailOn, *, only_new: bool = False) -> int:
    """The exit policy: 1 when a finding fails the gate, else 0 (errors exit 2 elsewhere)."""
    return 1 if gate_failures(report.findings, fail_on, only_new=only_new) else 0
