"""Boolean combinators: `all`, `any`, `not`."""

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


class All(Predicate):
    """Every part holds; the evidence of all of them."""

    def __init__(self, parts: list[Predicate]) -> None:
        self.parts = parts

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        evidence: list[str] = []
        assumptions: list[str] = []
        legs: list[Result] = []
        for part in self.parts:
            result = part.test(ctx, subject, key)
            assumptions += result.assumptions
            if not result.ok:
                return Result(False, (), tuple(assumptions))
            evidence += result.evidence
            legs.append(result)
        paths: tuple[tuple[str, tuple[str, ...]], ...] = ()
        if any(not leg.paths and len(leg.evidence) > 1 for leg in legs):
            # A chain of evidence with no labelled path (permissions held...): the labelled
            # paths would hide it, so the finding shows its whole evidence chain instead.
            return Result(True, tuple(evidence), tuple(assumptions))
        left_out = sum(leg.left_out for leg in legs)
        several = sum(1 for leg in legs if leg.paths) > 1
        for leg in legs:
            # Several legs (the trifecta's content, data and way out): one path each, so the
            # legs read apart; the other paths of each leg are counted.
            shown = leg.paths[:1] if several else leg.paths
            paths += shown
            left_out += len(leg.paths) - len(shown)
        return Result(True, tuple(evidence), tuple(assumptions), paths, left_out)


class Any_(Predicate):
    """The first part that holds; its evidence."""

    def __init__(self, parts: list[Predicate]) -> None:
        self.parts = parts

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        assumptions: list[str] = []
        for part in self.parts:
            result = part.test(ctx, subject, key)
            if result.ok:
                return Result(
                    True,
                    result.evidence,
                    tuple(assumptions) + result.assumptions,
                    result.paths,
                    result.left_out,
                )
            assumptions += result.assumptions
        return Result(False, (), tuple(assumptions))


class Not(Predicate):
    """The part does not hold; no evidence."""

    def __init__(self, part: Predicate) -> None:
        self.part = part

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        result = self.part.test(ctx, subject, key)
        return Result(not result.ok, (), result.assumptions)


def _parts(call: Call) -> list[Predicate]:
    if not isinstance(call.arg, list) or not call.arg:
        raise call.fail(f"`{call.op}` needs a non-empty list of conditions")
    return [call.sub(part, call.subject, i) for i, part in enumerate(call.arg)]


def _all(call: Call) -> Predicate:
    return All(_parts(call))


def _any(call: Call) -> Predicate:
    return Any_(_parts(call))


def _not(call: Call) -> Predicate:
    return Not(call.sub(call.arg, call.subject))


OPERATORS = (
    Operator("all", ANY, "all: [c, ...]", "every condition holds (the list is not empty)", _all),
    Operator("any", ANY, "any: [c, ...]", "at least one condition holds (not empty)", _any),
    Operator("not", ANY, "not: c", "the condition does not hold", _not),
)
