"""Match a model against the catalog: findings with evidence, severity and verdict."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from tmcode import __version__
from tmcode._gc import gc_paused
from tmcode.catalog.conditions import EvalContext, Result
from tmcode.catalog.load import Catalog, CompiledThreat, DriftCheck
from tmcode.catalog.schema import ControlSet
from tmcode.graph import EGRESS_SCOPES, FlowGraph, flow_graph
from tmcode.model.address import SYSTEM_ADDRESS
from tmcode.model.elements import Model, RiskDecision
from tmcode.model.enums import Trust
from tmcode.model.index import ModelIndex
from tmcode.model.load import LoadedModel
from tmcode.report import (
    ControlSetState,
    DecisionRecord,
    EvidencePath,
    Finding,
    FindingLocation,
    Report,
    StaleDecision,
    Status,
    fingerprint,
    system_key,
    summarize,
    utc_today,
)
from tmcode.severity import SeverityFacts, rated

if TYPE_CHECKING:
    from tmcode.discover.facts import Discovery


class _Evaluation:
    """One model's evaluation: the conditions' context, the severity facts, shared states."""

    def __init__(self, ctx: EvalContext, severity: SeverityFacts) -> None:
        self.ctx = ctx
        self.severity = severity
        # The state of a control set none of whose controls is declared (the usual case).
        self.none_present: dict[int, ControlSetState] = {}

    @property
    def index(self) -> ModelIndex:
        """The model index."""
        return self.ctx.index


def _candidates(index: ModelIndex, compiled: CompiledThreat) -> list[str]:
    threat = compiled.threat
    if threat.target == "system":
        return [SYSTEM_ADDRESS]
    by_kind: Mapping[str, tuple[str, ...]]
    if threat.target == "component":
        by_kind, everything = index.components_by_kind, list(index.model.components)
    elif threat.target == "permission":
        by_kind, everything = index.permissions_by_target_kind, list(index.permissions)
    else:
        by_kind, everything = index.flows_by_kind, list(index.flows)
    if not threat.kinds:
        return everything
    return [key for kind in threat.kinds for key in by_kind.get(kind, ())]


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


_EMPTY: frozenset[str] = frozenset()
_UNTRUSTED = Trust.untrusted


def _none_present(run: _Evaluation, control_set: ControlSet) -> ControlSetState:
    """The shared state of a control set none of whose controls is declared (the usual case)."""
    state = run.none_present.get(id(control_set))
    if state is None:
        state = run.none_present[id(control_set)] = ControlSetState(
            all=control_set.all, present=[], planned=[], missing=control_set.all, satisfied=False
        )
    return state


def _subjects(index: ModelIndex, target: str) -> tuple[str, ...]:
    """The components a finding is about, which a control's ``covers`` is matched against."""
    flow = index.flows.get(target)
    if flow is not None:
        return (flow.from_, flow.to)
    entry = index.permissions.get(target)
    if entry is not None:
        return (entry.target,)
    return (target,) if target in index.model.components else ()


def _receivers(index: ModelIndex, target: str, elements: list[str]) -> list[str]:
    """Where a finding's output lands: each evidence flow leaving the target and its end.

    Also each evidence permission of the target that sends or reaches the network, and what it
    reaches; for a flow, the flow and its end; for a permission, the permission and its target.
    """
    flow = index.flows.get(target)
    if flow is not None:
        return [target, flow.to]
    entry = index.permissions.get(target)
    if entry is not None:
        return [target, entry.target]
    found: list[str] = []
    for address in elements:
        out = index.flows.get(address)
        if out is not None and out.from_ == target:
            found += [address, out.to]
            continue
        held = index.permissions.get(address)
        if (
            held is not None
            and held.agent == target
            and not EGRESS_SCOPES.isdisjoint(held.permission.scopes)
        ):
            found += [address, held.target]
    return found


