"""Find and parse a repository's agent configuration files, never following a way out of it."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tmcode.errors import ModelError, Problem
from tmcode.input_file import decode_utf8, read_input_bytes
from tmcode.model.yaml_reader import Mapping, ReadLimits, Sequence, position, read_yaml

# Folders no configuration of the repository's own lives in.
SKIPPED_DIRS = frozenset(
    {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", "dist", "build", "site"}
)
MAX_FILES = 20_000  # files looked at while walking, at most
MAX_CONFIG_BYTES = 2 * 1024 * 1024


class Document:
    """A parsed config file: its data, and where each key and item was written."""

    def __init__(self, relative: str, data: Any, lines: list[str]) -> None:
        self.relative = relative
        self.data = data
        self.lines = lines

    def line(self, *loc: Any) -> int | None:
        """The line of the value at ``loc`` (keys and indexes), or of the nearest parent."""
        return position(self.data, loc)[0]


def walk(root: Path) -> Iterator[tuple[Path, bool]]:
    """Files under ``root`` in order, each with whether it is a regular file one may read.

    Symbolic links, FIFOs and devices come with False: they are never followed or opened.
    """
    seen = 0
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name, reverse=True)
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if seen > MAX_FILES:
                return
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in SKIPPED_DIRS:
                    stack.append(Path(entry.path))
            else:
                # A link may lead out of the repository, a FIFO may block: neither is opened.
                yield Path(entry.path), entry.is_file(follow_symlinks=False)


def read_text(path: Path, relative: str, limit: int = MAX_CONFIG_BYTES) -> str:
    """Read a regular file (no FIFO or device) up to ``limit`` bytes, as UTF-8."""
    data = read_input_bytes(
        path,
        limit,
        expected="an agent configuration file",
        size_hint="a config file this large is not one an agent client reads",
    )
    return decode_utf8(data, relative, what="text")


def _blank_json_comments(text: str) -> str:
    """JSONC: turn ``//`` and ``/* */`` comments outside strings into spaces, keeping lines."""
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if ch == '"':
                in_string = False
            i += 1
        elif ch == '"':
            in_string = True
            out.append(ch)
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        elif ch == "\t":
            out.append(" ")  # YAML, which reads the JSON here, refuses tabs between tokens
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def parse_json(text: str, relative: str) -> Document:
    """Parse JSON or JSONC (comments, trailing commas) keeping each key's line."""
    data = read_yaml(_blank_json_comments(text), relative, ReadLimits(max_bytes=MAX_CONFIG_BYTES))
    return Document(relative, data, text.splitlines())


def parse_yaml(text: str, relative: str) -> Document:
    """Parse YAML with the model reader's limits and safety, keeping each key's line."""
    return Document(relative, read_yaml(text, relative, ReadLimits()), text.splitlines())


def parse_toml(text: str, relative: str) -> Document:
    """Parse TOML; lines are found again from the table headers and keys."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(
            Problem(relative, None, None, f"is not valid TOML: {exc}", "fix the TOML syntax")
        ) from None
    return TomlDocument(relative, data, text.splitlines())


class TomlDocument(Document):
    """A TOML file: tomllib keeps no positions, so a key's line is looked up in the text."""

    def line(self, *loc: Any) -> int | None:
        keys = [str(k) for k in loc if not isinstance(k, int)]
        best: int | None = None
        for depth in range(len(keys), 0, -1):
            header = re.compile(
                r"^\s*\[+\s*" + r"\s*\.\s*".join(_toml_key(k) for k in keys[:depth]) + r"\s*\]+"
            )
            for number, text in enumerate(self.lines, 1):
                if header.match(text):
                    best = number
                    break
            if best is not None:
                break
        if best is None and keys:
            key = re.compile(r"^\s*" + _toml_key(keys[-1]) + r"\s*=")
            best = next((n for n, t in enumerate(self.lines, 1) if key.match(t)), None)
        return best


def _toml_key(key: str) -> str:
    return "(?:" + re.escape(key) + '|"' + re.escape(key) + "\"|'" + re.escape(key) + "')"


def is_mapping(value: Any) -> bool:
    """True for a parsed mapping (YAML/JSON keep positions, TOML gives plain dicts)."""
    return isinstance(value, (Mapping, dict))


def is_list(value: Any) -> bool:
    """True for a parsed sequence."""
    return isinstance(value, (Sequence, list))


def items(value: Any) -> list[Any]:
    """The items of a parsed list; nothing when the file put something else there."""
    return list(value) if is_list(value) else []
