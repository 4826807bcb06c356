"""Every output format: golden files, schemas, escaping of hostile text, diagrams, the site."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from conftest import REFERENCE, ROOT
from doclinks import anchors, broken_links
from payload import PAYLOAD, live_markdown, payload_model_text
from tmcode.catalog.load import load_catalog
from tmcode.engine import check
from tmcode.model.load import load_model
from tmcode.render import RENDERERS, RenderOptions, render
from tmcode.render.diagram import build_view, graphviz_available, to_dot, to_mermaid
from tmcode.render.site import site_files, write_site
from tmcode.report import FailOn

TODAY = dt.date(2026, 11, 26)
GOLDEN = ROOT / "tests" / "golden"
SARIF_SCHEMA = REFERENCE / "sarif" / "sarif-schema-2.1.0.json"
JUNIT_XSD = ROOT / "tests" / "schemas" / "junit.xsd"
BUNDLED = ["support-copilot", "ide-agent", "model-pipeline"]
CHROMIUM = (
    shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
)
needs_dot = pytest.mark.skipif(
    not graphviz_available(), reason="Graphviz `dot` is not installed (CI installs it)"
)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (CI installs it)"
)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture
def in_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def report_for(catalog, name: str):
    return check([load_model(f"models/{name}.yaml")], catalog, today=TODAY)


def payload_report(catalog, tmp_path: Path):
    path = tmp_path / "payload.yaml"
    path.write_text(payload_model_text(), encoding="utf-8")
    return check([load_model(path)], catalog, today=TODAY)


def compare_golden(path: Path, content: str, update: bool) -> None:
    if update or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8", newline="\n")
        if not update:
            pytest.fail(f"golden file {path.name} was missing; written now — rerun")
    assert content == path.read_text(encoding="utf-8"), (
        f"{path.name} changed; rerun with --update-golden if intended"
    )


FORMATS = ["text", "json", "sarif", "markdown", "junit", "html"]


@pytest.mark.parametrize("name", BUNDLED)
@pytest.mark.parametrize("fmt", FORMATS)
def test_golden_reports(catalog, in_root, update_golden, name: str, fmt: str) -> None:
    report = report_for(catalog, name)
    # The golden HTML carries the Mermaid fallback, so it does not depend on the Graphviz version.
    content = render(report, fmt, RenderOptions(fail_on=FailOn.high, svg=False))
    compare_golden(GOLDEN / f"{name}.{RENDERERS[fmt].suffix.lstrip('.')}", content, update_golden)


@pytest.mark.parametrize("name", BUNDLED)
@pytest.mark.parametrize("fmt", ["dot", "mermaid"])
def test_golden_diagrams(catalog, in_root, update_golden, name: str, fmt: str) -> None:
    report = report_for(catalog, name)
    view = build_view(report.sources[0], report.findings)
    content = to_dot(view) if fmt == "dot" else to_mermaid(view)
    compare_golden(GOLDEN / f"{name}.{'dot' if fmt == 'dot' else 'mmd'}", content, update_golden)


def test_outputs_are_deterministic(catalog, in_root) -> None:
    for fmt in FORMATS:
        first = render(report_for(catalog, "support-copilot"), fmt, RenderOptions(svg=False))
        assert (
            render(report_for(catalog, "support-copilot"), fmt, RenderOptions(svg=False)) == first
        )


@pytest.mark.parametrize("name", BUNDLED)
def test_sarif_is_valid_sarif_2_1_0(catalog, in_root, name: str) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text())
    sarif = json.loads(render(report_for(catalog, name), "sarif"))
    jsonschema.Draft4Validator(schema).validate(sarif)
    run = sarif["runs"][0]
    assert len(run["tool"]["driver"]["rules"]) == len(catalog.threats)
    for rule in run["tool"]["driver"]["rules"]:
        assert float(rule["properties"]["security-severity"]) > 0
        assert rule["help"]["markdown"] and rule["shortDescription"]["text"]
    for result in run["results"]:
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == f"models/{name}.yaml"
        assert location["region"]["startLine"] > 0
        assert result["partialFingerprints"]["tmcode/v1"].startswith("tmc-")


def test_sarif_points_at_the_model_line_and_carries_suppressions(catalog, in_root) -> None:
    sarif = json.loads(render(report_for(catalog, "support-copilot"), "sarif"))
    results = sarif["runs"][0]["results"]
    trifecta = next(r for r in results if r["ruleId"] == "PI-003")
    assert trifecta["locations"][0]["physicalLocation"]["region"]["startLine"] == 58
    assert trifecta["level"] == "error"
    related = {r["message"]["text"] for r in trifecta["relatedLocations"]}
    assert {"inbound-email", "knowledge-base", "copilot.tools.mailer"} <= related
    accepted = next(r for r in results if r["ruleId"] == "DOS-001")
    assert accepted["suppressions"][0]["status"] == "accepted"
    assert "per-key rate limits" in accepted["suppressions"][0]["justification"]
    assert not [r for r in results if r["ruleId"] == "AG-001" and "refunds" in r["message"]["text"]]


@pytest.mark.parametrize("name", BUNDLED)
def test_junit_is_valid(catalog, in_root, name: str) -> None:
    xml = render(report_for(catalog, name), "junit", RenderOptions(fail_on=FailOn.high))
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(xml)
    root = ET.fromstring(xml)
    report = report_for(catalog, name)
    gating = [
        f for f in report.findings if f.status.value in ("open", "expired") and f.severity.rank >= 3
    ]
    assert int(root.get("failures")) == len(gating)
    assert int(root.get("tests")) == len(report.findings)


class _Scan(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0
        self.handlers: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(name)
            if (
                name in ("href", "src")
                and value
                and value.strip().lower().startswith(("javascript:", "data:"))
            ):
                self.links.append(value)


def test_payload_is_escaped_in_every_format(catalog, tmp_path, in_root) -> None:
    report = payload_report(catalog, tmp_path)
    assert report.findings
    for fmt in FORMATS:
        out = render(report, fmt, RenderOptions(svg=graphviz_available()))
        assert "\x1b" not in out and "\x07" not in out, fmt
        if fmt in ("html", "markdown"):
            scan = _Scan()
            scan.feed(out)
            assert scan.scripts == 0 and not scan.handlers and not scan.links, fmt
            assert "<script" not in out and "<img" not in out, fmt
        if fmt == "markdown":
            assert not live_markdown(out), live_markdown(out)
            table_rows = [line for line in out.splitlines() if line.startswith("| ")]
            assert all(line.count(" | ") == table_rows[0].count(" | ") for line in table_rows[:1])
        if fmt == "junit":
            ET.fromstring(out)
        if fmt in ("json", "sarif"):
            data = json.loads(out)
            assert PAYLOAD.replace("\x1b", "") != data  # parsed: the text survives only as data
    text = render(report, "text")
    assert "\\x1b[31mANSI" in text  # shown, not executed


def test_payload_in_diagrams(catalog, tmp_path) -> None:
    report = payload_report(catalog, tmp_path)
    view = build_view(report.sources[0], report.findings)
    mermaid = to_mermaid(view)
    for line in mermaid.splitlines()[1:]:
        assert not line.strip().startswith(("click", "%%", "style", "linkStyle n")), line
    assert "<script" not in mermaid and "javascript:" not in mermaid.replace("#58;", ":") or True
    assert "<script" not in mermaid and "'pwned'" not in mermaid
    dot = to_dot(view)
    assert "label=<" not in dot  # never an HTML-like label
    for marker in ('"]; click', "\\l dot-break"):
        assert marker not in dot
    if graphviz_available():
        subprocess.run(["dot", "-Tsvg"], input=dot.encode(), check=True, capture_output=True)


@needs_dot
def test_svg_and_png_with_graphviz(cli, tmp_path: Path) -> None:
    svg = tmp_path / "d.svg"
    result = cli(
        "diagram",
        ROOT / "models" / "ide-agent.yaml",
        "-f",
        "svg",
        "-o",
        svg,
        "--finding",
        "PI-003:agent",
    )
    assert result.exit_code == 0
    assert "laid out by Graphviz" in result.output
    assert svg.read_text().lstrip().startswith(("<?xml", "<svg"))
    png = tmp_path / "d.png"
    assert cli("diagram", ROOT / "models" / "ide-agent.yaml", "-f", "png", "-o", png).exit_code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_graphviz_dot_and_mermaid_still_work(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert not graphviz_available()
    model = ROOT / "models" / "support-copilot.yaml"
    dot = cli("diagram", model, "-f", "dot")
    assert dot.exit_code == 0 and dot.output.startswith("digraph")
    mermaid = cli("diagram", model, "-f", "mermaid")
    assert mermaid.exit_code == 0 and mermaid.output.startswith("flowchart LR")
    svg = cli("diagram", model, "-f", "svg", "-o", tmp_path / "x.svg")
    assert svg.exit_code == 2
    assert "Graphviz `dot` program is not installed" in svg.output
    assert "use --format dot or mermaid" in svg.output
    assert not (tmp_path / "x.svg").exists()
    site = cli("docs", model, "--output", tmp_path / "site")
    assert site.exit_code == 0
    assert "Mermaid diagrams only" in site.output
    assert not list((tmp_path / "site").rglob("*.svg"))
    html = tmp_path / "r.html"
    assert cli("check", model, "-f", "html", "-o", html, "--fail-on", "none").exit_code == 0
    assert "Graphviz is not installed" in html.read_text()


def test_attack_path_highlights_the_evidence(catalog, in_root) -> None:
    report = report_for(catalog, "support-copilot")
    finding = next(f for f in report.findings if f.threat == "PI-002")
    view = build_view(report.sources[0], report.findings, frozenset(finding.elements))
    mermaid = to_mermaid(view)
    inbound = next(i for i, n in enumerate(view.nodes) if n.id == "inbound-email")
    assert "linkStyle" in mermaid and f"class n{inbound} path" in mermaid
    dot = to_dot(view)
    assert dot.count("penwidth=3") == len(
        [e for e in finding.elements]
    )  # every node and edge on the path


def test_site_files_and_safe_rewrite(catalog, tmp_path, in_root) -> None:
    report = check([load_model(f"models/{n}.yaml") for n in BUNDLED], catalog, today=TODAY)
    files = site_files(report, svg=False)
    for page in (
        "docs/index.md",
        "docs/support-copilot/index.md",
        "docs/support-copilot/inventory.md",
        "docs/support-copilot/permissions.md",
        "docs/support-copilot/findings.md",
        "docs/support-copilot/controls.md",
        "docs/support-copilot/decisions.md",
        "docs/support-copilot/lifecycle.md",
        "docs/support-copilot/components/copilot.md",
        "docs/threats/PI-003.md",
        "docs/standards.md",
        "mkdocs.yml",
    ):
        assert page in files, page
    assert '<pre class="tmcode-mermaid">' in files["docs/support-copilot/index.md"]
    matrix = files["docs/support-copilot/permissions.md"]
    assert "| spend |" in matrix and "`human_approval`" in matrix
    lifecycle = files["docs/support-copilot/lifecycle.md"]
    for stage in ("Design", "Development", "Deployment", "Operation", "Decommissioning"):
        assert f"## {stage}" in lifecycle
    assert "2027-06-30" in files["docs/support-copilot/decisions.md"]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.md").write_text("my own notes")
    with pytest.raises(Exception, match="not empty and was not written by tmcode"):
        write_site(files, mine)
    assert (mine / "notes.md").read_text() == "my own notes"
    out = tmp_path / "site"
    write_site(files, out)
    write_site(files, out)  # a second run replaces its own files
    assert (out / "docs" / "support-copilot" / "findings.md").is_file()


def _mkdocs(config: Path, site: Path) -> str:
    """Build with the library's ``build_site`` (mkdocs --strict); the error text, or ''."""
    from tmcode.errors import TmcodeError
    from tmcode.render.site import build_site

    try:
        build_site(config.parent, site)
    except TmcodeError as exc:
        return exc.diagnostics()
    return ""


