"""Match a model against the catalog: findings with evidence, severity and verdict."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from tmcode import __version__
from tmcode._gc import gc_paused
from tmcode.catalog.load import Catalog, CompiledThreat
from tmcode.catalog.predicates import EvalContext, Result
from tmcode.catalog.schema import ControlSet
from tmcode.graph import FlowGraph, flow_graph
from tmcode.model.elements import Agent, ComponentBase, Model, User
from tmcode.model.enums import Classification
from tmcode.model.load import LoadedModel
from tmcode.model.address import SYSTEM_ADDRESS, permission_address
from tmcode.report import (
    ControlSetState,
    DecisionRecord,
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
from tmcode.severity import rated

if TYPE_CHECKING:
    from tmcode.discover.facts import Discovery

CONSEQUENTIAL = frozenset({"spend", "admin", "delete", "execute"})


def _candidates(ctx: EvalContext, compiled: CompiledThreat) -> list[str]:
    threat = compiled.threat
    if threat.target == "system":
        return [SYSTEM_ADDRESS]
    index, everything = {
        "component": (ctx.components_by_kind, ctx.model.components),
        "permission": (ctx.permissions_by_target_kind, ctx.permissions),
        "flow": (ctx.flows_by_kind, ctx.flows),
    }[threat.target]
    if not threat.kinds:
        return list(everything)
    return [key for kind in threat.kinds for key in index.get(kind, ())]


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _components_in(ctx: EvalContext, elements: list[str]) -> list[ComponentBase]:
    return [ctx.model.components[e] for e in elements if e in ctx.model.components]


def _agent_of(ctx: EvalContext, target: str) -> str | None:
    if target in ctx.model.components and isinstance(ctx.model.components[target], Agent):
        return target
    if target in ctx.permissions:
        return ctx.permissions[target][0]
    return None


def _hot_data(ctx: EvalContext) -> frozenset[str]:
    """Data assets that raise impact: restricted, or tagged secret or credentials (memoised)."""
    hot = ctx.cache.get("hot_data")
    if hot is None:
        hot = ctx.cache["hot_data"] = frozenset(
            did
            for did, d in ctx.model.data.items()
            if d.classification is Classification.restricted
            or {"secret", "credentials"} & set(d.tags)
        )
    return hot  # type: ignore[no-any-return]


def _modifiers(
    ctx: EvalContext, compiled: CompiledThreat, target: str, elements: list[str]
) -> tuple[int, int, list[str], list[str]]:
    """Return (likelihood delta, impact delta, factors, assumptions) from the model's facts."""
    model = ctx.model
    dl = di = 0
    factors: list[str] = []
    assumptions: list[str] = []
    wanted = compiled.threat.severity.modifiers
    if not wanted:
        return 0, 0, [], []
    if "sensitive_data" in wanted:
        hot = sorted({d for e in elements for d in ctx.data_of(e) if d in _hot_data(ctx)})
        if hot:
            di += 1
            factors.append("impact +1: restricted or secret data in reach (" + ", ".join(hot) + ")")
    agent = _agent_of(ctx, target)
    if "consequential_scopes" in wanted:
        addresses = [e for e in elements if e in ctx.permissions]
        if agent is not None and target == agent:
            addresses += ctx.by_agent.get(agent, [])
        elif target in ctx.permissions:
            addresses.append(target)
        scopes = sorted(
            {s.value for a in addresses for s in ctx.permissions[a][2].scopes} & CONSEQUENTIAL
        )
        if scopes:
            di += 1
            factors.append("impact +1: consequential scopes (" + ", ".join(scopes) + ")")
    if "autonomous" in wanted and agent is not None:
        component = model.components[agent]
        autonomy = component.autonomy or component.assumed("autonomy")
        if str(getattr(autonomy, "value", autonomy)) == "autonomous":
            dl += 1
            factors.append(f"likelihood +1: agent `{agent}` acts autonomously")
            if component.autonomy is None:
                assumptions.append(f"{agent}: `autonomy` is unset; assumed `autonomous`")
    if "internet_exposed" not in wanted and "public_audience" not in wanted:
        return dl, di, factors, assumptions
    components = _components_in(ctx, _dedupe([target, *elements]))
    if "internet_exposed" in wanted:
        exposed = [
            c for c in components if c.exposure is not None and c.exposure.value == "internet"
        ]
        if exposed:
            dl += 1
            factors.append("likelihood +1: reachable from the internet")
    if "public_audience" in wanted:
        public = [
            c
            for c in components
            if isinstance(c, User) and c.audience is not None and c.audience.value == "public"
        ]
        if public:
            dl += 1
            factors.append("likelihood +1: anonymous public users in the path")
    return dl, di, factors, assumptions


_EMPTY: frozenset[str] = frozenset()


