"""Read an untrusted input file safely: regular files only, bounded, strictly decoded.

Every file a pull request can control (models, catalog files, baselines, reports to diff,
OTM and Threagile imports) is read here. The file is opened without blocking (a FIFO cannot
hang the gate), checked on the open descriptor (no race between check and read), refused
unless it is a regular file, and never read past its size limit (``/dev/zero`` cannot exhaust
memory). JSON is parsed with its nesting bounded before the recursive parser sees it, and its
shape is checked so that a wrong type is a message, not a crash deep in the code.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from tmcode.errors import ModelError, Problem, TmcodeError

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_CHUNK = 1 << 20
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
DEFAULT_SIZE_HINT = "split the file, or raise --max-bytes if it really is this large"


def read_input_bytes(
    path: str | os.PathLike[str],
    max_bytes: int,
    *,
    error: type[TmcodeError] = ModelError,
    expected: str = "a model file",
    size_hint: str = DEFAULT_SIZE_HINT,
) -> bytes:
    """Return the bytes of a regular file of at most ``max_bytes``, or raise ``error``."""
    name = os.fspath(path)

    def fail(message: str, hint: str = "") -> TmcodeError:
        return error(Problem(name, None, None, message, hint))

    if _leads_out_of_working_tree(name):
        raise fail(
            "is reached through a symbolic link that leads outside the working directory; "
            "tmcode does not read it",
            "copy the file into the repository, or name it by its real path",
        )
    try:
        fd = os.open(name, _OPEN_FLAGS)
    except FileNotFoundError:
        raise fail("no such file", "check the path") from None
    except OSError as exc:
        raise fail(*_open_problem(exc, expected)) from None
    except ValueError:  # a NUL byte in the path
        raise fail("this is not a valid path", "check the path") from None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            kind = next((k for test, k in _KINDS if test(status.st_mode)), "a special file")
            raise fail(f"this is {kind}, not a regular file", f"name {expected}")
        size = status.st_size
        if size > max_bytes:
            raise fail(f"the file is {size:,} bytes, over the limit of {max_bytes:,}", size_hint)
        chunks: list[bytes] = []
        remaining = max_bytes + 1  # one byte more tells a file that grew past the limit
        while remaining > 0:
            chunk = os.read(fd, min(_CHUNK, remaining))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as exc:
        raise fail(f"cannot read the file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise fail(f"the file is over the limit of {max_bytes:,} bytes", size_hint)
    return data


def _leads_out_of_working_tree(name: str) -> bool:
    """True when a path inside the working directory (a checkout a pull request controls)
    reaches, through a symbolic link, a file outside it, such as ``/etc/shadow``."""
    try:
        here = os.path.realpath(os.getcwd())
        written = os.path.abspath(name)
        if os.path.commonpath([here, written]) != here:
            return False  # named outside the tree: whoever runs tmcode chose it
        return os.path.commonpath([here, os.path.realpath(written)]) != here
    except (OSError, ValueError):
        return False  # no working directory, another drive, a NUL byte: open() will say


def _open_problem(exc: OSError, expected: str) -> tuple[str, str]:
    if exc.errno == errno.ELOOP:
        return "a symbolic link loop: the link never reaches a file", f"name {expected}"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied", "make the file readable, or name another"
    if exc.errno == errno.ENOTDIR:
        return "no such file (a part of the path is not a directory)", "check the path"
    if exc.errno == errno.ENXIO:
        return "this is a socket or a device without a reader, not a regular file", (
            f"name {expected}"
        )
    if exc.errno == errno.ENAMETOOLONG:
        return "the path is too long", "check the path"
    return f"cannot open the file: {exc.strerror or exc}", ""


def line_and_column(data: bytes | str, offset: int) -> tuple[int, int]:
    """Return the 1-based line and column of ``offset`` in ``data``."""
    newline: Any = b"\n" if isinstance(data, bytes) else "\n"
    line = data.count(newline, 0, offset) + 1
    column = offset - (data.rfind(newline, 0, offset) + 1) + 1
    return line, column


def decode_utf8(
    data: bytes, name: str, *, error: type[TmcodeError] = ModelError, what: str = "YAML"
) -> str:
    """Decode ``data`` strictly as UTF-8 (a leading BOM allowed), refusing binary files."""
    nul = data.find(b"\x00")
    if nul >= 0 and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        line, col = line_and_column(data, nul)
        raise error(
            Problem(name, line, col, f"this is a binary file, not {what}", "name a text file")
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = exc.start + (len(data) - len(exc.object))  # the codec drops a leading BOM
        line, col = line_and_column(data, offset)
        raise error(
            Problem(
                name,
                line,
                col,
                f"the file is not valid UTF-8 (byte {offset:,})",
                "save it as UTF-8",
            )
        ) from None


# A JSON string, or an unterminated one up to the end: the match never fails once started,
# so stripping strings stays linear even on hostile text.
# No possessive quantifiers (Python 3.11+): the alternatives never overlap, so it stays linear.
_JSON_STRING = re.compile(r'"(?:[^"\\]+|\\.)*(?:"|\\?\Z)', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_DELTA = {"[": 1, "{": 1, "]": -1, "}": -1}
_TOKEN = re.compile(r'"(?:[^"\\]+|\\.)*(?:"|\\?\Z)|[\[\]{}]|[0-9]{4301,}', re.S)
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
JSON_MAX_DEPTH = 64


def parse_json(
    text: str,
    name: str,
    *,
    error: type[TmcodeError] = ModelError,
    max_depth: int = JSON_MAX_DEPTH,
    invalid: str = "not valid JSON",
    hint: str = "",
) -> Any:
    """Parse JSON text with bounded nesting; every failure is one located ``error``."""

    def fail(offset: int | None, message: str, problem_hint: str = hint) -> TmcodeError:
        line, col = line_and_column(text, offset) if offset is not None else (None, None)
        return error(Problem(name, line, col, message, problem_hint))

    if text.count("[") + text.count("{") > max_depth:
        brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
        if max(accumulate(map(_BRACKET_DELTA.__getitem__, brackets)), default=0) > max_depth:
            raise fail(
                _scan(text, max_depth),
                f"nesting deeper than {max_depth} levels",
                "a tmcode or OTM document needs a handful of levels; this file is not one",
            )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(exc.pos, f"{invalid}: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:
        # Python refuses to convert integers of more than 4,300 digits (CVE-2020-10735).
        if "digits" in str(exc):
            raise fail(
                _scan(text, max_depth, digits=True),
                "a number of more than 4,300 digits",
                "no field of this file holds such a number; fix or remove it",
            ) from None
        raise fail(None, f"{invalid}: {exc}") from None
    # Strict UTF-8 holds no surrogate: only a \u escape can bring one, so most texts skip the walk.
    if _ESCAPED_SURROGATE.search(text) and _has_surrogate(data):
        found = _LONE_SURROGATE.search(text)
        raise fail(
            found.start() if found else None,
            "a lone UTF-16 surrogate escape (\\ud800-\\udfff) that is no character",
            "write the character itself, or a valid surrogate pair",
        )
    return data


def _scan(text: str, max_depth: int, *, digits: bool = False) -> int | None:
    """Return the offset of the first bracket past ``max_depth``, or of the first huge number."""
    depth = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token[0] == '"':
            continue
        if token[0].isdigit():
            if digits:
                return match.start()
            continue
        depth += _BRACKET_DELTA[token]
        if depth > max_depth and not digits:
            return match.start()
    return None


def _has_surrogate(data: Any) -> bool:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def read_json_file(
    path: str | os.PathLike[str],
    max_bytes: int,
    *,
    error: type[TmcodeError],
    expected: str,
    size_hint: str = DEFAULT_SIZE_HINT,
    max_depth: int = JSON_MAX_DEPTH,
    invalid: str = "not valid JSON",
    hint: str = "",
) -> Any:
    """Read, decode and parse one JSON input file through the safe reader."""
    name = os.fspath(path)
    data = read_input_bytes(path, max_bytes, error=error, expected=expected, size_hint=size_hint)
    text = decode_utf8(data, name, error=error, what="JSON")
    return parse_json(text, name, error=error, max_depth=max_depth, invalid=invalid, hint=hint)


# --- The shape of parsed documents -------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """What a parsed value must look like: a tiny structural schema for foreign documents.

    ``kind`` is one of ``object`` (known ``fields``, other keys allowed), ``map`` (any keys,
    every value an ``item``), ``list`` (every element an ``item``), ``text``, ``number``,
    ``bool``, ``scalar`` (text, number or bool), ``container`` (list or object) or ``any``. Unless ``nullable`` is false, a
    null stands for an absent value, as the readers of these documents treat it.
    """

    kind: str
    fields: Mapping[str, Shape] | None = None
    item: Shape | None = None
    required: tuple[str, ...] = ()
    nullable: bool = True


def obj(required: tuple[str, ...] = (), nullable: bool = True, **fields: Shape) -> Shape:
    """An object with these optional fields (and ``required`` ones); other keys allowed."""
    return Shape("object", fields=fields, required=required, nullable=nullable)


def list_of(item: Shape, nullable: bool = True) -> Shape:
    """A list whose every element has the shape ``item``."""
    return Shape("list", item=item, nullable=nullable)


def map_of(item: Shape, nullable: bool = True) -> Shape:
    """An object whose keys are free and whose every value has the shape ``item``."""
    return Shape("map", item=item, nullable=nullable)


TEXT, NUMBER, BOOL = Shape("text"), Shape("number"), Shape("bool")
SCALAR, ANY = Shape("scalar"), Shape("any")
REQUIRED_TEXT = Shape("text", nullable=False)

_NOUNS = {
    "object": "an object",
    "map": "an object",
    "list": "a list",
    "text": "text",
    "number": "a number",
    "bool": "true or false",
    "scalar": "text, a number or true/false",
    "container": "a list or an object",
}


def _is(value: Any, kind: str) -> bool:
    if kind in ("object", "map"):
        return isinstance(value, dict)
    if kind == "list":
        return isinstance(value, list)
    if kind == "text":
        return isinstance(value, str)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "scalar":
        return isinstance(value, (str, int, float, bool))
    if kind == "container":
        return isinstance(value, (dict, list))
    return True


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    return "a number"


def shape_problem(value: Any, shape: Shape, where: str = "") -> str | None:
    """Return the first place where ``value`` does not have ``shape``, as a sentence, or None."""
    problem = _mismatch(value, shape, where)
    stack: list[tuple[Any, Shape, str]] = [(value, shape, where)]
    while stack and problem is None:
        item, expected, here = stack.pop()
        if item is None or expected.item is None and not expected.fields:
            continue
        children: list[tuple[Any, Shape, str]] = []
        if expected.kind == "object":
            for key, field_shape in (expected.fields or {}).items():
                if key in item:
                    children.append((item[key], field_shape, f"{here}.{key}" if here else key))
                elif key in expected.required:
                    children.append((_MISSING, field_shape, f"{here}.{key}" if here else key))
        elif expected.kind == "map" and expected.item is not None:
            each = expected.item
            children = [(v, each, f"{here}.{k}" if here else str(k)) for k, v in item.items()]
        elif expected.kind == "list" and expected.item is not None:
            each = expected.item
            children = [(v, each, f"{here}[{i}]") for i, v in enumerate(item)]
        problem = next(filter(None, (_mismatch(*child) for child in children)), None)
        stack.extend(reversed(children))
    return problem


_MISSING = object()


def _mismatch(item: Any, expected: Shape, here: str) -> str | None:
    if item is _MISSING:
        return f"the field `{here}` is missing"
    if (item is None and expected.nullable) or _is(item, expected.kind):
        return None
    label = f"field `{here}`" if here else "the document"
    return f"{label} must be {_NOUNS[expected.kind]}, not {_type_name(item)}"
