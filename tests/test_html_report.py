"""The HTML report as a deliverable: summary, explained findings, links, legend, print, browser."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from browser import open_browser, pdf_pages, screenshot_dir
from conftest import ROOT, bundled_models
from payload import payload_model_text
from tmcode.catalog.load import load_catalog
from tmcode.engine import check
from tmcode.model.load import load_model
from tmcode.render import RenderOptions, render
from tmcode.render.diagram import graphviz_available
from tmcode.render.html import TOP_RISKS, href, rich
from tmcode.render.palette import SEVERITY_STYLE
from tmcode.render.wording import STATUS_WORDS, status_counts
from tmcode.report import GATING_STATUSES, FailOn, Status

TODAY = dt.date(2026, 11, 26)
BUNDLED = ["support-copilot", "ide-agent", "model-pipeline"]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture
def in_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def report_of(catalog, path: Path | str):
    return check([load_model(path)], catalog, today=TODAY)


class Page(HTMLParser):
    """The parts of a report the tests look at: elements by id, their text, links, classes."""

    VOID = {"meta", "br", "img", "link", "input", "hr", "col", "source", "wbr"}
    BLOCKS = {"td", "th", "tr", "li", "p", "dd", "dt", "div", "h1", "h2", "h3", "h4", "br"}

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.text_by_id: dict[str, list[str]] = {}
        self.links_by_id: dict[str, list[tuple[str, str]]] = {}  # id -> (href, class)
        self.classes_by_id: dict[str, str] = {}
        self.parent_ids: dict[str, list[str]] = {}
        self.scripts = 0
        self.handlers: list[str] = []
        self.hrefs: list[str] = []
        self.text: list[str] = []
        self._pre = 0
        self.feed(html)

    def _open_ids(self) -> list[str]:
        return [attrs["id"] for _, attrs in self.stack if "id" in attrs]

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "script":
            self.scripts += 1
        self.handlers += [k for k in a if k.startswith("on")]
        if tag in self.BLOCKS:  # a cell or a block ends a word
            for open_id in self._open_ids():
                self.text_by_id.setdefault(open_id, []).append(" ")
        if "href" in a:
            self.hrefs.append(a["href"])
            for open_id in self._open_ids():
                self.links_by_id.setdefault(open_id, []).append((a["href"], a.get("class", "")))
        if "id" in a:
            self.classes_by_id[a["id"]] = a.get("class", "")
            self.parent_ids[a["id"]] = self._open_ids()
        if tag == "pre":
            self._pre += 1
        if tag not in self.VOID:
            self.stack.append((tag, a))

    def handle_endtag(self, tag):
        if tag == "pre":
            self._pre -= 1
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag == tag:
                break

    def handle_data(self, data):
        if not self._pre:
            self.text.append(data)
        for open_id in self._open_ids():
            self.text_by_id.setdefault(open_id, []).append(data)

    def of(self, element_id: str) -> str:
        """The text of the element with that id, whitespace folded."""
        return " ".join("".join(self.text_by_id.get(element_id, [])).split())


def folded(text: str) -> str:
    return " ".join(re.sub(r"`+", "", text).split())


@pytest.mark.parametrize("name", BUNDLED)
def test_the_summary_comes_first_with_the_same_counts_as_text(catalog, in_root, name) -> None:
    report = report_of(catalog, f"models/{name}.yaml")
    html = render(report, "html", RenderOptions(svg=False))
    page = Page(html)
    summary = page.of("summary")
    assert html.index('id="summary"') < html.index('id="findings"')
    assert status_counts(report.summary) in summary
    assert status_counts(report.summary) in render(report, "text")
    verdict = page.of("verdict")
    assert verdict.startswith(("FAIL", "PASS"))
    # The counts table: one row per severity, the same numbers as the report's summary.
    counts = page.of("counts")
    matrix = report.summary["by_severity_and_status"]
    for severity, row in matrix.items():
        cells = " ".join(str(row[st.value]) for st in STATUS_WORDS)
        total = report.summary["by_severity"][severity]
        assert f"{severity} {cells} {total}" in counts, (severity, counts)
    # Top risks: the worst open findings, each a sentence linking to its finding.
    gating = [f for f in report.findings if f.status in GATING_STATUSES]
    top = [h for h, _ in page.links_by_id.get("top-risks", [])]
    assert len(top) == min(TOP_RISKS, len(gating))
    worst = max(f.severity for f in gating)
    first = next(f for f in report.findings if f"#{f.id}" == top[0])
    assert first.severity == worst
    assert folded(first.message) in page.of("top-risks")


@pytest.mark.parametrize("name", BUNDLED)
def test_each_finding_is_explained_linked_and_shows_its_controls(catalog, in_root, name) -> None:
    report = report_of(catalog, f"models/{name}.yaml")
    page = Page(render(report, "html", RenderOptions(svg=False)))
    model = report.sources[0].model
    for f in report.findings:
        assert f.id in page.classes_by_id, f.id
        assert page.classes_by_id[f.id] == f"finding {f.status.value}"
        # The finding sits under its threat, which explains it in the catalog's words.
        assert f"threat-{f.threat}" in page.parent_ids[f.id]
        threat = page.of(f"threat-{f.threat}")
        docs = catalog.threats[f.threat].threat.docs
        for prose in (docs.what_it_detects, docs.why_it_matters, docs.mitigations):
            assert folded(prose) in threat, (f.threat, prose)
        text = page.of(f.id)
        assert folded(f.message) in text and STATUS_WORDS[f.status] in text
        # A link to the model line where the target is written.
        links = dict(page.links_by_id[f.id])
        assert f"models/{name}.yaml#L{f.location.line}" in links
        assert f"models/{name}.yaml:{f.location.line}" in text
        # Labelled paths when the rule gives them (each with its label), else the chain.
        for element in [e for p in f.paths for e in p.elements] or f.elements:
            assert element in text
        for p in f.paths:
            assert folded(p.label.replace("`", "")) in text
        for cs in f.controls:
            for control in cs.missing:
                assert control in text
        if f.status is Status.mitigated:
            n = next(i for i, cs in enumerate(f.controls, 1) if cs.satisfied)
            assert "Mitigated by set" in text and str(n) in text.split("Mitigated by set")[1]
        elif f.status in GATING_STATUSES and f.controls:
            assert "Not mitigated" in text
        if f.decision is not None:
            assert f.decision.reason in text
            assert (f.decision.owner or "") in text and (f.decision.expires or "") in text
        owner = f.target if f.target in model.components else None
        code = getattr(model.components.get(owner or ""), "code", None)
        if code:
            assert any(h.startswith(code.rstrip("/")) for h in links), (code, links)


def test_support_copilot_links_its_code_and_its_accepted_risk(catalog, in_root) -> None:
    report = report_of(catalog, "models/support-copilot.yaml")
    page = Page(render(report, "html", RenderOptions(svg=False)))
    copilot = [f for f in report.findings if f.target == "copilot"]
    assert copilot
    for f in copilot:
        assert ("src/copilot/", "file") in page.links_by_id[f.id]
    accepted = next(f for f in report.findings if f.status is Status.accepted)
    decisions = page.of("decisions")
    assert "support-platform" in decisions and "2027-06-30" in decisions
    assert f"#{accepted.id}" in [h for h, _ in page.links_by_id["decisions"]]


@pytest.mark.parametrize("name", BUNDLED)
def test_no_markdown_syntax_is_left_in_the_page(catalog, in_root, name) -> None:
    html = render(report_of(catalog, f"models/{name}.yaml"), "html", RenderOptions(svg=False))
    page = Page(html)
    text = "".join(page.text)  # outside the Mermaid source, which is code to paste
    assert "`" not in text
    assert "**" not in text
    assert "<code>" in html


def test_the_legend_uses_the_palette_and_the_status_words(catalog, in_root) -> None:
    html = render(report_of(catalog, "models/ide-agent.yaml"), "html", RenderOptions(svg=False))
    page = Page(html)
    legend = page.of("legend")
    for severity, style in SEVERITY_STYLE.items():
        assert (
            f".sev.{severity.value} {{ background: {style.fill}; border-color: {style.ink}; }}"
            in html
        )
        assert severity.value in legend
    for word in STATUS_WORDS.values():
        assert word in page.of("status-legend")
    # The matrix is the engine's: likelihood low and impact critical make high.
    assert "low info low medium high" in page.of("severity-matrix")


def test_rich_renders_code_spans_and_escapes_everything_else() -> None:
    assert rich("Agent `copilot` <b>&</b>") == "Agent <code>copilot</code> &lt;b&gt;&amp;&lt;/b&gt;"
    assert rich("``a`b`` and `x`") == "<code>a`b</code> and <code>x</code>"
    assert rich("one ` tick") == "one ` tick"
    assert rich("`<script>`") == "<code>&lt;script&gt;</code>"
    assert rich("bidi \u202eevil") == "bidi \\u202eevil"
    assert rich('say "hi"') == "say &#34;hi&#34;"


def test_links_start_from_the_report_and_never_carry_a_scheme(tmp_path: Path) -> None:
    base = str(tmp_path / "reports")
    assert href(str(tmp_path / "models" / "m.yaml"), base, 12) == "../models/m.yaml#L12"
    assert href(str(tmp_path / "src" / "app") + "/", base) == "../src/app/"
    hostile = href(str(tmp_path / "javascript:alert(1)"), str(tmp_path))
    assert hostile == "javascript%3Aalert%281%29"
    assert href(str(tmp_path / "a b\u202e.yaml"), str(tmp_path)) == "a%20b%E2%80%AE.yaml"


def test_links_follow_the_output_folder(cli, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "models").mkdir()
    shutil.copy(ROOT / "models" / "support-copilot.yaml", tmp_path / "models")
    monkeypatch.chdir(tmp_path)
    result = cli(
        "check", "models/support-copilot.yaml", "-f", "html", "-o", "out/tm.html",
        "--fail-on", "none",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    page = Page((tmp_path / "out" / "tm.html").read_text(encoding="utf-8"))
    assert "../models/support-copilot.yaml#L58" in page.hrefs
    assert "../src/copilot/" in page.hrefs
    assert "models/support-copilot.yaml:58" in "".join(page.text)


def test_the_payload_model_renders_harmless(catalog, tmp_path: Path) -> None:
    model = tmp_path / "payload.yaml"
    model.write_text(payload_model_text(), encoding="utf-8")
    report = report_of(catalog, model)
    html = render(report, "html", RenderOptions(svg=graphviz_available()))
    page = Page(html)
    assert page.scripts == 0 and not page.handlers
    for link in page.hrefs:
        assert link.startswith("#") or not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", link), link
    assert "<script" not in html and "<img" not in html
    assert "\x1b" not in html and "\x07" not in html
    assert len(page.classes_by_id) > len(report.findings)  # every finding was rendered


# Browser checks: open the reports from disk, network off; pictures go to $TMCODE_SCREENSHOTS.


@pytest.fixture(scope="module")
def browser():
    with open_browser() as b:
        yield b


_DIAGRAM_PROBE = """() => {
  const svg = document.querySelector("figure.diagram svg");
  return {
    svg: svg ? svg.getBoundingClientRect().width : 0,
    scripts: document.scripts.length,
    findings: document.querySelectorAll("article.finding").length,
  };
}"""


def _workspace(tmp_path: Path, model: Path) -> Path:
    """A copy of the repository's layout: the model, and the code paths its components name."""
    (tmp_path / "models").mkdir(exist_ok=True)
    copy = tmp_path / "models" / model.name
    shutil.copy(model, copy)
    for component in load_model(copy).model.components.values():
        code = getattr(component, "code", None)
        for path in [code] if isinstance(code, str) else list(code or []):
            target = tmp_path / path
            if path.endswith("/"):
                target.mkdir(parents=True, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text("# code\n")
    return copy


def test_every_example_report_opens_offline_cleanly(
    catalog, browser, tmp_path: Path, monkeypatch
) -> None:
    shots = screenshot_dir(tmp_path / "screenshots")
    monkeypatch.chdir(tmp_path)
    models = [m for m in bundled_models() if m.suffix == ".yaml"]
    assert len(models) >= 10
    for model in models:
        name = model.stem + ("-mitigated" if model.parent.name == "mitigated" else "")
        copy = _workspace(tmp_path, model)
        out = tmp_path / "reports" / f"{name}.html"
        out.parent.mkdir(exist_ok=True)
        report = report_of(catalog, copy.relative_to(tmp_path))
        out.write_text(render(report, "html", RenderOptions(output=str(out))), encoding="utf-8")
        picture = shots / f"report-{name}.png" if model.stem in BUNDLED else None
        visit = browser.visit(out, screenshot=picture, probe=_DIAGRAM_PROBE, settle_ms=0)
        assert not visit.outside, (name, visit.outside)
        assert not visit.errors, (name, visit.errors)
        assert not browser.broken_links(visit, directories_ok=True), name
        assert visit.probe["scripts"] == 0
        assert visit.probe["findings"] == len(report.findings)
        if graphviz_available():
            assert visit.probe["svg"] > 300, (name, visit.probe)  # drawn, at a readable width
        if picture is not None:
            assert picture.stat().st_size > 10_000


def test_the_payload_report_is_harmless_in_a_browser(catalog, browser, tmp_path: Path) -> None:
    model = tmp_path / "payload.yaml"
    model.write_text(payload_model_text(), encoding="utf-8")
    out = tmp_path / "payload.html"
    out.write_text(render(report_of(catalog, model), "html", RenderOptions(output=str(out))))
    shots = screenshot_dir(tmp_path / "screenshots")
    visit = browser.visit(
        out, screenshot=shots / "report-payload.png", probe=_DIAGRAM_PROBE, settle_ms=0
    )
    assert visit.title.startswith("Threat model report: ")  # the text is shown, not run
    assert not visit.outside and not visit.page_errors and visit.probe["scripts"] == 0
    # A link to a hostile `code:` path stays a relative file link: it leaves nothing.
    assert all(link.startswith("file://") for link in visit.links), visit.links


def test_printing_gives_a_paged_document(catalog, browser, tmp_path: Path, in_root) -> None:
    report = report_of(catalog, "models/support-copilot.yaml")
    page = tmp_path / "report.html"
    page.write_text(
        render(report, "html", RenderOptions(fail_on=FailOn.high, output=str(page))),
        encoding="utf-8",
    )
    pdf = browser.print_pdf(page, screenshot_dir(tmp_path / "screenshots") / "report.pdf")
    # Cover and contents, summary, legend, diagram, then the findings: several pages.
    assert pdf_pages(pdf) >= 6
    printed = browser.visit(page, media="print", width=794, probe=_DIAGRAM_PROBE)
    assert not printed.errors


def test_present_controls_say_where_they_are_written_and_link_their_evidence(
    catalog, tmp_path: Path, monkeypatch
) -> None:
    text = (ROOT / "models" / "support-copilot.yaml").read_text(encoding="utf-8")
    declared = "controls: [human_approval, budget_cap]"
    assert declared in text
    model = tmp_path / "m.yaml"
    model.write_text(
        text.replace(
            declared,
            "controls: [{id: human_approval, evidence: docs/approvals.md}, "
            "{id: budget_cap, evidence: 'javascript:alert(1)'}]",
        ),
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    report = report_of(catalog, "m.yaml")
    page = Page(render(report, "html", RenderOptions(svg=False)))
    refunds = next(
        f for f in report.findings if f.threat == "AG-001" and f.target.endswith("refunds")
    )
    assert refunds.status is Status.mitigated
    text = page.of(refunds.id)
    assert "human_approval on copilot.tools.refunds · evidence: docs/approvals.md" in text
    assert ("docs/approvals.md", "file") in page.links_by_id[refunds.id]
    # Evidence that is not a repository path or a web address is shown, never linked.
    capped = next(f for f in report.findings if f.threat == "HUM-002")
    assert "budget_cap on copilot.tools.refunds · evidence: javascript:alert(1)" in page.of(
        capped.id
    )
    assert not [h for h in page.hrefs if "javascript" in h.lower()]


def test_drift_findings_link_the_config_line_and_are_marked_new(
    cli, tmp_path: Path, monkeypatch
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "tests" / "discover" / "repo-agents", repo)
    monkeypatch.chdir(tmp_path)
    assert cli("discover", "repo", "-o", "repo/threat-model.yaml").exit_code == 0
    base = ("check", "repo/threat-model.yaml", "--discover", "repo")
    assert cli(*base, "-f", "json", "-o", "main.json", "--fail-on", "none").exit_code == 0
    config = repo / ".mcp.json"
    config.write_text(
        config.read_text().replace(
            '"mcpServers": {', '"mcpServers": {\n    "prod-db": {"command": "uvx"},', 1
        )
    )
    result = cli(
        *base, "--baseline", "main.json", "--fail-on-new", "-f", "html", "-o", "out/r.html"
    )
    assert result.exit_code == 1, result.output  # the new server fails the gate
    page = Page((tmp_path / "out" / "r.html").read_text(encoding="utf-8"))
    drift = page.of("threat-DRIFT-001")
    assert "prod-db" in drift and "new" in drift
    assert any(h.startswith("../repo/.mcp.json#L") for h, _ in page.links_by_id["threat-DRIFT-001"])
    assert "Compared with the baseline: 1 new" in page.of("baseline")


def test_blast_radius_section_only_with_reach() -> None:
    from tmcode.pipeline import check_files, with_reach
    from tmcode.render import RenderOptions, render

    path = ROOT / "models" / "coding-agent.yaml"
    report = check_files([path], today=dt.date(2026, 11, 26))
    assert 'id="reach"' not in render(report, "html", RenderOptions())
    page = render(with_reach(report), "html", RenderOptions())
    section = page.split('<section id="reach"', 1)[1].split("</section>", 1)[0]
    # The hand-worked radius of tests/test_reach.py: the agent sends the repo and CI secrets to
    # the internet through fetch-mcp (open, critical); the shell is cut by its sandbox.
    agent = section.split("<code>agent</code> (agent)", 1)[1].split("<h4>", 1)[0]
    fetch_row = agent.split('<code class="id">fetch-mcp</code>', 1)[1].split("</tr>", 1)[0]
    assert '<span class="sev critical">critical</span>' in fetch_row
    shell_row = agent.split('<code class="id">shell</code>', 1)[1].split("</tr>", 1)[0]
    assert "(high)" in shell_row and "sev high" not in shell_row
    assert '<a href="#reach">Blast radius</a>' in page
