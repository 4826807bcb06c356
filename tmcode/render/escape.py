"""Escaping model text for each output it can appear in."""

from __future__ import annotations

import html
import os
import re

# CommonMark (GitHub) may escape any ASCII punctuation; Python-Markdown (mkdocs) only these.
_MD_SPECIAL = {
    "gfm": re.compile(r"([\\`*_{}\[\]()#+\-.!~>@:])"),
    "python": re.compile(r"([\\`*_{}\[\]()#+\-.!>])"),
}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def markdown_text(text: str, flavor: str = "gfm") -> str:
    """Escape text for Markdown: no markup, links, HTML, autolinks or mentions survive.

    HTML is entity-encoded, Markdown punctuation is backslash-escaped (so `[x](javascript:..)`
    and images stay text), a pipe cannot split a table cell, newlines become spaces, and a
    zero-width space breaks `://` so that URLs are not turned into links. ``flavor`` is
    ``gfm`` (GitHub, pull-request comments) or ``python`` (Python-Markdown, mkdocs).
    """
    text = _CONTROL.sub(" ", text).replace("\r", " ").replace("\n", " ")
    text = html.escape(text, quote=False).replace('"', "&quot;")
    text = _MD_SPECIAL[flavor].sub(r"\\\1", text)
    return text.replace("|", "&#124;").replace("://", ":\u200b//")


def markdown_code(text: str, flavor: str = "gfm") -> str:
    """Return text as an inline code span that cannot close early or split a table cell."""
    text = _CONTROL.sub(" ", text).replace("\r", " ").replace("\n", " ")
    if flavor == "gfm":
        text = text.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if longest or text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def xml_text(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (ElementTree escapes the rest)."""
    return _XML_INVALID.sub("\ufffd", text)


def relative_path(path: str) -> str:
    """Return ``path`` relative to the working directory when it lies below it, with '/'."""
    absolute = os.path.abspath(path)
    here = os.path.abspath(os.getcwd())
    if absolute == here or absolute.startswith(here + os.sep):
        path = os.path.relpath(absolute, here)
    return path.replace(os.sep, "/")