def _control_states(
    run: _Evaluation,
    compiled: CompiledThreat,
    target: str,
    elements: list[str],
) -> list[ControlSetState]:
    """Each control set's state: the controls counted where docs/credit.md says they count."""
    index = run.index
    credited = index.credited  # only addresses where a control counts: most have none
    # Subjects are the target or on the evidence, so this finds every place a control counts.
    anything = target in credited or SYSTEM_ADDRESS in credited
    anything = anything or any(e in credited for e in elements)
    subjects: tuple[str, ...] | None = None
    present_on: dict[tuple[str, ...], tuple[dict[str, str], frozenset[str]]] = {}
    offered: dict[int, bool] = {}  # a `when` shared by several sets is tested once
    states = []
    for n, control_set in enumerate(compiled.threat.mitigations):
        applies = compiled.set_conditions[n]
        if applies is not None:
            holds = offered.get(id(applies))
            if holds is None:
                holds = offered[id(applies)] = applies.test(run.ctx, compiled.subject, target).ok
            if not holds:
                continue  # a set that does not block the harm here is not offered
        if not anything:
            states.append(_none_present(run, control_set))
            continue
        on = tuple(control_set.on)
        if on not in present_on:
            places: list[str] = []
            if "target" in on:
                places.append(target)
            if "subject" in on:
                if subjects is None:
                    subjects = _subjects(index, target)
                places += subjects
            passed: list[str] = []  # places a finding only passes through
            if "receiver" in on:
                passed += _receivers(index, target, elements)
            if "evidence" in on:
                passed += elements
            elif "path" in on:
                passed += [e for e in elements if e != target]
            # On the way, a control claimed for an untrusted component (the attacker's side:
            # a web page, the internet boundary) counts for nothing (docs/credit.md).
            places += [p for p in passed if p == target or index.trust.get(p) is not _UNTRUSTED]
            if "system" in on:
                places.append(SYSTEM_ADDRESS)
            implemented: dict[str, str] = {}
            planned: set[str] = set()
            for place in places:
                for control, declared_on in credited.get(place, ()):
                    if control.covers:
                        if subjects is None:
                            subjects = _subjects(index, target)
                        if not index.covers(control, subjects):
                            continue
                    if control.implemented:
                        implemented.setdefault(control.id, declared_on)
                    else:
                        planned.add(control.id)
            present_on[on] = (implemented, frozenset(planned) if planned else _EMPTY)
        where, planned_ids = present_on[on]
        if not where and not planned_ids:
            states.append(_none_present(run, control_set))
            continue
        present = [c for c in control_set.all if c in where]
        states.append(
            ControlSetState(
                all=control_set.all,
                present=present,
                planned=[c for c in control_set.all if c in planned_ids and c not in where],
                missing=[c for c in control_set.all if c not in where],
                satisfied=len(present) == len(control_set.all),
                declared_on={c: where[c] for c in present},
            )
        )
    return states


def _paths(target: str, frame: list[str], result: Result) -> list[EvidencePath]:
    """The result's labelled paths; first the target's own (a permission, a flow) if they miss it."""
    if not result.paths:
        return []
    paths = [EvidencePath(label, list(path)) for label, path in result.paths]
    shown = {e for path in result.paths for e in path}
    if len(frame) > 1 and not shown.issuperset(frame):
        paths.insert(0, EvidencePath(f"on `{target}`", frame))
    return paths


def _finding(
    run: _Evaluation, loaded: LoadedModel, compiled: CompiledThreat, target: str, result: Result
) -> Finding:
    threat = compiled.threat
    index = run.index
    flow = index.flows.get(target)
    entry = index.permissions.get(target)
    if flow is not None:
        frame = [flow.from_, target, flow.to]
    elif entry is not None:
        frame = [entry.agent, target, entry.target]
    else:
        frame = [] if target in result.evidence else [target]
    elements = _dedupe([*frame, *result.evidence])
    rating = run.severity.rate(threat.severity, target, elements)
    controls = _control_states(run, compiled, target, elements)
    mitigated = any(s.satisfied for s in controls)
    location = loaded.location(target)
    system = index.model.system
    message = threat.message.replace("{target}", target)
    return Finding(
        id=fingerprint(threat.id, target, system_key(system.id, system.name)),
        threat=threat.id,
        title=threat.title,
        severity=rating.severity,
        status=Status.mitigated if mitigated else Status.open,
        target=target,
        message=message,
        elements=elements,
        references=list(threat.references),
        controls=controls,
        assumptions=_dedupe([*result.assumptions, *rating.assumptions]),
        severity_factors=list(rating.factors),
        location=FindingLocation(file=location.file, line=location.line, column=location.column),
        system=system.id,
        decision=None,
        status_reason="",
        paths=_paths(target, frame, result),
        paths_left_out=result.left_out,
    )


def _apply_decisions(
    model: Model, loaded: LoadedModel, findings: list[Finding], today: dt.date
) -> tuple[list[Finding], list[StaleDecision]]:
    stale: list[StaleDecision] = []
    decided: dict[int, tuple[int, RiskDecision]] = {}
    by_target: dict[str, list[int]] = {}
    if model.decisions:
        for i, f in enumerate(findings):
            by_target.setdefault(f.target, []).append(i)
    for index, decision in enumerate(model.decisions):
        matched = False
        for i in by_target.get(decision.target, ()):
            f = findings[i]
            if decision.threat == f.threat or decision.threat in f.references:
                matched = True
                decided.setdefault(i, (index, decision))
        if not matched:
            location = loaded.location(f"decisions[{index}]")
            stale.append(
                StaleDecision(
                    threat=decision.threat,
                    target=decision.target,
                    status=decision.status.value,
                    file=location.file,
                    line=location.line,
                    reason="matches no finding: the threat no longer applies to the target, "
                    "or the decision names the wrong threat or target",
                )
            )
    updated = []
    for i, f in enumerate(findings):
        if i not in decided or f.status is Status.mitigated:
            updated.append(f)
            continue
        index, decision = decided[i]
        record = DecisionRecord(
            status=decision.status.value,
            reason=decision.reason,
            owner=decision.owner,
            expires=decision.expires.isoformat() if decision.expires else None,
            ticket=decision.ticket,
            index=index,
        )
        if decision.status.value == "false_positive":
            status, why = Status.false_positive, f"marked a false positive: {decision.reason}"
        elif decision.expires is not None and decision.expires < today:
            days = (today - decision.expires).days
            status = Status.expired
            why = (
                f"accepted by {decision.owner or 'an unnamed owner'} until "
                f"{decision.expires.isoformat()}; expired {days} day(s) ago — review the risk "
                "and renew or fix it"
            )
        else:
            status = Status.accepted
            why = f"accepted by {decision.owner or 'an unnamed owner'} until {decision.expires}: {decision.reason}"
        updated.append(replace(f, status=status, decision=record, status_reason=why))
    return updated, stale