def _controlled(ctx: EvalContext) -> frozenset[str]:
    """Addresses that declare any control at all (memoised): most elements declare none."""
    controlled = ctx.cache.get("controlled")
    if controlled is None:
        m = ctx.model
        addresses = [SYSTEM_ADDRESS] if m.system.controls else []
        addresses += [cid for cid, c in m.components.items() if c.controls]
        addresses += [f.address for f in m.flows if f.controls]
        addresses += [a for a, (_, _, p) in ctx.permissions.items() if p.controls]
        controlled = ctx.cache["controlled"] = frozenset(addresses)
    return controlled  # type: ignore[no-any-return]


def _none_present(ctx: EvalContext, control_set: ControlSet) -> ControlSetState:
    """The shared state of a control set none of whose controls is declared (the usual case)."""
    key = ("none_present", id(control_set))
    state = ctx.cache.get(key)
    if state is None:
        state = ctx.cache[key] = ControlSetState(
            all=control_set.all, present=[], planned=[], missing=control_set.all, satisfied=False
        )
    return state  # type: ignore[no-any-return]


def _control_states(
    ctx: EvalContext, sets: list[ControlSet], target: str, elements: list[str]
) -> list[ControlSetState]:
    present_on: dict[tuple[str, ...], tuple[frozenset[str], frozenset[str]]] = {}
    states = []
    for control_set in sets:
        on = tuple(control_set.on)
        if on not in present_on:
            places: list[str] = []
            if "target" in on:
                places.append(target)
            if "evidence" in on:
                places += elements
            if "system" in on:
                places.append(SYSTEM_ADDRESS)
            controlled = _controlled(ctx)
            found = [ctx.control_ids(place) for place in places if place in controlled]
            present_on[on] = (
                (
                    frozenset().union(*(d for d, _ in found)),
                    frozenset().union(*(p for _, p in found)),
                )
                if found
                else (_EMPTY, _EMPTY)
            )
        implemented, planned = present_on[on]
        if not implemented and not planned:
            states.append(_none_present(ctx, control_set))
            continue
        present = [c for c in control_set.all if c in implemented]
        states.append(
            ControlSetState(
                all=control_set.all,
                present=present,
                planned=[c for c in control_set.all if c in planned and c not in implemented],
                missing=[c for c in control_set.all if c not in implemented],
                satisfied=len(present) == len(control_set.all),
            )
        )
    return states


def _finding(
    ctx: EvalContext, loaded: LoadedModel, compiled: CompiledThreat, target: str, result: Result
) -> Finding:
    threat = compiled.threat
    if target in ctx.flows:
        frame = [ctx.flows[target].from_, target, ctx.flows[target].to]
    elif target in ctx.permissions:
        frame = [ctx.permissions[target][0], target, ctx.permissions[target][1]]
    else:
        frame = [] if target in result.evidence else [target]
    elements = _dedupe([*frame, *result.evidence])
    dl, di, factors, more = _modifiers(ctx, compiled, target, elements)
    severity = rated(threat.severity, dl, di)
    controls = _control_states(ctx, threat.mitigations, target, elements)
    mitigated = any(s.satisfied for s in controls)
    location = loaded.location(target)
    system_id = ctx.model.system.id
    message = threat.message.replace("{target}", target)
    return Finding(
        id=fingerprint(threat.id, target, system_key(system_id, ctx.model.system.name)),
        threat=threat.id,
        title=threat.title,
        severity=severity,
        status=Status.mitigated if mitigated else Status.open,
        target=target,
        message=message,
        elements=elements,
        references=list(threat.references),
        controls=controls,
        assumptions=_dedupe([*result.assumptions, *more]),
        severity_factors=factors,
        location=FindingLocation(file=location.file, line=location.line, column=location.column),
        system=system_id,
        decision=None,
        status_reason="",
    )


def _apply_decisions(
    model: Model, loaded: LoadedModel, findings: list[Finding], today: dt.date
) -> tuple[list[Finding], list[StaleDecision]]:
    stale: list[StaleDecision] = []
    decided: dict[int, tuple[int, object]] = {}
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
    ctx = EvalContext.build(model, graph if graph is not None else flow_graph(model))
    findings: list[Finding] = []
    for compiled in catalog.threats.values():
        if compiled.threat.target == "repository":
            if repository is not None:
                findings += _drift_findings(loaded, compiled, repository)
            continue
        for target in _candidates(ctx, compiled):
            result = compiled.predicate.test(ctx, compiled.subject, target)
            if result.ok:
                findings.append(_finding(ctx, loaded, compiled, target, result))
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
    for drift in CHECKS[compiled.predicate.name](loaded, repository):  # type: ignore[attr-defined]
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
            permission_address(a, t): sorted(s.value for s in p.scopes)
            for a, t, p in model.permissions()
        },
    }
