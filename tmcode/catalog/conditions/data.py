"""Data tests: `data` (the element's own stored, contained or carried data)."""

from __future__ import annotations

from tmcode.catalog.conditions.core import (
    SENSITIVE_TAGS,
    AppliesTo,
    Call,
    EvalContext,
    Operator,
    Predicate,
    Result,
    Subject,
    classification_option,
    options,
)
from tmcode.model.enums import Classification


class DataTest(Predicate):
    """The subject's own data (stored, contained or carried) is sensitive."""

    def __init__(self, at_least: Classification | None, tags: frozenset[str]) -> None:
        self.at_least = at_least
        self.tags = tags

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        held = ctx.index.data_of(key)
        return Result(bool(held) and ctx.index.is_sensitive(held, self.at_least, self.tags))


def _data(call: Call) -> Predicate:
    opts = options(call, {"at_least": "confidential", "tags": list(SENSITIVE_TAGS)})
    level = classification_option(call, "at_least", opts["at_least"])
    return DataTest(level, frozenset(opts["tags"]))


COMPONENTS_AND_FLOWS = AppliesTo(
    frozenset({"component", "flow"}),
    wrong_type="`{op}` applies to components and flows, not a {subject}",
)

OPERATORS = (
    Operator(
        "data",
        COMPONENTS_AND_FLOWS,
        "data: {at_least: confidential, tags: [...]}",
        "its own stored, contained or carried data is sensitive (`at_least: null` tests tags only)",
        _data,
    ),
)
