"""Escaping model text for each output it can appear in: one policy per kind of output.

Model text is written by whoever opens a pull request, and it ends up in terminals, CI logs,
pull-request comments, XML and web pages. Nothing in it may act there:

- terminal and CI log (``terminal_text``): control characters and invisible or bidirectional
  format characters are shown as escapes (``\\x1b``, ``\\u202e``), one line per field;
- Markdown (``markdown_text``, ``markdown_code``): no markup, HTML, image, link, autolink or
  ``@mention`` survives, and hidden characters are shown as escapes;
- XML and HTML (``xml_text``): hidden characters are shown as escapes, so the document is
  well-formed XML 1.0 (the XML writer or template escapes the markup characters);
- JSON (``json_text``): hidden characters travel as ``\\uXXXX`` escapes, so the data is
  unchanged but printing the file cannot drive a terminal.

Which characters are hidden, and how they are shown, is :mod:`tmcode.hidden`.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable

from tmcode.hidden import HIDDEN, json_text, reveal, shown, terminal_text

__all__ = [
    "HIDDEN",
    "json_text",
    "markdown_code",
    "markdown_html_text",
    "markdown_text",
    "relative_path",
    "reveal",
    "terminal_text",
    "xml_text",
]

_LINE_BREAKS = re.compile(r"\r\n|[\t\n\r]")
# CommonMark (GitHub) may escape any ASCII punctuation; Python-Markdown (mkdocs) only these.
_MD_SPECIAL = {
    "gfm": re.compile(r"([\\`*_{}\[\]()#+\-.!~>@:])"),
    "python": re.compile(r"([\\`*_{}\[\]()#+\-.!>])"),
}
# A word GitHub would make live after rendering (its autolink and mention filters work on the
# rendered text, so backslash escapes do not stop them): a URL or `www.` autolink, an e-mail
# autolink, an @mention or team mention, an issue or cross-repository reference. Such a word
# is shown whole as a code span, where GitHub links and notifies nothing.
_GFM_LIVE_WORD = re.compile(r"(?<!\S)\S*?(?:://|www\.|@|#\d|\bGH-\d)\S*", re.IGNORECASE)


def _one_line(text: str) -> str:
    return text if shown(text) else reveal(_LINE_BREAKS.sub(" ", text))


def _markdown_plain(text: str, flavor: str) -> str:
    text = html.escape(text, quote=False).replace('"', "&quot;")
    text = _MD_SPECIAL[flavor].sub(r"\\\1", text)
    return text.replace("|", "&#124;")


def markdown_text(text: str, flavor: str = "gfm") -> str:
    """Escape text for Markdown: no markup, links, HTML, autolinks or mentions survive.

    HTML is entity-encoded, Markdown punctuation is backslash-escaped (so `[x](javascript:..)`
    and images stay text), a pipe cannot split a table cell, newlines become spaces and hidden
    characters are shown as escapes. ``flavor`` is ``gfm`` (GitHub: pull-request comments and
    job summaries) or ``python`` (Python-Markdown, mkdocs). On GitHub a word that would become
    a link, a mention or a reference is shown as a code span; Python-Markdown as configured for
    the site links no bare URL and knows no mentions.
    """
    text = _one_line(text)
    if flavor != "gfm":
        return _markdown_plain(text, flavor)
    return _split_live_words(text, lambda s: _markdown_plain(s, flavor), markdown_code)


def markdown_html_text(text: str) -> str:
    """Escape text inside raw HTML of a GitHub Markdown document (a ``<summary>``).

    Markdown is not parsed there, but GitHub's autolink and mention filters still act: the
    text is entity-encoded and a word that would become live is put in ``<code>``.
    """
    text = _one_line(text)
    return _split_live_words(
        text,
        lambda s: html.escape(s, quote=True),
        lambda s: f"<code>{html.escape(s, quote=True)}</code>",
    )


def _split_live_words(text: str, plain: Callable[[str], str], live: Callable[[str], str]) -> str:
    if not _GFM_LIVE_WORD.search(text):
        return plain(text)
    out: list[str] = []
    end = 0
    for match in _GFM_LIVE_WORD.finditer(text):
        out.append(plain(text[end : match.start()]))
        out.append(live(match.group()))
        end = match.end()
    out.append(plain(text[end:]))
    return "".join(out)


def markdown_code(text: str, flavor: str = "gfm") -> str:
    """Return text as an inline code span that cannot close early or split a table cell."""
    text = _one_line(text)
    if flavor == "gfm":
        text = text.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0) if "`" in text else 0
    fence = "`" * (longest + 1)
    pad = " " if longest or text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def markdown_prose(text: str, flavor: str = "gfm") -> str:
    """Escape tmcode's own sentences, which quote ids in backticks: the ids become code spans."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: all plain text
        return markdown_text(text, flavor)
    return "".join(
        markdown_code(p, flavor) if i % 2 else markdown_text(p, flavor) for i, p in enumerate(parts)
    )


def xml_text(text: str) -> str:
    """Text for an XML 1.0 (or HTML) element or attribute: hidden characters shown as escapes.

    What XML 1.0 cannot carry at all (most C0 controls, lone surrogates, U+FFFE, U+FFFF) never
    reaches the writer; the writer or the template escapes the markup characters.
    """
    return reveal(text, layout=True)


def relative_path(path: str) -> str:
    """Return ``path`` relative to the working directory when it lies below it, with '/'."""
    absolute = os.path.abspath(path)
    here = os.path.abspath(os.getcwd())
    if absolute == here or absolute.startswith(here + os.sep):
        path = os.path.relpath(absolute, here)
    return path.replace(os.sep, "/")