def evaluate_model(
    loaded: LoadedModel,
    catalog: Catalog,
    *,
    today: dt.date,
    graph: FlowGraph | None = None,
    repository: Discovery | None = None,
) -> tuple[list[Finding], list[StaleDecision]]:
    """Evaluate every threat of the catalog on one model (and on the repository, if given)."""
    model = loaded.model
    index = loaded.index
    ctx = EvalContext(index, graph if graph is not None else flow_graph(model, index))
    run = _Evaluation(ctx, SeverityFacts(index))
    findings: list[Finding] = []
    for compiled in catalog.threats.values():
        if compiled.threat.target == "repository":
            if repository is not None:
                findings += _drift_findings(loaded, compiled, repository)
            continue
        # A conventional system (no AI component) is out of scope: AI rules stay silent.
        # Drift, above, still runs: a repository that wires in agents the model omits is news.
        if not index.has_ai:
            continue
        for target in _candidates(index, compiled):
            result = compiled.predicate.test(ctx, compiled.subject, target)
            if result.ok:
                findings.append(_finding(run, loaded, compiled, target, result))
    findings, stale = _apply_decisions(model, loaded, findings, today)
    findings.sort(key=lambda f: (-f.severity.rank, f.threat, f.target))
    return findings, stale


def _drift_findings(
    loaded: LoadedModel, compiled: CompiledThreat, repository: Discovery
) -> list[Finding]:
    from tmcode.discover.drift import CHECKS

    threat = compiled.threat
    system_id = loaded.model.system.id
    severity = rated(threat.severity)
    findings = []
    assert isinstance(compiled.predicate, DriftCheck)
    for drift in CHECKS[compiled.predicate.name](loaded, repository):
        file = drift.origin.file if drift.in_model else repository.path_of(drift.origin.file)
        findings.append(
            Finding(
                id=fingerprint(
                    threat.id, drift.target, system_key(system_id, loaded.model.system.name)
                ),
                threat=threat.id,
                title=threat.title,
                severity=severity,
                status=Status.open,
                target=drift.target,
                message=drift.message,
                elements=_dedupe([drift.target, *drift.elements]),
                references=list(threat.references),
                controls=[],
                assumptions=[],
                location=FindingLocation(file=file, line=drift.origin.line),
                system=system_id,
            )
        )
    return findings


def check(
    models: list[LoadedModel],
    catalog: Catalog,
    *,
    today: dt.date | None = None,
    repository: Discovery | None = None,
) -> Report:
    """Check one or more loaded models and return the report every renderer reads.

    With ``repository`` (what ``tmcode.discover`` read), drift threats compare each model
    with the repository's agent configuration too.
    """
    today = today or utc_today()
    findings: list[Finding] = []
    stale: list[StaleDecision] = []
    systems = []
    for loaded in models:
        with gc_paused():
            f, s = evaluate_model(loaded, catalog, today=today, repository=repository)
        findings += f
        stale += s
        systems.append(
            {
                "id": loaded.model.system.id,
                "name": loaded.model.system.name,
                "file": loaded.path,
                "summary": summarize(f),
            }
        )
    system = systems[0] if len(systems) == 1 else {"id": None, "name": f"{len(systems)} models"}
    return Report(
        tool={"name": "tmcode", "version": __version__},
        system={k: v for k, v in system.items() if k in ("id", "name")},
        systems=systems,
        summary={**summarize(findings), "stale_decisions": len(stale), "date": today.isoformat()},
        findings=findings,
        stale_decisions=stale,
        catalog={"threats": len(catalog.threats)},
        sources=tuple(models),
        threats=catalog,
        models=[model_inventory(loaded) for loaded in models],
        repository=None if repository is None else repository.inventory(),
    )


def model_inventory(loaded: LoadedModel) -> dict[str, object]:
    """The elements of a model by address, so that two reports can say what changed."""
    model = loaded.model
    return {
        "file": loaded.path,
        "system": {"id": model.system.id, "name": model.system.name},
        "components": {cid: c.kind for cid, c in model.components.items()},
        "flows": [flow.address for flow in model.flows],
        "permissions": {
            address: sorted(s.value for s in entry.permission.scopes)
            for address, entry in loaded.index.permissions.items()
        },
    }
