"""Trust tests: `crosses_trust`."""

from __future__ import annotations

from tmcode.catalog.conditions.core import (
    AppliesTo,
    Call,
    EvalContext,
    Operator,
    Predicate,
    Result,
    Subject,
)


class CrossesTrust(Predicate):
    """The flow moves data from a less to a more trusted component (or the reverse)."""

    def __init__(self, raising: bool) -> None:
        self.raising = raising

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        flow = ctx.index.flows[key]
        low, high = ctx.index.trust[flow.from_], ctx.index.trust[flow.to]
        return Result(low < high if self.raising else low > high)


def _crosses_trust(call: Call) -> Predicate:
    if call.arg not in ("raising", "lowering"):
        raise call.fail("`crosses_trust` is `raising` or `lowering`")
    return CrossesTrust(call.arg == "raising")


FLOWS = AppliesTo(frozenset({"flow"}), wrong_type="`{op}` applies to flows")

OPERATORS = (
    Operator(
        "crosses_trust",
        FLOWS,
        "crosses_trust: raising",
        "it moves data to a more (`raising`) or less (`lowering`) trusted component",
        _crosses_trust,
    ),
)
