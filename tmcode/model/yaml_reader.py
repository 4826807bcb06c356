"""Safe YAML reading that keeps source positions, refuses duplicates and bounds resources.

The reader consumes libyaml's event stream and builds plain dicts and lists itself. That is
faster than PyYAML's own loader (no node graph, no Python constructor machinery), lets it stop
at the first sign of hostile input (nesting, alias expansion) before libyaml's recursive
composer can overflow the C stack, and records where every key and item was written.

Scalars follow the YAML 1.2 core schema: ``no``, ``on`` and ``yes`` stay strings, ``010`` is
ten, dates stay strings; strict field types then say clearly what was expected.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from typing import Any

import yaml

from tmcode.errors import ModelError, Problem
from tmcode.input_file import decode_utf8, read_input_bytes
from tmcode.limits import ReadLimits as ReadLimits  # re-exported: its historical home

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Mapping(dict[Any, Any]):
    """A YAML mapping that remembers where it and each of its keys were written, and how."""

    __slots__ = ("line", "column", "key_marks", "flow")

    def __init__(self, line: int, column: int, flow: bool = False) -> None:
        super().__init__()
        self.line = line
        self.column = column
        self.key_marks: dict[Any, Any] = {}
        self.flow = flow  # written inline as `{...}`, where a comma ends a plain value


class Sequence(list[Any]):
    """A YAML sequence that remembers where it and each of its items were written."""

    __slots__ = ("line", "column", "item_marks")

    def __init__(self, line: int, column: int) -> None:
        super().__init__()
        self.line = line
        self.column = column
        self.item_marks: list[Any] = []


_SAFE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "!",
}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULLS = {"", "~", "null", "Null", "NULL"}
_MAYBE_SPECIAL = frozenset("0123456789+-.~nNtTfF")
_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(nan|NaN|NAN)\Z")


class SourceInt(int):
    """An integer read from YAML that remembers how it was written (for messages)."""

    source: str


class SourceFloat(float):
    """A float read from YAML that remembers how it was written (for messages)."""

    source: str


def _number(cls: type, value: Any, text: str) -> Any:
    number = cls(value)
    number.source = text
    return number


_MAX_INT_TEXT = 4300  # Python's own bound on int <-> str conversion (CVE-2020-10735)


def resolve_plain(text: str) -> Any:
    """Resolve an untagged plain scalar by the YAML 1.2 core schema.

    Raises ValueError for an integer written with more than 4,300 characters: Python could
    not print it back, and no field of a model holds one.
    """
    if text and text[0] not in _MAYBE_SPECIAL:
        return text
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if len(text) > _MAX_INT_TEXT and (_INT.match(text) or _OCT.match(text) or _HEX.match(text)):
        raise ValueError(f"an integer of {len(text):,} characters is too large to read")
    if _INT.match(text):
        return _number(SourceInt, int(text), text)
    if _OCT.match(text):
        return _number(SourceInt, int(text[2:], 8), text)
    if _HEX.match(text):
        return _number(SourceInt, int(text[2:], 16), text)
    if _FLOAT.match(text):
        return _number(SourceFloat, float(text), text)
    if _INF.match(text):
        return -math.inf if text[0] == "-" else math.inf
    if _NAN.match(text):
        return math.nan
    return text


def _tagged_scalar(value: str, tag: str) -> Any:
    if tag.endswith(":str") or tag == "!":
        return value
    resolved = resolve_plain(value)
    kind = tag.rsplit(":", 1)[1]
    types: dict[str, type | tuple[type, ...]] = {
        "int": int,
        "float": (int, float),
        "bool": bool,
        "null": type(None),
    }
    expected = types[kind]
    if isinstance(resolved, expected) and not (kind != "bool" and isinstance(resolved, bool)):
        if kind == "float" and isinstance(resolved, (int, float)):
            return float(resolved)
        return resolved
    raise ValueError(f"`{value}` is not a valid !!{kind}")


class _Frame:
    __slots__ = ("container", "is_map", "key", "key_mark", "anchor", "size", "merges", "mark")

    def __init__(self, container: Any, is_map: bool, anchor: str | None, mark: Any) -> None:
        self.container = container
        self.mark = mark
        self.is_map = is_map
        self.key: Any = _NO_KEY
        self.key_mark: Any = None
        self.anchor = anchor
        self.size = 1
        self.merges: list[tuple[Any, Any]] | None = None


_NO_KEY = object()
_LIBYAML_MAX_DEPTH = 1000
_DEPTH_HINT = (
    "a model needs a handful of levels; raise --max-depth only if this file is really "
    "meant to nest so deep"
)
_MERGE = object()


class _Reader:
    """One pass over the event stream of one file."""

    def __init__(self, path: str, limits: ReadLimits) -> None:
        self.path = path
        self.limits = limits
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.problems: list[Problem] = []

    def fail(self, mark: Any, message: str, hint: str = "") -> ModelError:
        line = mark.line + 1 if mark is not None else None
        col = mark.column + 1 if mark is not None else None
        return ModelError(self.problems + [Problem(self.path, line, col, message, hint)])

    def note(self, mark: Any, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.path, mark.line + 1, mark.column + 1, message, hint))

    def check_tag(self, tag: str | None, mark: Any) -> None:
        if tag is not None and tag not in _SAFE_TAGS:
            raise self.fail(
                mark,
                f"YAML tag `{tag}` is not allowed",
                "tmcode models are plain data: remove the tag (tags that construct objects "
                "are refused so that no model can run code)",
            )

    def read(self, text: str) -> Any:
        stack: list[_Frame] = []
        root: Any = _NO_KEY
        documents = 0
        limits = self.limits
        max_nodes = limits.max_nodes
        # Dispatched on the exact class below (fast), which mypy cannot narrow: hence Any.
        events: Iterator[Any] = yaml.parse(text, Loader=_Loader)
        ScalarEvent, AliasEvent = yaml.ScalarEvent, yaml.AliasEvent
        MappingStartEvent, SequenceStartEvent = yaml.MappingStartEvent, yaml.SequenceStartEvent
        MappingEndEvent, SequenceEndEvent = yaml.MappingEndEvent, yaml.SequenceEndEvent
        DocumentStartEvent = yaml.DocumentStartEvent
        for ev in events:
            cls = type(ev)
            size = 1
            if cls is ScalarEvent:
                mark = ev.start_mark
                if ev.tag is not None:
                    self.check_tag(ev.tag, mark)
                    try:
                        value = _tagged_scalar(ev.value, ev.tag)
                    except ValueError as exc:
                        raise self.fail(mark, str(exc), "fix the value or drop the tag") from None
                elif not ev.style:
                    try:
                        value = resolve_plain(ev.value)
                    except ValueError as exc:
                        raise self.fail(
                            mark, str(exc), "no field holds such a number; quote it if it is text"
                        ) from None
                    if value == "<<" and stack and stack[-1].is_map and stack[-1].key is _NO_KEY:
                        value = _MERGE
                else:
                    value = ev.value
                if ev.anchor is not None:
                    self.anchors[ev.anchor] = (value, 1)
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                mark = ev.start_mark
                if ev.tag is not None:
                    self.check_tag(ev.tag, mark)
                if len(stack) >= limits.max_depth:
                    raise self.fail(
                        mark,
                        f"nesting deeper than {limits.max_depth} levels",
                        _DEPTH_HINT,
                    )
                if cls is MappingStartEvent:
                    container: Any = Mapping(mark.line + 1, mark.column + 1, bool(ev.flow_style))
                else:
                    container = Sequence(mark.line + 1, mark.column + 1)
                stack.append(_Frame(container, cls is MappingStartEvent, ev.anchor, mark))
                continue
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                frame = stack.pop()
                value = frame.container
                size = frame.size
                mark = frame.mark
                if frame.merges:
                    self.apply_merges(frame)
                if frame.anchor is not None:
                    self.anchors[frame.anchor] = (value, size)
            elif cls is AliasEvent:
                mark = ev.start_mark
                if ev.anchor not in self.anchors:
                    raise self.fail(
                        mark,
                        f"alias `*{ev.anchor}` refers to no complete anchor",
                        "define `&" + str(ev.anchor) + "` before using it; an anchor cannot "
                        "refer to itself",
                    )
                value, size = self.anchors[ev.anchor]
            elif cls is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise self.fail(
                        ev.start_mark,
                        "more than one YAML document in the file",
                        "keep one model per file (remove the `---` separator)",
                    )
                continue
            else:
                continue
            if not stack:
                root = value
                if size > limits.max_nodes:
                    raise self.too_big(mark)
                continue
            parent = stack[-1]
            parent.size += size
            if parent.size > max_nodes:
                raise self.too_big(mark)
            if parent.is_map:
                key = parent.key
                if key is _NO_KEY:
                    if type(value) is str:  # the usual key: set it inline
                        parent.key = value
                        parent.key_mark = mark
                    else:
                        self.take_key(parent, value, mark)
                elif key is not _MERGE and key not in parent.container.key_marks:
                    # The usual value: store it inline; duplicates and merges take the slow path.
                    parent.container[key] = value
                    parent.container.key_marks[key] = parent.key_mark
                    parent.key = _NO_KEY
                else:
                    self.put_value(parent, value)
            else:
                parent.container.append(value)
                parent.container.item_marks.append(mark)
        if root is _NO_KEY:
            raise ModelError(
                Problem(self.path, 1, 1, "the file is empty", "a model starts with `tmcode: 1`")
            )
        if self.problems:
            raise ModelError(self.problems)
        return root

    def too_big(self, mark: Any) -> ModelError:
        return self.fail(
            mark,
            f"the document expands to more than {self.limits.max_nodes:,} values",
            "this looks like an alias bomb; raise --max-nodes only for a model that is "
            "really this large",
        )

    def take_key(self, frame: _Frame, key: Any, mark: Any) -> None:
        if isinstance(key, (dict, list)):
            raise self.fail(mark, "a mapping key must be plain text", "write the key as a name")
        frame.key = key
        frame.key_mark = mark

    def put_value(self, frame: _Frame, value: Any) -> None:
        key, mark = frame.key, frame.key_mark
        frame.key = _NO_KEY
        container = frame.container
        if key is _MERGE:
            merged = value if isinstance(value, list) else [value]
            if not all(isinstance(m, dict) for m in merged):
                self.note(mark, "`<<` merges only mappings", "merge a mapping or a list of them")
                return
            frame.merges = (frame.merges or []) + [(m, mark) for m in merged]
            return
        if key in container.key_marks:
            first = container.key_marks[key]
            self.note(
                mark,
                f"duplicate key `{key}` (first written at line {first.line + 1})",
                "YAML keeps only one of them: remove or rename one",
            )
            return
        container[key] = value
        container.key_marks[key] = mark

    def apply_merges(self, frame: _Frame) -> None:
        container = frame.container
        for merged, mark in frame.merges or ():
            for key, value in merged.items():
                if key not in container:
                    container[key] = value
                    container.key_marks[key] = mark


def read_yaml_file(
    path: str | os.PathLike[str],
    limits: ReadLimits | None = None,
    *,
    expected: str = "a model file",
    size_hint: str = "split the model, or raise --max-bytes if it really is this large",
) -> Any:
    """Read one YAML file through the safe reader and parse it, or raise a ModelError."""
    limits = limits or ReadLimits()
    name = os.fspath(path)
    data = read_input_bytes(path, limits.max_bytes, expected=expected, size_hint=size_hint)
    return read_yaml(decode_utf8(data, name), name, limits)


def read_yaml(text: str, path: str, limits: ReadLimits | None = None) -> Any:
    """Parse one YAML document into Mapping/Sequence/scalars, or raise a ModelError."""
    reader = _Reader(path, limits or ReadLimits())
    try:
        return reader.read(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or "YAML syntax error"
        if exc.context:
            message = f"{exc.context}: {message}"
        hint = "fix the YAML syntax here"
        if "maximum nesting depth" in message:
            # libyaml's scanner has its own depth limit and may reach it before ours.
            message = (
                f"nesting deeper than {min(reader.limits.max_depth, _LIBYAML_MAX_DEPTH)} levels"
            )
            hint = _DEPTH_HINT
        if _char_at(text, mark) == "\t":
            message = "a tab character where YAML expects spaces"
            hint = "YAML does not allow tabs for indentation: indent with spaces"
        raise ModelError(reader.problems + [_problem_at(path, mark, message, hint)]) from None
    except yaml.YAMLError as exc:
        raise ModelError(reader.problems + [Problem(path, None, None, str(exc))]) from None


def _char_at(text: str, mark: Any) -> str:
    if mark is None:
        return ""
    lines = text.split("\n", mark.line + 1)
    if mark.line >= len(lines):
        return ""
    line = lines[mark.line]
    return line[mark.column] if mark.column < len(line) else ""


def _problem_at(path: str, mark: Any, message: str, hint: str) -> Problem:
    if mark is None:
        return Problem(path, None, None, message, hint)
    return Problem(path, mark.line + 1, mark.column + 1, message, hint)


def position(root: Any, loc: tuple[Any, ...]) -> tuple[int | None, int | None]:
    """Return the (line, column) best matching a path of keys and indexes into ``root``."""
    line: int | None = getattr(root, "line", None)
    column: int | None = getattr(root, "column", None)
    node = root
    for part in loc:
        if isinstance(node, Mapping) and part in node.key_marks:
            mark = node.key_marks[part]
            line, column = mark.line + 1, mark.column + 1
            node = node[part]
        elif isinstance(node, Sequence) and isinstance(part, int) and 0 <= part < len(node):
            mark = node.item_marks[part]
            line, column = mark.line + 1, mark.column + 1
            node = node[part]
        else:
            break
    return line, column
