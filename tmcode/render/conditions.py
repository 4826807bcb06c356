"""The reference page of the condition language, generated from the operator registry."""

from __future__ import annotations

import typing
from enum import Enum
from typing import Any

from tmcode.catalog.conditions import FAMILIES
from tmcode.catalog.conditions.attributes import DERIVED, TESTS
from tmcode.severity import MODIFIERS


def _type_name(annotation: Any) -> str:
    """A derived attribute's type in words."""
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        if isinstance(item, type) and issubclass(item, Enum):
            return "list of: " + ", ".join(f"`{m.value}`" for m in item)
        return "list of " + _type_name(item)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "one of " + ", ".join(f"`{m.value}`" for m in annotation)
    return {bool: "true or false", str: "text"}.get(annotation, str(annotation))


def conditions_page() -> str:
    """The operators, attribute tests, derived attributes and severity modifiers, as tables."""
    lines = [
        "# Conditions and severity modifiers",
        "",
        "A threat's `when:` is a condition: a mapping with exactly one key, the operator. "
        "`c` stands for a nested condition, tested on the element the operator names. "
        "Unknown operators, options and values are refused when the catalog loads. How to "
        "write a threat: [Writing custom threats](../writing-threats.md).",
        "",
        "## Operators",
        "",
        "| operator | family | applies to | written | true when |",
        "|---|---|---|---|---|",
    ]
    for family, operators in FAMILIES:
        for op in operators:
            lines.append(
                f"| `{op.name}` | {family} | {op.applies_to.describe()} | `{op.form}` "
                f"| {op.summary} |"
            )
    lines += [
        "",
        "Options left out take the defaults shown. The taint policy of `tainted` is described "
        "in [Taint](../writing-threats.md#taint).",
        "",
        "## Attribute tests",
        "",
        "`attr: {name: NAME, TEST: VALUE}` takes exactly one of these tests: "
        + ", ".join(f"`{t}`" for t in TESTS)
        + ". `eq`, `in` and `not_in` test single values; `contains` and `contains_any` lists; "
        "`at_least` and `at_most` ordered values (trust, classification); `is_set` whether the "
        "attribute is set at all. The attribute must exist on at least one of the subject's "
        "kinds; elements of other kinds fail the test. Values are checked against the "
        "attribute's type when the catalog loads.",
        "",
        "## Derived attributes",
        "",
        "Besides its declared attributes, an element has these, worked out from the model.",
        "",
        "| element | attribute | value | type |",
        "|---|---|---|---|",
    ]
    for subject, derived in DERIVED.items():
        for name, d in derived.items():
            lines.append(f"| {subject} | `{name}` | {d.summary} | {_type_name(d.type)} |")
    lines += [
        "",
        "## Severity modifiers",
        "",
        "Each modifier a threat names that holds for a finding raises or lowers likelihood or "
        "impact by one step; the finding lists it under `severity_factors`. A lowering modifier "
        "holds only on declared facts, never on an unset attribute's assumed value.",
        "",
        "| modifier | moves | when |",
        "|---|---|---|",
    ]
    for modifier, rule in MODIFIERS.items():
        lines.append(f"| `{modifier}` | {rule.moves} | {rule.summary} |")
    return "\n".join(lines) + "\n"
