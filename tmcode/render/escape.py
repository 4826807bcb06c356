"""Escaping model text for each output it can appear in."""

from __future__ import annotations

import html
import os
import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>:@])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def markdown_text(text: str) -> str:
    """Escape text for Markdown and GitHub comments: no markup, links, HTML or mentions.

    HTML is entity-encoded, Markdown punctuation is backslash-escaped (so `[x](javascript:..)`,
    images and autolinks stay text), table pipes cannot split a cell, newlines become spaces.
    """
    text = _CONTROL.sub(" ", text).replace("\r", " ").replace("\n", " ")
    text = html.escape(text, quote=False).replace('"', "&quot;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def markdown_code(text: str) -> str:
    """Return text as an inline code span that cannot close early or split a table cell."""
    text = _CONTROL.sub(" ", text).replace("\r", " ").replace("\n", " ").replace("|", "\\|")
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
