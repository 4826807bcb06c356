"""Attribute tests (`attr`) and the derived attributes they can read besides declared ones."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from enum import Enum
from functools import cache
from typing import Any, Literal, NamedTuple, Union

from pydantic import BaseModel, TypeAdapter, ValidationError

from tmcode.catalog.conditions.core import (
    ANY,
    FALSE,
    SENSITIVE_TAGS,
    Call,
    ConditionError,
    EvalContext,
    Operator,
    Predicate,
    Result,
    Subject,
    SubjectType,
    plain,
    show,
)
from tmcode.model.elements import KIND_CLASSES, LLM, Flow, Permission, System
from tmcode.model.enums import Classification, PromptContent, Trust, _Ordered

# ---------------------------------------------------------------- derived attributes


def _trust(ctx: EvalContext, key: str) -> Any:
    return ctx.index.trust[key]


def _classification(ctx: EvalContext, key: str) -> Any:
    data = ctx.model.data
    levels = [data[d].classification for d in ctx.index.data_of(key) if d in data]
    return max(levels) if levels else None


def _tags(ctx: EvalContext, key: str) -> Any:
    data = ctx.model.data
    return sorted({t for d in ctx.index.data_of(key) if d in data for t in data[d].tags})


def _used_by_agent(ctx: EvalContext, key: str) -> Any:
    return key in ctx.index.agents_of_llm


def _prompt_contains(ctx: EvalContext, key: str) -> Any:
    prompt = getattr(ctx.model.components[key], "system_prompt", None)
    return [c.value for c in prompt.contains] if prompt is not None else []


def _trained_on_sensitive(ctx: EvalContext, key: str) -> Any:
    component = ctx.model.components[key]
    if not isinstance(component, LLM):
        return False
    tags = set(SENSITIVE_TAGS)
    return any(
        ctx.index.is_sensitive(ctx.index.data_of(d), Classification.confidential, tags)
        for d in component.trained_on
        if d in ctx.model.components
    )


def _used_for_training(ctx: EvalContext, key: str) -> Any:
    return key in ctx.index.trained_by


def _ephemeral(ctx: EvalContext, key: str) -> Any:
    return key in ctx.index.ephemeral


def _target_kind(ctx: EvalContext, key: str) -> Any:
    return ctx.model.components[ctx.index.permissions[key].target].kind


class Derived(NamedTuple):
    """An attribute worked out from the model rather than declared on the element."""

    compute: Callable[[EvalContext, str], Any]
    type: Any  # the annotation its values are checked against
    summary: str


_CLASSIFICATION = Derived(_classification, Classification, "the highest classification of its data")
_TAGS = Derived(_tags, list[str], "the tags of its data")
DERIVED: Mapping[SubjectType, Mapping[str, Derived]] = {
    "component": {
        "trust": Derived(_trust, Trust, "its own trust, else its boundary's"),
        "data_classification": _CLASSIFICATION,
        "data_tags": _TAGS,
        "used_by_agent": Derived(_used_by_agent, bool, "an agent uses it as its model"),
        "prompt_contains": Derived(
            _prompt_contains, list[PromptContent], "what its system prompt contains"
        ),
        "trained_on_sensitive": Derived(
            _trained_on_sensitive, bool, "a dataset it is trained on holds sensitive data"
        ),
        "used_for_training": Derived(_used_for_training, bool, "a model is trained on it"),
        "ephemeral": Derived(_ephemeral, bool, "it sits in a boundary declared `ephemeral: true`"),
    },
    "flow": {"data_classification": _CLASSIFICATION, "data_tags": _TAGS},
    "permission": {"target_kind": Derived(_target_kind, str, "the kind of its target")},
    "system": {},
}

# ---------------------------------------------------------------- attr


TESTS = ("eq", "in", "not_in", "contains", "contains_any", "at_least", "at_most", "is_set")


class Attr(Predicate):
    """Test one attribute of the subject, using its assumed value while it is unset."""

    def __init__(self, name: str, op: str, value: Any, derived: Derived | None) -> None:
        self.name = name
        self.op = op
        self.value = value
        self.derived = derived
        self._fields: dict[type, tuple[bool, Any]] = {}

    def _field(self, element: BaseModel) -> tuple[bool, Any]:
        """Return (whether the element's class has the attribute, its assumed value)."""
        cls = type(element)
        found = self._fields.get(cls)
        if found is None:
            info = cls.__pydantic_fields__.get(self.name)
            extra = info.json_schema_extra if info is not None else None
            assumed = extra.get("x-tmcode-assumed") if isinstance(extra, dict) else None
            found = self._fields[cls] = (info is not None, assumed)
        return found

    def test(self, ctx: EvalContext, subject: Subject, key: str) -> Result:
        assumptions: tuple[str, ...] = ()
        if self.derived is not None:
            actual = self.derived.compute(ctx, key)
        else:
            element = ctx.element(subject, key)
            has, assumed = self._field(element)
            if not has:
                return FALSE  # this kind has no such attribute
            actual = getattr(element, self.name)
            if self.op == "is_set":
                return Result((actual is not None) == self.value)
            if actual is None:
                actual = assumed
                if actual is None:
                    return FALSE
                shown = actual.value if isinstance(actual, Enum) else actual
                assumptions = (f"{key}: `{self.name}` is unset; assumed `{show(shown)}`",)
        if self.op == "is_set":
            return Result((actual is not None) == self.value)
        return Result(self._compare(actual), (), assumptions)

    def _compare(self, actual: Any) -> bool:
        # String enum members compare and hash as their values, so no conversion is needed.
        op, value = self.op, self.value
        if op == "eq":
            return bool(actual == value)
        if op == "in":
            return actual in value
        if op == "not_in":
            return actual not in value
        if op == "contains":
            return value in (actual or [])
        if op == "contains_any":
            return not value.isdisjoint(actual or ())
        if actual is None:
            return False
        if op == "at_least":
            return bool(actual >= value)
        return bool(actual <= value)


_ELEMENT_CLASSES: Mapping[str, type[BaseModel]] = {
    "permission": Permission,
    "flow": Flow,
    "system": System,
}


def _fields_for(subject: Subject) -> dict[str, Any]:
    """Return attribute name -> annotation for a subject type (common to all its kinds)."""
    fields: dict[str, Any] = {}
    if subject.type == "component":
        kinds = sorted(subject.kinds) if subject.kinds else list(KIND_CLASSES)
        for kind in kinds:
            for n, f in KIND_CLASSES[kind].model_fields.items():
                fields.setdefault(n, f.annotation)
    else:
        element = _ELEMENT_CLASSES[subject.type]
        fields = {n: f.annotation for n, f in element.model_fields.items()}
    fields.pop("controls", None)
    for name, derived in DERIVED[subject.type].items():
        fields[name] = derived.type
    return fields


def _element_type(annotation: Any) -> tuple[Any, bool]:
    """Unwrap Optional and list: return (element type, whether the attribute is a list)."""
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _element_type(args[0])
        if any(typing.get_origin(a) is list for a in args):
            return str, True
        return args[0], False
    if origin is list:
        return typing.get_args(annotation)[0], True
    if typing.get_origin(annotation) is typing.Annotated:
        return _element_type(typing.get_args(annotation)[0])
    return annotation, False


@cache
def _adapter(element: Any) -> TypeAdapter[Any]:
    """A validator for one attribute type, built once per type (building one costs ~0.1 ms)."""
    return TypeAdapter(element)


def _attr(call: Call) -> Predicate:
    arg, subject, loc = call.arg, call.subject, call.loc
    if not isinstance(arg, dict) or "name" not in arg:
        raise ConditionError(loc, "`attr` needs `name:` and one test such as `eq:`")
    name = arg["name"]
    tests = [k for k in arg if k != "name"]
    if len(tests) != 1 or tests[0] not in TESTS:
        raise ConditionError(loc, "`attr` takes exactly one test: " + ", ".join(TESTS))
    op = tests[0]
    value = arg[op]
    fields = _fields_for(subject)
    if name not in fields:
        raise call.fail(f"`{name}` is not an attribute of any {subject.describe()}", "name")
    derived = DERIVED[subject.type].get(name)
    element, is_list = _element_type(fields[name])
    if op == "is_set":
        if not isinstance(value, bool):
            raise call.fail("`is_set` takes true or false", op)
        if derived is not None:
            raise call.fail(f"`{name}` is always set", op)
        return Attr(name, op, value, None)
    if op in ("contains", "contains_any") and not is_list:
        raise call.fail(f"`{name}` is not a list; use `eq` or `in`", op)
    if op in ("eq", "in", "not_in", "at_least", "at_most") and is_list:
        raise call.fail(f"`{name}` is a list; use `contains` or `contains_any`", op)
    values = value if op in ("in", "not_in", "contains_any") else [value]
    if not isinstance(values, list) or not values:
        raise call.fail(f"`{op}` takes a non-empty list", op)
    if name == "kind" and subject.type == "component":
        element = Literal[tuple(sorted(subject.kinds or KIND_CLASSES))]
    adapter = _adapter(element)
    checked = []
    for v in values:
        try:
            checked.append(
                adapter.validate_python(v, strict=isinstance(v, bool) or element is bool)
            )
        except ValidationError:
            raise call.fail(f"`{v}` is not a valid value of `{name}`", op) from None
    if op in ("at_least", "at_most"):
        if not (isinstance(element, type) and issubclass(element, _Ordered)):
            raise call.fail(f"`{name}` has no order; use `eq` or `in`", op)
        return Attr(name, op, checked[0], derived)
    values = [plain(v) for v in checked]
    return Attr(
        name,
        op,
        frozenset(values) if op in ("in", "not_in", "contains_any") else values[0],
        derived,
    )


OPERATORS = (
    Operator(
        "attr",
        ANY,
        "attr: {name, <test>: value}",
        "the attribute passes the test: " + ", ".join(f"`{t}`" for t in TESTS),
        _attr,
    ),
)
