"""Control tests: `has_control`."""

from __future__ import annotations

from tmcode.catalog.conditions.core import (
    ANY,
    Call,
    EvalContext,
    Operator,
    Predicate,
    Result,
    Subject,
)
from tmcode.model.address import SYSTEM_ADDRESS


class HasControl(Predicate):
    """The subject element declares an implemented control."""

    def __init__(self, control: str) -> None:
        self.control = control

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        address = SYSTEM_ADDRESS if subject.type == "system" else key
        return Result(self.control in ctx.index.controls_on(address).implemented)


def _has_control(call: Call) -> Predicate:
    if not isinstance(call.arg, str):
        raise call.fail("`has_control` takes a control id")
    return HasControl(call.arg)


OPERATORS = (
    Operator(
        "has_control",
        ANY,
        "has_control: id",
        "the element itself declares the control, implemented",
        _has_control,
    ),
)
