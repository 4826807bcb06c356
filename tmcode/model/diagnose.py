"""Turn pydantic validation errors into problems a person can act on."""

from __future__ import annotations

import bisect
import difflib
from collections.abc import Callable, Collection, Iterable
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from tmcode.errors import Problem
from tmcode.model.elements import KIND_CLASSES, ComponentBase, ControlRef, Model, Permission
from tmcode.model.yaml_reader import Mapping, position


def closest(word: object, choices: Iterable[str]) -> str | None:
    """Return the choice closest to ``word``, or None when none is close."""
    matches = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """Return ``did you mean `x`?`` for the closest choice, or an empty string."""
    match = closest(word, choices)
    return f"did you mean `{match}`?" if match is not None else ""


class Suggester:
    """``did you mean`` for the first ``budget`` unknown names, in bounded work per name.

    A pool of at most ``small`` ids is searched whole by difflib; a larger one only at the
    ``near`` neighbours of the name in the pool sorted forwards and sorted by reversed id (a
    typo leaves either the start or the end of an id intact). Past the budget, names get no
    suggestion: only the first hundred problems are shown anyway.
    """

    def __init__(self, budget: int = 100, small: int = 500, near: int = 8) -> None:
        self._budget = budget
        self._small = small
        self._near = near
        self._sorted: dict[int, tuple[Collection[str], list[str], list[str]]] = {}

    def __call__(self, word: str, pool: Collection[str]) -> str:
        if not pool or self._budget <= 0:
            return ""
        self._budget -= 1
        if len(pool) <= self._small:
            return did_you_mean(word, pool)
        key = id(pool)
        if key not in self._sorted:  # the pool is kept with its index, so its id stays its own
            ids = sorted(pool)
            self._sorted[key] = (pool, ids, sorted(i[::-1] for i in ids))
        _, forwards, backwards = self._sorted[key]
        near: set[str] = set()
        for ordered, probe, turn in ((forwards, word, False), (backwards, word[::-1], True)):
            at = bisect.bisect_left(ordered, probe)
            for found in ordered[max(0, at - self._near) : at + self._near]:
                near.add(found[::-1] if turn else found)
        return did_you_mean(word, sorted(near))


def describe(loc: tuple[Any, ...], raw: Any) -> str:
    """Name the element a pydantic location points into, as a reader would."""
    if not loc:
        return "the model"
    head = loc[0]
    if head == "components" and len(loc) > 1:
        text = f"component `{loc[1]}`"
        rest = list(loc[2:])
        if len(rest) >= 2 and rest[0] == "tools":
            text += f", permission on `{rest[1]}`"
            rest = rest[2:]
        return text + _field_path(rest)
    if head == "flows" and len(loc) > 1 and isinstance(loc[1], int):
        return f"flow {loc[1] + 1}{_flow_name(raw, loc[1])}" + _field_path(loc[2:])
    if head == "decisions" and len(loc) > 1 and isinstance(loc[1], int):
        return f"decision {loc[1] + 1}" + _field_path(loc[2:])
    if head in ("boundaries", "data") and len(loc) > 1:
        noun = "boundary" if head == "boundaries" else "data asset"
        return f"{noun} `{loc[1]}`" + _field_path(loc[2:])
    return "`" + ".".join(str(p) for p in loc) + "`"


def _field_path(rest: Iterable[Any]) -> str:
    parts = [str(p) for p in rest if p != "[key]" and not isinstance(p, int)]
    return f", key `{'.'.join(parts)}`" if parts else ""


def _flow_name(raw: Any, index: int) -> str:
    try:
        flow = raw["flows"][index]
        return f" (`{flow.get('id') or str(flow.get('from')) + '->' + str(flow.get('to'))}`)"
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""


