"""The browser harness itself: it sees outside requests, errors and broken links."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser import open_browser, pdf_pages


@pytest.fixture(scope="module")
def browser():
    with open_browser() as b:
        yield b


def test_outside_requests_are_recorded_and_never_sent(browser, tmp_path: Path) -> None:
    (tmp_path / "local.css").write_text("body { color: #333; }")
    page = tmp_path / "page.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>t</title>"
        '<link rel="stylesheet" href="local.css">'
        '<link rel="stylesheet" href="https://cdn.example.invalid/x.css">'
        "</head><body>"
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<img src="http://fonts.example.invalid/pic.png">'
        "</body></html>"
    )
    visit = browser.visit(page, screenshot=tmp_path / "shot.png")
    assert visit.title == "t"
    assert sorted(visit.outside) == [
        "http://fonts.example.invalid/pic.png",
        "https://cdn.example.invalid/x.css",
    ]
    assert any(url.endswith("/local.css") for url in visit.requests)
    assert (tmp_path / "shot.png").read_bytes().startswith(b"\x89PNG")


def test_console_and_page_errors_and_missing_files_are_collected(browser, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<!DOCTYPE html><title>e</title><body>"
        "<script>console.error('told ' + 'you'); undefinedFunction();</script>"
        '<img src="missing.png"></body>'
    )
    visit = browser.visit(page)
    assert any("told you" in e for e in visit.console_errors)
    assert any("undefinedFunction" in e for e in visit.page_errors)
    assert any("missing.png" in e for e in visit.failed)
    assert not visit.outside


def test_broken_links_name_each_problem(browser, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "index.html").write_text('<h1 id="top">sub</h1>')
    (tmp_path / "bare").mkdir()
    (tmp_path / "other.html").write_text('<p id="here">x</p>')
    page = tmp_path / "page.html"
    page.write_text(
        '<!DOCTYPE html><title>l</title><body><p id="me">x</p>'
        '<a href="#me">ok</a> <a href="sub/">ok</a> <a href="other.html#here">ok</a>'
        '<a href="sub/index.html#top">ok</a>'
        '<a href="#nobody">bad</a> <a href="bare/">bad</a> <a href="gone.html">bad</a>'
        '<a href="other.html#there">bad</a> <a href="https://example.invalid/">out</a>'
        "</body>"
    )
    visit = browser.visit(page)
    problems = browser.broken_links(visit)
    assert len(problems) == 5, problems
    for word in ("#nobody", "bare/: a directory", "gone.html: no file", "'there'", "leaves"):
        assert any(word in p for p in problems), (word, problems)
    assert len(browser.broken_links(visit, allow_outside=True)) == 4
    assert len(browser.broken_links(visit, allow_outside=True, directories_ok=True)) == 3


def test_a_probe_reads_the_rendered_page(browser, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text('<!DOCTYPE html><title>p</title><div id="box" style="width: 321px">x</div>')
    visit = browser.visit(page, probe="() => document.getElementById('box').offsetWidth")
    assert visit.probe == 321


def test_print_to_pdf_counts_pages(browser, tmp_path: Path) -> None:
    page = tmp_path / "long.html"
    page.write_text(
        "<!DOCTYPE html><title>p</title><body>"
        + "".join(f'<h2 style="break-before: page">Part {i}</h2>' for i in range(3))
        + "</body>"
    )
    pdf = browser.print_pdf(page, tmp_path / "long.pdf")
    assert pdf_pages(pdf) == 3
