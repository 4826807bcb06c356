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
from tmcode.report import PATHS_SHOWN


class HasPermission(Predicate):
    """The agent holds at least ``min`` permissions matching the inner predicate."""

    def __init__(self, where: Predicate | None, minimum: int) -> None:
        self.where = where
        self.minimum = minimum

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        evidence: list[str] = []
        assumptions: list[str] = []
        # Each permission is its own labelled path: joined into one chain they would read as
        # if data ran from one tool into the next.
        paths: list[tuple[str, tuple[str, ...]]] = []
        matched = 0
        permissions = ctx.index.permissions
        for address in ctx.index.permissions_of_agent.get(key, ()):
            if self.where is not None:
                result = self.where.test(ctx, PERMISSION_SUBJECT, address)
                assumptions += result.assumptions
                if not result.ok:
                    continue
                evidence += [address, permissions[address].target]
            else:
                evidence.append(address)
            matched += 1
            if len(paths) < PATHS_SHOWN:
                paths.append(("permission held", (key, address, permissions[address].target)))
        if matched < self.minimum:
            return Result(False, tuple(evidence), tuple(assumptions))
        return Result(True, tuple(evidence), tuple(assumptions), tuple(paths), matched - len(paths))


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
