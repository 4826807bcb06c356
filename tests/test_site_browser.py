"""The built site, opened from disk in headless Chromium with the network off.

Nothing may be requested outside the site, every link must resolve to a file of the site, and
attack paths must be pictures (Graphviz SVG, or Mermaid drawn by the bundled copy), never raw
diagram source. Screenshots of the front page, a finding page and the permission matrix go to
``$TMCODE_SCREENSHOTS`` (or a temporary folder) for review.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from browser import open_browser, screenshot_dir
from conftest import ROOT
from payload import payload_model_text

from tmcode.catalog.load import load_catalog
from tmcode.engine import check
from tmcode.model.load import load_model
from tmcode.render.diagram import graphviz_available
from tmcode.render.site import build_site, site_files, write_site

TODAY = dt.date(2026, 11, 26)
MODELS = ["support-copilot", "research-workflow"]
needs_dot = pytest.mark.skipif(
    not graphviz_available(), reason="Graphviz `dot` is not installed (CI installs it)"
)


@pytest.fixture(scope="module")
def browser():
    with open_browser() as b:  # skips, saying why, without Chromium or Playwright
        yield b


def _build(folder: Path, models: list[Path], *, svg: bool) -> Path:
    report = check([load_model(m) for m in models], load_catalog(), today=TODAY)
    write_site(site_files(report, svg=svg), folder)
    build_site(folder)
    return folder / "site"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    if not graphviz_available():
        pytest.skip("Graphviz `dot` is not installed (CI installs it)")
    folder = tmp_path_factory.mktemp("site")
    return _build(folder, [ROOT / "models" / f"{m}.yaml" for m in MODELS], svg=True)


@pytest.fixture(scope="module")
def built_without_dot(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("site-mermaid")
    return _build(folder, [ROOT / "models" / "support-copilot.yaml"], svg=False)


_PICTURES = """() => Array.from(document.querySelectorAll('.tmcode-viewport')).map(v => {
  const picture = v.querySelector('img, svg');
  const box = picture ? picture.getBoundingClientRect() : {width: 0, height: 0};
  return {tag: picture ? picture.tagName.toLowerCase() : null,
          width: box.width, height: box.height,
          natural: picture && picture.naturalWidth !== undefined ? picture.naturalWidth : -1,
          raw: v.innerText.includes('flowchart') || v.innerText.includes('-->')};
})"""


def _finding_with_path(site: Path, system: str) -> Path:
    """A finding page of ``system`` that shows an attack path."""
    for page in sorted((site / system / "findings").glob("*.html")):
        if "tmcode-viewport" in page.read_text(encoding="utf-8"):
            return page
    raise AssertionError(f"no finding page of {system} shows an attack path")


def test_site_asks_nothing_outside_and_every_link_resolves(browser, built) -> None:
    pages = [built / "index.html", built / "standards.html", built / "threats" / "index.html"]
    pages += [built / "threats" / "PI-002.html"]
    for system in MODELS:
        pages += sorted((built / system).glob("*.html"))
        pages += sorted((built / system / "findings").glob("*.html"))[:2]
        pages += sorted((built / system / "components").glob("*.html"))[:1]
    assert len(pages) > 20
    for page in pages:
        visit = browser.visit(page)
        assert not visit.outside, (page, visit.outside)
        assert not visit.errors, (page, visit.errors)
        # The cross-walks cite each source: a link a reader may follow, never a
        # request the page makes (visit.outside above stays empty).
        citing = page.name in ("standards.html", "assurance.html")
        broken = browser.broken_links(visit, allow_outside=citing)
        assert not broken, (page, broken)
        # No link names a folder: from disk that shows a directory listing.
        assert not [u for u in visit.links if u.startswith("file:") and u.endswith("/")], page


@needs_dot
def test_attack_paths_are_svg_pictures_with_legend_and_title(browser, built) -> None:
    page = _finding_with_path(built, "support-copilot")
    pictures = browser.visit(page, probe=_PICTURES).probe
    assert pictures and all(
        p["tag"] == "img" and p["width"] > 100 and p["height"] > 50 and p["natural"] > 0
        for p in pictures
    ), pictures
    html = page.read_text(encoding="utf-8")
    assert "Attack path of " in html and "legend.svg" in html
    assert 'data-zoom="in"' in html and 'data-zoom="fit"' in html


def test_without_graphviz_the_bundled_mermaid_draws_every_diagram(
    browser, built_without_dot
) -> None:
    site = built_without_dot
    config = (site.parent / "mkdocs.yml").read_text(encoding="utf-8")
    assert "javascripts/mermaid.min.js" in config and "unpkg" not in config
    for page in (
        site / "support-copilot" / "index.html",
        _finding_with_path(site, "support-copilot"),
    ):
        visit = browser.visit(page, probe=_PICTURES, settle_ms=1000)  # Mermaid draws first
        assert not visit.outside and not visit.errors, (page, visit.outside, visit.errors)
        pictures = visit.probe
        assert pictures, page
        for p in pictures:
            assert p["tag"] == "svg" and p["width"] > 100 and p["height"] > 50, (page, p)
            assert not p["raw"], f"Mermaid source left as text on {page}"


def test_screenshots_of_front_page_finding_and_matrix(browser, built, tmp_path) -> None:
    out = screenshot_dir(tmp_path / "screenshots")
    shots = {
        "site-front-page.png": built / "support-copilot" / "index.html",
        "site-finding.png": _finding_with_path(built, "support-copilot"),
        "site-permission-matrix.png": built / "research-workflow" / "permissions.html",
        "site-home.png": built / "index.html",
    }
    for name, page in shots.items():
        visit = browser.visit(page, screenshot=out / name)
        assert visit.screenshot is not None and visit.screenshot.stat().st_size > 10_000, name
    matrix = (built / "research-workflow" / "permissions.html").read_text(encoding="utf-8")
    assert matrix.count("<tr><th>") >= 2, "one row per agent"


def test_payload_model_renders_harmless(browser, tmp_path) -> None:
    model = tmp_path / "payload.yaml"
    model.write_text(payload_model_text(), encoding="utf-8")
    site = _build(tmp_path / "payload-site", [model], svg=graphviz_available())
    pages = [p for p in sorted(site.rglob("*.html")) if "threats" not in p.parts]
    assert len(pages) >= 8
    pages = [p for p in pages if "components" not in p.parts][:12]
    for page in pages:
        visit = browser.visit(page)
        assert not visit.outside, (page, visit.outside)
        assert not visit.page_errors, (page, visit.page_errors)
        assert visit.title != "pwned", page  # the name is shown as text, its script never runs
        assert not [u for u in visit.links if u.startswith("javascript:")], page


def test_site_configuration_keeps_the_site_offline(tmp_path) -> None:
    report = check(
        [load_model(ROOT / "models" / "support-copilot.yaml")], load_catalog(), today=TODAY
    )
    files = site_files(report, svg=False)
    config = yaml.safe_load(files["mkdocs.yml"])
    assert config["use_directory_urls"] is False and config["theme"]["font"] is False
    assert config["extra"]["generator"] is False
    assert all("iframe-worker" in p and "://" not in p for p in config["extra"]["polyfills"])
    assert all("://" not in s for s in config["extra_javascript"] + config["extra_css"])
    # Without Graphviz the bundled Mermaid (and its licence) ships with the site; with it, not.
    assert config["extra_javascript"][0] == "javascripts/mermaid.min.js"
    assert {"docs/javascripts/mermaid.min.js", "docs/javascripts/mermaid.LICENSE"} <= set(files)
    if graphviz_available():
        with_dot = site_files(report, svg=True)
        assert "docs/javascripts/mermaid.min.js" not in with_dot
        assert "mermaid" not in yaml.safe_load(with_dot["mkdocs.yml"])["extra_javascript"][0]
    for name, content in files.items():
        if name.endswith((".js", ".css")) and "mermaid" not in name:
            text = content if isinstance(content, str) else content.decode("utf-8")
            assert "unpkg.com" not in text and "googleapis" not in text, name


def test_search_works_from_the_file_system(browser, built) -> None:
    # tests/browser.py has no way to type into a page: its browser context does (network off).
    tab = browser._context.new_page()
    outside: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    try:
        tab.route("**/*", route)
        tab.goto((built / "index.html").resolve().as_uri(), wait_until="load")
        tab.fill("input.md-search__input", "prompt injection")
        tab.wait_for_selector(".md-search-result__item", timeout=15_000)
        assert tab.evaluate("document.querySelectorAll('.md-search-result__item').length") > 0
    finally:
        tab.close()
    assert not outside, outside
