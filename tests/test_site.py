"""The site's pages and diagrams, without a browser: what each page says and what each shows."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import yaml
from conftest import ROOT

from tmcode.baseline import apply_baseline
from tmcode.catalog.load import load_catalog
from tmcode.engine import check
from tmcode.model.load import load_model
from tmcode.render import render
from tmcode.render.diagram import (
    SystemView,
    ViewBoundary,
    ViewEdge,
    ViewNode,
    boundary_view,
    legend_dot,
    legend_mermaid,
    neighbourhood,
)
from tmcode.render.site import site_files
from tmcode.render.site.diagrams import BOUNDARY_VIEWS_FROM, pictures_of
from tmcode.report import GATING_STATUSES

TODAY = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def _report(catalog, *names: str):
    return check([load_model(ROOT / "models" / f"{n}.yaml") for n in names], catalog, today=TODAY)


def _chain() -> SystemView:
    """a → b → c → d → e in boundary `in`, e nested in `deep`; b may call a tool t (dashed)."""
    nodes = [ViewNode(n, n, "service", "deep" if n == "e" else "in", None) for n in "abcde"]
    nodes.append(ViewNode("t", "t", "tool", "in", None))
    edges = [ViewEdge(s, t, "", f"{s}->{t}", False) for s, t in zip("abcd", "bcde")]
    edges.append(ViewEdge("b", "t", "read", "b.tools.t", True))
    boundaries = {
        "in": ViewBoundary("in", "in", ("deep",)),
        "deep": ViewBoundary("deep", "deep", ()),
    }
    return SystemView("chain", nodes, edges, boundaries, ["in"])


def test_attack_path_shows_the_path_and_one_hop_around_it() -> None:
    view = neighbourhood(_chain(), ["a", "a->b", "b"], "Attack path of X")
    assert {n.id for n in view.nodes} == {"a", "b", "c", "t"}  # c and t one hop from b
    assert {e.address for e in view.edges} == {"a->b", "b->c", "b.tools.t"}
    assert view.highlight == frozenset({"a", "a->b", "b"}) and view.name == "Attack path of X"
    assert list(view.boundaries) == ["in"] and view.boundaries["in"].children == ()


def test_boundary_view_keeps_nesting_and_the_components_one_hop_outside() -> None:
    view = boundary_view(_chain(), "deep")
    assert {n.id for n in view.nodes} == {"d", "e"}
    assert view.roots == ["in"] and view.boundaries["in"].children == ("deep",)


def test_large_systems_get_one_diagram_per_boundary() -> None:
    small = _chain()
    assert [p.stem for p in pictures_of("s", small, [])] == ["assets/s"]
    nodes = [
        ViewNode(f"n{i}", f"n{i}", "service", "in" if i % 2 else "deep", None)
        for i in range(BOUNDARY_VIEWS_FROM)
    ]
    large = SystemView("large", nodes, [], small.boundaries, ["in"])
    pictures = pictures_of("s", large, [])
    assert [p.stem for p in pictures] == ["assets/s", "assets/s/boundary-1", "assets/s/boundary-2"]
    assert pictures[2].title == "Trust boundary deep" and len(pictures[2].view.nodes) == 10


def test_legend_names_every_kind_fill_and_line() -> None:
    view = _chain()
    dot, mermaid = legend_dot(view, path=True), legend_mermaid(view, path=True)
    for source in (dot, mermaid):
        assert "service" in source and "tool" in source
        assert "permission" in source and "attack path" in source
    assert "style=dashed" in dot and "-.->" in mermaid
    assert "attack path" not in legend_dot(view)


def test_front_page_summarises_the_system(catalog) -> None:
    report = _report(catalog, "support-copilot")
    files = site_files(report, svg=False)
    front = files["docs/support-copilot/index.md"]
    assert isinstance(front, str)
    gating = [f for f in report.findings if f.status in GATING_STATUSES]
    worst = max(gating, key=lambda f: f.severity)
    assert "## Top risks" in front and f"findings/{worst.id}.md" in front.split("## Top risks")[1]
    assert "## Findings by severity and status" in front
    assert "| severity | open | expired | mitigated | accepted | false positive | total |" in front
    assert "## Standards" in front and "OWASP Top 10 for LLM Applications 2025" in front
    assert "## Since the baseline" not in front
    assert "`copilot` serves" in front  # ids in messages shown as code, not literal backticks
    for f in report.findings:  # one page per finding
        assert f"docs/support-copilot/findings/{f.id}.md" in files


def test_front_page_says_what_changed_since_the_baseline(catalog) -> None:
    report = _report(catalog, "support-copilot")
    earlier = json.loads(render(report, "json"))
    dropped = next(f for f in report.findings if f.status in GATING_STATUSES)
    earlier["findings"] = [f for f in earlier["findings"] if f["id"] != dropped.id]
    front = site_files(apply_baseline(report, earlier, "baseline.json"), svg=False)[
        "docs/support-copilot/index.md"
    ]
    assert isinstance(front, str)
    section = front.split("## Since the baseline")[1].split("\n## ")[0]
    assert "1 new" in section and f"findings/{dropped.id}.md" in section and "**new**" in section


def test_navigation_names_threats_and_findings_by_title(catalog) -> None:
    report = _report(catalog, "support-copilot")
    config = yaml.safe_load(site_files(report, svg=False)["mkdocs.yml"])
    threats = next(e["Threats"] for e in config["nav"] if "Threats" in e)
    pi002 = catalog.threats["PI-002"].threat
    assert {f"PI-002 {pi002.title}": "threats/PI-002.md"} in threats
    system = next(iter(config["nav"][1].values()))
    findings = next(e["Findings"] for e in system if "Findings" in e)
    assert len(findings) == 1 + len(report.findings)
    assert all(" · " in next(iter(e)) for e in findings[1:])


def test_permission_matrix_has_an_agent_per_row_and_a_target_per_column(catalog) -> None:
    report = _report(catalog, "research-workflow")
    page = site_files(report, svg=False)["docs/research-workflow/permissions.md"]
    assert isinstance(page, str)
    matrix = page.split("## Every permission")[0]
    index = report.sources[0].index
    agents = {e.agent for e in index.permissions.values()}
    targets = {e.target for e in index.permissions.values()}
    assert matrix.count("<tr><th><a") == len(agents)
    assert matrix.split("<tbody>")[0].count("<th><a href=") == len(targets)
    assert matrix.count('<span class="tmcode-scopes">') == len(index.permissions)


def test_governance_pages_per_system_and_per_agent(catalog) -> None:
    from tmcode.pipeline import with_reach

    report = with_reach(_report(catalog, "support-copilot"))
    files = site_files(report, svg=False)
    assurance = files["docs/support-copilot/assurance.md"]
    assert isinstance(assurance, str) and "kill_switch" in assurance
    overview = files["docs/support-copilot/reach/index.md"]
    assert isinstance(overview, str)
    # The hand-worked radius of tests/test_reach.py: copilot takes over nothing, sends openly.
    assert "| [copilot](copilot.md) | agent | 0 |" in overview
    assert "Who owns, who can change, who can stop" in overview
    page = files["docs/support-copilot/reach/copilot.md"]
    assert isinstance(page, str) and "mailer" in page and "budget_cap" in page
    nav = yaml.safe_load(str(files["mkdocs.yml"]))["nav"]
    system = next(v for entry in nav for k, v in entry.items() if k == "Support Copilot")
    titles = [next(iter(item)) for item in system]
    assert "Assurance" in titles and "Blast radius" in titles
    # Without the reach stage (a library caller), the site has no blast-radius pages.
    plain = site_files(_report(catalog, "support-copilot"), svg=False)
    assert not [p for p in plain if "/reach/" in p]


def test_a_component_named_index_keeps_the_overview_pages(catalog, tmp_path) -> None:
    from tmcode.pipeline import with_reach

    text = (ROOT / "models" / "support-copilot.yaml").read_text()
    # Rename the agent `copilot` to `Index`: its pages must not replace reach/index.md.
    renamed = re.sub(r"(?<![-\w])copilot(?![-\w])", "Index", text)
    path = tmp_path / "m.yaml"
    path.write_text(renamed)
    loaded = load_model(path, known_controls=frozenset(catalog.controls))
    report = with_reach(check([loaded], catalog, today=dt.date(2026, 11, 26)))
    files = site_files(report, svg=False)
    folder = "docs/support-copilot"
    assert "\n# Blast radius: Support Copilot\n" in str(files[f"{folder}/reach/index.md"])
    assert f"{folder}/reach/Index-2.md" in files and f"{folder}/components/Index-2.md" in files
    assert not [p for p in files if p.casefold().endswith("/index.md") and "Index" in p]
