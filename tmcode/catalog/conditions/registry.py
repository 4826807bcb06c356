"""The operator registry: every operator by name, and the compiler that looks them up."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from tmcode.catalog.conditions import (
    attributes,
    boolean,
    controls,
    data,
    permissions,
    reach,
    relations,
    trust,
)
from tmcode.catalog.conditions.core import Call, ConditionError, Loc, Operator, Predicate, Subject

# Operator families in the order the docs list them.
FAMILIES = (
    ("boolean", boolean.OPERATORS),
    ("attributes", attributes.OPERATORS),
    ("controls", controls.OPERATORS),
    ("relations", relations.OPERATORS),
    ("permissions", permissions.OPERATORS),
    ("reach", reach.OPERATORS),
    ("data", data.OPERATORS),
    ("trust", trust.OPERATORS),
)


def _table(families: Iterable[tuple[str, tuple[Operator, ...]]]) -> Mapping[str, Operator]:
    table: dict[str, Operator] = {}
    for _, operators in families:
        for operator in operators:
            if operator.name in table:
                raise ValueError(f"operator `{operator.name}` is registered twice")
            table[operator.name] = operator
    return MappingProxyType(table)


OPERATORS: Mapping[str, Operator] = _table(FAMILIES)


def _one_key(raw: Any, loc: Loc) -> tuple[str, Any]:
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ConditionError(loc, "each condition is a mapping with exactly one operator")
    ((key, value),) = raw.items()
    return str(key), value


def compile_condition(raw: Any, subject: Subject, loc: Loc = ()) -> Predicate:
    """Compile a condition for a subject type, or raise ConditionError at its location."""
    name, arg = _one_key(raw, loc)
    here = (*loc, name)
    operator = OPERATORS.get(name)
    if operator is None:
        raise ConditionError(here, f"unknown operator `{name}`")
    operator.applies_to.check(name, subject, here)
    return operator.compile(Call(name, arg, subject, here, compile_condition))