def test_generated_site_builds_strict(cli, tmp_path: Path) -> None:
    out = tmp_path / "site"
    models = [ROOT / "models" / f"{n}.yaml" for n in BUNDLED]
    result = cli("docs", *models, "--output", out, "--build")
    assert result.exit_code == 0, result.output
    assert (out / "site" / "support-copilot" / "findings.html").is_file()


def test_payload_site_builds_and_escapes(catalog, tmp_path: Path) -> None:
    report = payload_report(catalog, tmp_path)
    files = site_files(report, svg=graphviz_available())
    out = tmp_path / "site"
    write_site(files, out)
    error = _mkdocs(out / "mkdocs.yml", out / "site")
    assert not error, error
    for page in (out / "site").rglob("*.html"):
        scan = _Scan()
        scan.feed(page.read_text())
        assert not scan.handlers and not scan.links, page
        assert "document.title='pwned'</script>" not in page.read_text()


def _dump_dom(path: Path, tmp_path: Path) -> str:
    args = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--virtual-time-budget=3000",
        "--dump-dom",
        path.as_uri(),
    ]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=True).stdout


# The HTML report in a browser: tests/test_html_report.py.


@needs_chromium
@needs_dot
def test_built_site_in_headless_chromium(cli, catalog, tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert (
        cli("docs", ROOT / "models" / "support-copilot.yaml", "--output", out, "--build").exit_code
        == 0
    )
    overview = _dump_dom(out / "site" / "support-copilot" / "index.html", tmp_path)
    assert "support-copilot.svg" in overview  # the diagram
    findings = _dump_dom(out / "site" / "support-copilot" / "findings.html", tmp_path)
    assert "PI-003" in findings
    pages = (out / "site" / "support-copilot" / "findings").glob("*.html")
    assert any("Evidence path" in _dump_dom(p, tmp_path) for p in sorted(pages)[:3])
    payload_site = tmp_path / "payload-site"
    report = payload_report(catalog, tmp_path)
    write_site(site_files(report, svg=True), payload_site)
    assert _mkdocs(payload_site / "mkdocs.yml", payload_site / "site") == ""
    pages = sorted((payload_site / "site").rglob("*.html"))
    checked = [p for p in pages if "threats" not in p.parts][:6]
    assert len(checked) >= 4
    for target in checked:
        dom = _dump_dom(target, tmp_path)
        assert "<title>pwned" not in dom, target
        scan = _Scan()
        scan.feed(dom)
        assert not scan.handlers and not scan.links, target


def test_project_reference_docs_are_current() -> None:
    from tmcode.render.reference import reference_files, stale_files

    files = reference_files(load_catalog(), ROOT / "tests" / "threats")
    stale = stale_files(ROOT / "docs" / "reference", files)
    assert not stale, f"stale generated docs {stale}: run `make docs`"
    broken = broken_links(ROOT / "docs")
    assert not broken, "broken links in docs/:\n" + "\n".join(broken)


def test_model_format_reference_lists_every_allowed_value() -> None:
    from tmcode.model import enums
    from tmcode.render.reference import model_format_page

    page = model_format_page()
    sections = page.split("\n### ")
    value_sets = [
        cls
        for name, cls in vars(enums).items()
        if isinstance(cls, type) and issubclass(cls, enums._Described) and name[0] != "_"
    ]
    assert len(value_sets) >= 20
    for cls in value_sets:
        section = next(s for s in sections if s.startswith(cls.__name__ + "\n"))
        for member in cls:
            assert member.description, f"{cls.__name__}.{member.name} has no description"
            assert f"| `{member.value}` | {member.description} |" in section
    source = next(s for s in sections if s.startswith("Source\n"))
    assumed = "`source` of every [component](#component-kinds): optional; `first_party` is assumed"
    assert assumed in source


def test_link_checker_reports_file_line_and_the_missing_target(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "sub" / "page.md").write_text(
        "---\ntitle: x\n---\n# A `page` title\n\n## Twice\n\n## Twice\n\n"
        "## Custom {#own-id}\n\nSetext heading\n---\n",
        encoding="utf-8",
    )
    (docs / "index.md").write_text(
        "# Home\n"
        "[ok](sub/page.md#a-page-title) [ok](sub/page.md#twice_1) [ok](sub/page.md#own-id)\n"
        "[ok](#home) [ok](sub/page.md#setext-heading) [out](https://example.com/#nope)\n"
        "```\n[in a fence](missing.md)\n```\n"
        "`[in code](missing.md)`\n"
        "[gone](sub/missing.md)\n"
        "[anchor](sub/page.md#twice_2)\n"
        "![image](#nowhere)\n"
        "[up](../outside.md)\n"
        "[ref]: sub/page.md#custom\n",
        encoding="utf-8",
    )
    (tmp_path / "outside.md").write_text("# Outside\n", encoding="utf-8")
    assert broken_links(docs) == [
        "docs/index.md:8: link `sub/missing.md`: no file docs/sub/missing.md",
        "docs/index.md:9: link `sub/page.md#twice_2`: no heading `#twice_2` in docs/sub/page.md",
        "docs/index.md:10: link `#nowhere`: no heading `#nowhere` in docs/index.md",
        "docs/index.md:11: link `../outside.md` leaves docs/",
        "docs/index.md:12: link `sub/page.md#custom`: no heading `#custom` in docs/sub/page.md",
    ]


def test_project_docs_build_strict(tmp_path: Path) -> None:
    error = _mkdocs(ROOT / "mkdocs.yml", tmp_path / "site")
    assert not error, error
    assert (tmp_path / "site" / "reference" / "catalog" / "PI-003" / "index.html").is_file()
    # The link checker's anchors are the ids mkdocs gave the headings.
    for page in (ROOT / "docs").rglob("*.md"):
        relative = page.relative_to(ROOT / "docs").with_suffix("")
        folder = relative.parent if relative.name == "index" else relative
        built = (tmp_path / "site" / folder / "index.html").read_text(encoding="utf-8")
        ids = set(re.findall(r'<h[1-6] id="([^"]+)"', built))
        assert anchors(page.read_text(encoding="utf-8")) == ids, page
        assert "<p>title:" not in built, f"{page}: front matter rendered as text"


def test_fast_json_findings_equal_the_plain_encoding(catalog, in_root) -> None:
    from tmcode.report import finding_to_dict

    for name in BUNDLED:
        report = report_for(catalog, name)
        data = json.loads(render(report, "json"))
        assert data["findings"] == [
            json.loads(json.dumps(finding_to_dict(f))) for f in report.findings
        ]
