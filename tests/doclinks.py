"""Find internal links in Markdown pages that do not resolve, the way mkdocs resolves them.

A link resolves when its file exists under the docs root and, when it names an ``#anchor`` in
a Markdown page, that page has a heading (or an explicit ``{#id}``) with that anchor. Anchors
are computed as mkdocs' default ``toc`` extension computes them.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown.extensions.toc import slugify, unique

FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
HEADING = re.compile(r"^\s*(#{1,6})\s*(\S.*?)\s*$")  # Python-Markdown needs no space
SETEXT = re.compile(r"^\s*(=+|-+)\s*$")
ATTRS = re.compile(r"\s*\{:?([^}]*)\}\s*$")
ATTR_ID = re.compile(r"(?:^|\s)#([^\s}]+)")
EXPLICIT_ID = re.compile(r"\{:?\s*(?:[^}]*\s)?#([\w-]+)[^}]*\}|\bid=\"([^\"]+)\"")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
INLINE_LINK = re.compile(
    r"!?\[((?:[^\[\]\\]|\\.|\[[^\]]*\])*)\]\(\s*<?([^()\s>]*)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)"
)
REFERENCE_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
TAG = re.compile(r"<[^>]+>")
EXTERNAL = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:|//)")


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """The numbered lines outside front matter and fenced code, with inline code blanked."""
    out: list[tuple[int, str]] = []
    fence = ""
    lines = text.splitlines()
    start = 0
    if lines and lines[0] == "---":  # mkdocs reads YAML front matter only at the very start
        start = next((i + 1 for i, line in enumerate(lines[1:], 1) if line in ("---", "...")), 0)
    for number, line in enumerate(lines[start:], start=start + 1):
        opened = FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
            continue
        if opened:
            fence = opened.group(1)
            continue
        out.append((number, CODE_SPAN.sub(lambda m: "`" + "x" * len(m.group(2)) + "`", line)))
    return out


def _heading_text(raw: str) -> str:
    """The text mkdocs slugifies: the heading's rendered text without markup."""
    text = CODE_SPAN.sub(lambda m: m.group(2), raw.rstrip("#").rstrip())
    text = INLINE_LINK.sub(lambda m: m.group(1), text)
    text = TAG.sub("", text).replace("*", "")
    return unescape(text)


def _headings(text: str) -> list[str]:
    """The raw text of every ATX and setext heading, in order."""
    lines = _prose_lines(text)
    raw = text.splitlines()
    found: list[str] = []
    for index, (number, line) in enumerate(lines):
        atx = HEADING.match(raw[number - 1])
        if atx:
            found.append(atx.group(2))
            continue
        after = lines[index + 1] if index + 1 < len(lines) else None
        if (
            line.strip()
            and after is not None
            and after[0] == number + 1
            and SETEXT.match(after[1])
            and not line.lstrip().startswith(("|", "-", "*", ">", "#", "<"))
        ):
            found.append(line.strip())
    return found


def anchors(text: str) -> set[str]:
    """Every anchor a page defines: explicit ``{#id}``/``id="..."`` ids, then heading ids
    made unique as mkdocs' toc makes them (``name``, ``name_1``, ...)."""
    found: set[str] = set()
    for _, line in _prose_lines(text):
        found.update(m.group(1) or m.group(2) for m in EXPLICIT_ID.finditer(line))
    for title in _headings(text):
        attrs = ATTRS.search(title)
        if attrs and ATTR_ID.search(attrs.group(1)):
            continue  # an explicit id, already collected
        unique(slugify(_heading_text(title[: attrs.start()] if attrs else title), "-"), found)
    return found


def links(text: str) -> list[tuple[int, str]]:
    """Every link target in a page, with its line number, outside code."""
    found: list[tuple[int, str]] = []
    for number, line in _prose_lines(text):
        found.extend((number, m.group(2)) for m in INLINE_LINK.finditer(line))
        definition = REFERENCE_DEF.match(line)
        if definition:
            found.append((number, definition.group(1)))
    return found


def _target_file(page: Path, path: str) -> Path:
    """The file a relative link names; a directory stands for its index page."""
    target = (page.parent / unquote(path)).resolve()
    if target.is_dir():
        target = target / "index.md"
    return target


def broken_links(root: Path) -> list[str]:
    """``file:line: message`` for every internal link under ``root`` that does not resolve."""
    root = root.resolve()
    pages = sorted(root.rglob("*.md"))
    cache: dict[Path, set[str]] = {}

    def anchors_of(page: Path) -> set[str]:
        if page not in cache:
            cache[page] = anchors(page.read_text(encoding="utf-8"))
        return cache[page]

    broken: list[str] = []
    for page in pages:
        shown = page.relative_to(root.parent)
        for number, target in links(page.read_text(encoding="utf-8")):
            if not target or EXTERNAL.match(target):
                continue
            parts = urlsplit(target)
            where = f"{shown}:{number}: link `{target}`"
            if parts.path.startswith("/"):
                broken.append(f"{where} is absolute; link relative to the page")
                continue
            file = _target_file(page, parts.path) if parts.path else page
            if not file.is_relative_to(root):
                broken.append(f"{where} leaves {root.name}/")
            elif not file.is_file():
                broken.append(f"{where}: no file {file.relative_to(root.parent)}")
            elif parts.fragment and file.suffix == ".md":
                if unquote(parts.fragment) not in anchors_of(file):
                    broken.append(
                        f"{where}: no heading `#{parts.fragment}` in "
                        f"{file.relative_to(root.parent)}"
                    )
    return broken