def _strip_tag(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    if len(loc) > 2 and loc[0] == "components" and loc[2] in KIND_CLASSES:
        return loc[:2] + loc[3:]
    return loc


def _owner_class(loc: tuple[Any, ...], raw: Any) -> type[BaseModel] | None:
    """Find the model class whose keys apply at ``loc``, walking the field types from Model."""
    node: Any = Model
    for depth, part in enumerate(loc):
        node = _concrete(node, loc[:depth], raw)
        if isinstance(node, type) and issubclass(node, BaseModel):
            node = _field_type(node, part)
        elif get_origin(node) is list and isinstance(part, int):
            node = get_args(node)[0]
        elif get_origin(node) is dict:
            node = get_args(node)[1]
        else:
            return None
    node = _concrete(node, loc, raw)
    return node if isinstance(node, type) and issubclass(node, BaseModel) else None


def _concrete(annotation: Any, loc: tuple[Any, ...], raw: Any) -> Any:
    """Strip ``Annotated`` and ``None`` from a type; pick a component class by its raw kind."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) not in (Union, UnionType):
        return annotation
    members = [a for a in get_args(annotation) if a is not type(None)]
    if all(isinstance(m, type) and issubclass(m, ComponentBase) for m in members):
        kind = _raw_at(raw, (*loc, "kind"))
        return KIND_CLASSES.get(kind) if isinstance(kind, str) else None
    shaped = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)] or [
        m for m in members if get_origin(m) in (list, dict)
    ]
    return shaped[0] if len(shaped) == 1 else None


def _field_type(cls: type[BaseModel], key: Any) -> Any:
    for name, info in cls.model_fields.items():
        if key in (name, info.alias):
            return info.annotation
    return None


def _raw_at(raw: Any, loc: tuple[Any, ...]) -> Any:
    """Return the raw value at ``loc``, or None when the path does not exist."""
    node = raw
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


_PLACES: dict[Any, str] = {ControlRef: " of a control", Permission: " of a tool permission"}
_MAX_INLINE_KEYS = 64


def _split_by_comma(parent: Any, key: Any) -> str:
    """Explain a key with no value in ``{...}``: most likely the rest of a value cut at a comma."""
    if not isinstance(parent, Mapping) or not parent.flow or parent.get(key, "") is not None:
        return ""
    if len(parent) > _MAX_INLINE_KEYS:  # not a value cut at commas; and keeps this linear
        return ""
    keys = list(parent)
    start = keys.index(key)
    while start > 0 and parent[keys[start - 1]] is None:
        start -= 1
    if start == 0 or not isinstance(parent[keys[start - 1]], str):
        return ""
    end = start
    while end < len(keys) and parent[keys[end]] is None:
        end += 1
    value = ", ".join([parent[keys[start - 1]], *map(str, keys[start:end])])
    return (
        "inside `{...}` a comma ends a value: quote a value that contains one, "
        f'e.g. `{keys[start - 1]}: "{value}"`'
    )


def _field_names(cls: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in cls.model_fields.items()]


def _choices(error: ErrorDetails) -> list[str]:
    ctx = error.get("ctx") or {}
    expected = ctx.get("expected") or ctx.get("expected_tags") or ""
    return [part.strip(" '\"") for part in str(expected).replace(" or ", ",").split(",") if part]


def _message(
    error: ErrorDetails,
    where: str,
    raw: Any,
    owners: dict[tuple[Any, ...], Any],
    suggest: Callable[[object, Iterable[str]], str],
) -> tuple[str, str]:
    kind = error["type"]
    loc = _strip_tag(tuple(error["loc"]))
    value = error.get("input")
    last = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        if loc[:-1] not in owners:  # one walk per mapping, however many keys it has wrong
            owners[loc[:-1]] = _owner_class(loc[:-1], raw)
        owner = owners[loc[:-1]]
        names = _field_names(owner) if owner else []
        if owner is not None and issubclass(owner, ComponentBase):
            names.remove("kind")  # written already: it chose these keys
        hint = suggest(last, names) or (
            f"known keys{_PLACES.get(owner, '')}: " + ", ".join(f"`{n}`" for n in names)
            if owner
            else "remove it"
        )
        split = _split_by_comma(_raw_at(raw, loc[:-1]), last)
        if split:
            hint += f"; {split}"
        parent = describe(loc[:-1], raw)
        return f"unknown key `{last}` in {parent}", hint
    if kind == "missing":
        return f"{describe(loc[:-1], raw)} is missing required key `{last}`", f"add `{last}:`"
    if kind == "union_tag_not_found":
        return f"{where} has no `kind`", "add `kind:` with one of: " + ", ".join(KIND_CLASSES)
    if kind == "union_tag_invalid":
        tag = (error.get("ctx") or {}).get("tag", value)
        hint = suggest(tag, KIND_CLASSES) or "use one of: " + ", ".join(KIND_CLASSES)
        return f"{where}: `{tag}` is not a component kind", hint
    if kind in ("enum", "literal_error"):
        choices = _choices(error)
        if loc == ("tmcode",):
            if isinstance(value, int) and not isinstance(value, bool):
                return (
                    f"unsupported format version `{value}`",
                    "this tmcode reads `tmcode: 1`; upgrade tmcode for newer formats",
                )
            shown = f"the text `{value}`" if isinstance(value, str) else _type_name(value)
            return f"unsupported format version: {shown}, not the number 1", "write `tmcode: 1`"
        hint = suggest(value, choices) or "use one of: " + ", ".join(choices)
        return f"{where}: `{value}` is not allowed", hint
    if kind == "string_pattern_mismatch":
        if loc and loc[-1] == "[key]":
            return (
                f"`{value}` is not a valid id in {describe(loc[:-2], raw)}",
                "ids start with a letter or digit and use only letters, digits, `_` and `-`",
            )
        return (
            f"{where}: `{value}` is not a valid id",
            "ids start with a letter or digit and use only letters, digits, `_` and `-`",
        )
    if kind == "bool_type":
        return (
            f"{where}: expected true or false, got `{value}`",
            "write `true` or `false` (YAML words like yes/no/on/off are read as text)",
        )
    if kind in ("string_type", "str_type"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            written = getattr(value, "source", str(value))
            read = "" if written == str(value) else f", which YAML reads as {value}"
            return (
                f"{where}: expected text, got the number {written}{read}",
                f"quote it ('{written}') so YAML keeps it as written",
            )
        return f"{where}: expected text, got {_type_name(value)}", "write it as text"
    if kind in ("list_type", "dict_type", "model_type", "model_attributes_type"):
        wanted = "a list" if kind == "list_type" else "a mapping of keys to values"
        return f"{where}: expected {wanted}, got {_type_name(value)}", "fix the value's shape"
    if kind in ("too_short", "string_too_short"):
        return f"{where}: must not be empty", "give at least one value"
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return f"{where}: `{value}` is not a date", "write a date as YYYY-MM-DD"
    if kind == "value_error":
        message = str((error.get("ctx") or {}).get("error", error["msg"]))
        return f"{where}: {message}", ""
    return f"{where}: {error['msg']}", ""


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def problems_from_validation(exc: ValidationError, raw: Any, path: str) -> list[Problem]:
    """Translate every error of a pydantic ValidationError into a located Problem."""
    problems: list[Problem] = []
    seen: set[tuple[Any, ...]] = set()
    errors = exc.errors(include_url=False)
    # A file can repeat one mistake on every element: difflib is asked once per word and choices.
    hints: dict[tuple[str, tuple[str, ...]], str] = {}

    def suggest(word: object, choices: Iterable[str]) -> str:
        key = (str(word), tuple(choices))
        if key not in hints:
            hints[key] = did_you_mean(*key)
        return hints[key]

    unknown_keys: dict[tuple[Any, ...], list[str]] = {}
    owners: dict[tuple[Any, ...], Any] = {}
    for error in errors:
        if error["type"] == "extra_forbidden":
            loc = _strip_tag(tuple(error["loc"]))
            unknown_keys.setdefault(loc[:-1], []).append(str(loc[-1]))
    for error in errors:
        loc = _strip_tag(tuple(error["loc"]))
        if error["type"] == "missing" and suggest(loc[-1], unknown_keys.get(loc[:-1], [])):
            continue  # the misspelt key's own message already says what to do
        lookup = tuple(p for p in loc if p != "[key]")
        if error["type"].startswith("union_tag"):
            lookup += ("kind",)
        line, column = position(raw, lookup)
        where = describe(loc, raw)
        message, hint = _message(error, where, raw, owners, suggest)
        if (line, column, message) in seen:
            continue
        seen.add((line, column, message))
        problems.append(Problem(path, line, column, message, hint))
    return problems
