"""Headless Chromium for tests: open pages from disk with the network off and see what they do.

A page is opened from a ``file://`` URL in a fresh browser profile. Every request it makes is
recorded; one whose scheme is not ``file``, ``data``, ``blob`` or ``about`` is an *outside*
request: it is recorded and aborted, never sent (and the host resolver maps every name to
nothing, so even a request the router does not see cannot leave). Console errors and uncaught
page errors are collected, links can be checked against the files on disk, and a page can be
saved as a screenshot or printed to PDF.

Used with pytest::

    @pytest.fixture(scope="module")
    def browser():
        with open_browser() as b:  # skips the tests, saying why, without Chromium or Playwright
            yield b

    def test_page(browser, tmp_path):
        visit = browser.visit(tmp_path / "report.html", screenshot=tmp_path / "report.png")
        assert not visit.outside and not visit.console_errors
        assert not browser.broken_links(visit)

By hand: ``python tests/browser.py PAGE.html [--screenshot OUT.png] [--pdf OUT.pdf]``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

# Schemes a page may load from without leaving the machine.
LOCAL_SCHEMES = frozenset({"file", "data", "blob", "about"})
# This machine's (and CI's) network is closed: nothing may be tried, nothing may be fetched.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-default-browser-check",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
SCREENSHOT_DIR_ENV = "TMCODE_SCREENSHOTS"


def chromium_path() -> str | None:
    """The system Chromium (no browser is downloaded), or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def unavailable() -> str | None:
    """Why the browser cannot run here, or None when it can."""
    if chromium_path() is None:
        return "headless Chromium is not installed (CI installs it: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    return None


def screenshot_dir(fallback: Path) -> Path:
    """Where screenshots go: ``$TMCODE_SCREENSHOTS`` when set (CI keeps them), else ``fallback``."""
    chosen = os.environ.get(SCREENSHOT_DIR_ENV)
    path = Path(chosen) if chosen else fallback
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Visit:
    """What one page did when it was opened."""

    path: Path
    url: str
    title: str
    html: str
    requests: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # every href/src, resolved to absolute URLs
    screenshot: Path | None = None
    probe: Any = None  # what the ``probe`` script returned, when one was given

    @property
    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed local loads together."""
        return self.console_errors + self.page_errors + self.failed


class _Ids(HTMLParser):
    """The ids and anchor names of an HTML file, for checking ``#fragment`` links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if value is not None and (key == "id" or (key == "name" and tag == "a")):
                self.ids.add(value)


_LINKS_JS = """() => {
  const out = [];
  const attrs = [["a", "href"], ["area", "href"], ["link", "href"], ["img", "src"],
                 ["script", "src"], ["iframe", "src"], ["source", "src"], ["embed", "src"],
                 ["object", "data"]];
  for (const [tag, attr] of attrs) {
    for (const el of document.querySelectorAll(tag + "[" + attr + "]")) {
      out.push(new URL(el.getAttribute(attr), document.baseURI).href);
    }
  }
  for (const el of document.querySelectorAll("a")) {
    const href = el.getAttribute("xlink:href") || el.getAttributeNS("http://www.w3.org/1999/xlink", "href");
    if (href) out.push(new URL(href, document.baseURI).href);
  }
  return out;
}"""


