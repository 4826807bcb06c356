"""Relations: test a related element instead of the subject (`agent:`, `tool:`, `model:` …)."""

from __future__ import annotations

from collections.abc import Callable

from tmcode.catalog.conditions.core import (
    ANY,
    COMPONENT_SUBJECT,
    FALSE,
    SYSTEM_SUBJECT,
    AppliesTo,
    Call,
    EvalContext,
    Operator,
    Predicate,
    Result,
    Subject,
)
from tmcode.model.address import SYSTEM_ADDRESS
from tmcode.model.elements import LLM, Agent, kinds_of

# The related element of a subject key, or None when it has none.
Related = Callable[[EvalContext, str], str | None]


class Switch(Predicate):
    """Evaluate the inner predicate on a related element (the agent, the tool, the model...)."""

    def __init__(
        self, related: Related, inner: Predicate, inner_subject: Subject, cite: bool
    ) -> None:
        self.related = related
        self.inner = inner
        self.inner_subject = inner_subject
        self.cite = cite  # name the related element first in the evidence

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        other = self.related(ctx, key)
        if other is None:
            return FALSE
        result = self.inner.test(ctx, self.inner_subject, other)
        if result.ok and self.cite:
            return Result(
                True, (other, *result.evidence), result.assumptions, result.paths, result.left_out
            )
        return result


def _system(ctx: EvalContext, key: str) -> str | None:
    return SYSTEM_ADDRESS


def _agent(ctx: EvalContext, key: str) -> str | None:
    return ctx.index.permissions[key].agent


def _tool(ctx: EvalContext, key: str) -> str | None:
    return ctx.index.permissions[key].target


def _model(ctx: EvalContext, key: str) -> str | None:
    component = ctx.model.components[key]
    return component.model if isinstance(component, Agent) else None


def _from(ctx: EvalContext, key: str) -> str | None:
    return ctx.index.flows[key].from_


def _to(ctx: EvalContext, key: str) -> str | None:
    return ctx.index.flows[key].to


def _switch(related: Related, inner: Subject, cite: bool = True) -> Callable[[Call], Predicate]:
    def compile_switch(call: Call) -> Predicate:
        return Switch(related, call.sub(call.arg, inner), inner, cite)

    return compile_switch


def _compile_tool(call: Call) -> Predicate:
    # A permission threat limited to some target kinds tests its tool as one of those kinds.
    inner = Subject("component", call.subject.kinds) if call.subject.kinds else COMPONENT_SUBJECT
    return _switch(_tool, inner)(call)


_AGENTS = frozenset(kinds_of(Agent))
_LLMS = frozenset(kinds_of(LLM))


def _of(needs: str) -> str:
    return "`{op}` applies to a " + needs + ", not a {subject}"


PERMISSIONS = AppliesTo(frozenset({"permission"}), wrong_type=_of("permission"))
FLOWS = AppliesTo(frozenset({"flow"}), wrong_type=_of("flow"))
AGENTS = AppliesTo(
    frozenset({"component"}),
    _AGENTS,
    wrong_type=_of("component"),
    wrong_kind="`{op}` applies to agents only (set kinds: [agent])",
)

OPERATORS = (
    Operator(
        "system", ANY, "system: c", "the system passes `c`", _switch(_system, SYSTEM_SUBJECT, False)
    ),
    Operator(
        "agent",
        PERMISSIONS,
        "agent: c",
        "the permission's agent passes `c`",
        _switch(_agent, Subject("component", _AGENTS)),
    ),
    Operator("tool", PERMISSIONS, "tool: c", "the permission's target passes `c`", _compile_tool),
    Operator(
        "model",
        AGENTS,
        "model: c",
        "the agent's LLM passes `c`",
        _switch(_model, Subject("component", _LLMS)),
    ),
    Operator(
        "from", FLOWS, "from: c", "the flow's source passes `c`", _switch(_from, COMPONENT_SUBJECT)
    ),
    Operator(
        "to", FLOWS, "to: c", "the flow's destination passes `c`", _switch(_to, COMPONENT_SUBJECT)
    ),
)
