"""Escaping and naming shared by every page of the site."""

from __future__ import annotations

import html
import re
from typing import Any

from tmcode.render.escape import markdown_code, markdown_prose, markdown_text, reveal
from tmcode.report import Severity


def text(value: str) -> str:
    """Escape model text for a Python-Markdown page."""
    return markdown_text(value, "python")


def code(value: str) -> str:
    """Show a value as inline code on a Python-Markdown page."""
    return markdown_code(value, "python")


def nav_title(value: str) -> str:
    """Escape text that MkDocs themes insert into HTML unescaped (site name, nav titles)."""
    return html.escape(_plain_line(value), quote=True)


def _plain_line(value: str) -> str:
    return reveal(re.sub(r"[\t\n\r]", " ", value))


def plain(value: Any) -> Any:
    """Turn a parsed condition into plain YAML types (ints, floats, dicts, lists)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def slug(value: str) -> str:
    """A folder name for a system: lower-case letters, digits and dashes, at most 40."""
    name = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:40].strip("-")
    return name or "system"


def unique_name(base: str, used: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``…: the first not in ``used`` ignoring case; record it."""
    name, n = base, 2
    while name.casefold() in used:
        name, n = f"{base}-{n}", n + 1
    used.add(name.casefold())
    return name


# Front matter of a page that needs the whole width (matrices, diagrams): no table of contents.
WIDE_PAGE = ["---", "hide:", "  - toc", "---", ""]


def severity_badge(severity: Severity) -> str:
    """The severity as a coloured label (colours from the palette, in the site's stylesheet)."""
    return f'<span class="tmcode-sev {severity.value}">{severity.value}</span>'


def prose(value: str) -> str:
    """Escape text in which tmcode quotes ids in backticks, showing those ids as code."""
    return markdown_prose(value, "python")