class Browser:
    """One headless Chromium with a fresh profile; open pages with :meth:`visit`."""

    def __init__(self, context: Any, profile: Path, executable: str) -> None:
        self._context = context
        self.profile = profile
        self.executable = executable
        self._ids: dict[Path, set[str]] = {}

    def visit(
        self,
        path: Path,
        *,
        screenshot: Path | None = None,
        full_page: bool | None = None,
        width: int = 1280,
        height: int = 900,
        media: str = "screen",
        settle_ms: int = 300,
        probe: str | None = None,
    ) -> Visit:
        """Open ``path`` (a file, or a directory's ``index.html``) and record what it does.

        ``probe`` is a JavaScript function run in the loaded page (``"() => document.title"``);
        its JSON-able result is kept as ``Visit.probe``, e.g. to check a diagram was drawn.
        A screenshot shows the whole page when ``full_page``; by default only when
        ``$TMCODE_SCREENSHOTS`` is set (a long page takes seconds), else the first screen.
        """
        if full_page is None:
            full_page = bool(os.environ.get(SCREENSHOT_DIR_ENV))
        path = Path(path).resolve()
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            raise FileNotFoundError(f"no page at {path}")
        requests: list[str] = []
        outside: list[str] = []
        failed: list[str] = []
        console_errors: list[str] = []
        page_errors: list[str] = []

        def route(r: Any) -> None:
            url = r.request.url
            if urlsplit(url).scheme in LOCAL_SCHEMES:
                r.continue_()
            else:
                outside.append(url)
                r.abort("blockedbyclient")

        page = self._context.new_page()
        try:
            page.set_viewport_size({"width": width, "height": height})
            page.emulate_media(media=media)
            page.route("**/*", route)
            page.on("request", lambda req: requests.append(req.url))
            page.on(
                "requestfailed",
                lambda req: (
                    failed.append(f"{req.url}: {req.failure}")
                    if urlsplit(req.url).scheme in LOCAL_SCHEMES
                    else None
                ),
            )
            page.on(
                "console",
                lambda msg: (
                    console_errors.append(f"{msg.text} ({msg.location.get('url', '')})")
                    if msg.type == "error"
                    else None
                ),
            )
            page.on("pageerror", lambda exc: page_errors.append(str(exc)))
            page.goto(path.as_uri(), wait_until="load", timeout=60_000)
            page.wait_for_timeout(settle_ms)
            for url in requests:  # what bypassed the router (a service worker, a prefetch)
                if urlsplit(url).scheme not in LOCAL_SCHEMES and url not in outside:
                    outside.append(url)
            visit = Visit(
                path=path,
                url=page.url,
                title=page.title(),
                html=page.content(),
                requests=requests,
                outside=outside,
                failed=failed,
                console_errors=console_errors,
                page_errors=page_errors,
                links=page.evaluate(_LINKS_JS),
                probe=page.evaluate(probe) if probe else None,
            )
            if screenshot is not None:
                screenshot = Path(screenshot)
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=full_page)
                visit.screenshot = screenshot
            return visit
        finally:
            page.close()

    def _ids_of(self, path: Path) -> set[str]:
        if path not in self._ids:
            parser = _Ids()
            parser.feed(path.read_text(encoding="utf-8", errors="replace"))
            self._ids[path] = parser.ids
        return self._ids[path]

    def broken_links(
        self, visit: Visit, *, allow_outside: bool = False, directories_ok: bool = False
    ) -> list[str]:
        """Links of ``visit`` that do not resolve: no file, a bare directory, no such anchor.

        A link to a directory counts as broken when it has no ``index.html`` (from disk the
        browser shows a listing); a link outside (``https:``) is broken unless
        ``allow_outside``. ``mailto:`` and ``javascript:`` links are reported too. With
        ``directories_ok`` a link to an existing directory is fine (a report pointing at code).
        """
        problems: list[str] = []
        for url in dict.fromkeys(visit.links):
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if parts.scheme != "file":
                if not (allow_outside and parts.scheme in ("http", "https")):
                    problems.append(f"{url}: leaves the page's files")
                continue
            target = Path(unquote(parts.path))
            if target.is_dir():
                if directories_ok and not (target / "index.html").is_file():
                    continue
                if not (target / "index.html").is_file():
                    problems.append(f"{url}: a directory without index.html")
                    continue
                target = target / "index.html"
            if not target.is_file():
                problems.append(f"{url}: no file {target}")
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix in (".html", ".htm", ""):
                if fragment not in self._ids_of(target):
                    problems.append(f"{url}: no id {fragment!r} in {target.name}")
        return problems

    def print_pdf(self, path: Path, out: Path, *, timeout: float = 120) -> Path:
        """Print ``path`` as a browser does (``chromium --headless --print-to-pdf``) to ``out``."""
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="tmcode-pdf-") as profile:
            subprocess.run(
                [
                    self.executable,
                    "--headless",
                    *CHROMIUM_ARGS,
                    f"--user-data-dir={profile}",
                    "--no-pdf-header-footer",
                    f"--print-to-pdf={out}",
                    Path(path).resolve().as_uri(),
                ],
                capture_output=True,
                timeout=timeout,
                check=True,
            )
        if not out.is_file() or not out.read_bytes().startswith(b"%PDF"):
            raise RuntimeError(f"Chromium wrote no PDF to {out}")
        return out


_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def pdf_pages(path: Path) -> int:
    """The number of pages of a PDF written by Chromium (its page objects are not compressed)."""
    return len(_PDF_PAGE.findall(Path(path).read_bytes()))


@contextmanager
def open_browser() -> Iterator[Browser]:
    """Start headless Chromium with a fresh profile; skip the calling test when it cannot run."""
    reason = unavailable()
    if reason is not None:
        import pytest

        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    assert executable is not None
    with tempfile.TemporaryDirectory(prefix="tmcode-chromium-") as profile:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile,
                executable_path=executable,
                headless=True,
                args=CHROMIUM_ARGS,
                offline=True,
                service_workers="block",
                accept_downloads=False,
            )
            try:
                yield Browser(context, Path(profile), executable)
            finally:
                context.close()


def main(argv: list[str]) -> int:
    """Open one page by hand: print what it requested and what broke; save a picture or PDF."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("--screenshot", type=Path)
    parser.add_argument("--pdf", type=Path)
    parser.add_argument("--width", type=int, default=1280)
    args = parser.parse_args(argv)
    reason = unavailable()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    with open_browser() as browser:
        visit = browser.visit(args.page, screenshot=args.screenshot, width=args.width)
        print(f"{visit.url}: {visit.title!r}, {len(visit.requests)} request(s)")
        for label, items in (
            ("outside request", visit.outside),
            ("error", visit.errors),
            ("broken link", browser.broken_links(visit)),
        ):
            for item in items:
                print(f"  {label}: {item}")
        if args.pdf:
            browser.print_pdf(args.page, args.pdf)
            print(f"  {pdf_pages(args.pdf)} PDF page(s) in {args.pdf}")
        bad = visit.outside or visit.errors
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
