"""The condition language of threats: compiled once, checked against the model schema.

A condition is a small tree of single-key mappings (``all``, ``any``, ``not``, ``attr``, graph
tests). ``compile_condition`` looks each operator up in the registry (``OPERATORS``) and
compiles it to predicate objects, refusing anything it does not know — an unknown operator,
attribute, option or enum value — so that no rule can be silently dead. Evaluation never runs
code from the catalog: there is no ``eval`` anywhere. One module per operator family.
"""

from tmcode.catalog.conditions.core import (
    ConditionError,
    EvalContext,
    Operator,
    Predicate,
    Result,
    Subject,
)
from tmcode.catalog.conditions.registry import FAMILIES, OPERATORS, compile_condition

__all__ = [
    "FAMILIES",
    "OPERATORS",
    "ConditionError",
    "EvalContext",
    "Operator",
    "Predicate",
    "Result",
    "Subject",
    "compile_condition",
]
