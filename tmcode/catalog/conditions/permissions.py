"""Permission tests: `has_permission`."""

from __future__ import annotations

from tmcode.catalog.conditions.core import (
    PERMISSION_SUBJECT,
    AppliesTo,
    Call,
    EvalContext,
    Operator,
    Predicate,
    Result,
    Subject,
    options,
)
from tmcode.model.elements import Agent, kinds_of


class HasPermission(Predicate):
    """The agent holds at least ``min`` permissions matching the inner predicate."""

    def __init__(self, where: Predicate | None, minimum: int) -> None:
        self.where = where
        self.minimum = minimum

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        evidence: list[str] = []
        assumptions: list[str] = []
        matched = 0
        permissions = ctx.index.permissions
        for address in ctx.index.permissions_of_agent.get(key, ()):
            if self.where is None:
                evidence.append(address)
                matched += 1
                continue
            result = self.where.test(ctx, PERMISSION_SUBJECT, address)
            assumptions += result.assumptions
            if result.ok:
                evidence += [address, permissions[address].target]
                matched += 1
        return Result(matched >= self.minimum, tuple(evidence), tuple(assumptions))


def _has_permission(call: Call) -> Predicate:
    opts = options(call, {"where": None, "min": 1})
    where = call.sub(opts["where"], PERMISSION_SUBJECT, "where") if opts["where"] else None
    if not isinstance(opts["min"], int) or opts["min"] < 1:
        raise call.fail("`min` is a whole number from 1", "min")
    return HasPermission(where, opts["min"])


AGENTS = AppliesTo(
    frozenset({"component"}),
    frozenset(kinds_of(Agent)),
    wrong_type="`{op}` applies to components, not a {subject}",
    wrong_kind="`{op}` applies to {kinds} only",
)

OPERATORS = (
    Operator(
        "has_permission",
        AGENTS,
        "has_permission: {where: c, min: 1}",
        "at least `min` of its permissions pass `c`",
        _has_permission,
    ),
)
