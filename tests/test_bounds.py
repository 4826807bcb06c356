"""Work and output bounded by the model's size: the shapes bench/adversarial.py grows.

These assert sizes and counts, never time: a quadratic path, a recursion or an unbounded
output shows up as a size that is not proportional, or as a RecursionError.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from tmcode.graph import PATH_END_HOPS, flow_graph
from tmcode.model.load import load_model
from tmcode.render import diagram

sys.path.insert(0, str(ROOT / "bench"))

from adversarial import agent_chain, boundary_chain, dense_flows, near_miss  # noqa: E402

needs_dot = pytest.mark.skipif(not diagram.graphviz_available(), reason="Graphviz not installed")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_thousand_deep_boundary_chain_checks_and_draws(cli, tmp_path: Path) -> None:
    model = write(tmp_path, "deep.yaml", boundary_chain(1000))
    report = tmp_path / "r.json"
    result = cli("check", model, "-f", "json", "-o", report, "--fail-on", "none")
    assert result.exit_code == 0, result.output
    assert json.loads(report.read_text())["summary"]
    dot = cli("diagram", model, "-f", "dot")
    assert dot.exit_code == 0, dot.output
    assert dot.output.count("subgraph cluster_") == 1000
    assert dot.output.count("{") == dot.output.count("}")
    mermaid = cli("diagram", model, "-f", "mermaid")
    assert mermaid.exit_code == 0, mermaid.output
    assert mermaid.output.count("subgraph b") == 1000
    # Nesting is kept, indentation is capped: the output grows linearly with the depth.
    for text in (dot.output, mermaid.output):
        assert max(len(line) - len(line.lstrip()) for line in text.splitlines()) <= 40
    assert len(dot.output) < 300 * 1000


def test_deep_boundary_chains_are_shared_not_copied(tmp_path: Path) -> None:
    loaded = load_model(write(tmp_path, "deep.yaml", boundary_chain(1000)))
    graph = flow_graph(loaded.model)
    chain = graph.nodes["s999"]["boundaries"]
    assert len(chain) == 1000 and chain[0] == "b999" and chain[-1] == "b0"
    assert chain == tuple(loaded.model.boundary_chain("b999"))
    assert chain[1:3] == ("b998", "b997")


def test_a_cycle_behind_a_deep_chain_is_reported_once(cli, tmp_path: Path) -> None:
    text = boundary_chain(500).replace("  b0:\n    trust: untrusted\n", "")
    text = text.replace(
        "boundaries:\n", "boundaries:\n  b0:\n    trust: internal\n    parent: b2\n"
    )
    result = cli("validate", write(tmp_path, "cycle.yaml", text))
    assert result.exit_code == 2
    assert result.output.count("nest in a cycle") == 1
    assert "boundaries nest in a cycle: b0 -> b2 -> b1 -> b0 —" in result.output


def test_many_near_miss_references_are_summarised(cli, tmp_path: Path) -> None:
    result = cli("validate", write(tmp_path, "typos.yaml", near_miss(2000)))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 101
    assert lines[-1] == "... and 1900 more problems: fix these first, then run again"
    # The pool of 2,000 ids is past difflib's whole-pool search: the neighbours still find it.
    assert "unknown component `servise-000001`" in lines[0]
    assert "did you mean `service-000001`?" in lines[0]


def test_long_agent_chain_reports_grow_linearly(cli, tmp_path: Path) -> None:
    sizes = {}
    for n in (100, 400):
        model = write(tmp_path, f"chain{n}.yaml", agent_chain(n))
        for fmt in ("sarif", "json"):
            out = tmp_path / f"chain{n}.{fmt}"
            result = cli("check", model, "-f", fmt, "-o", out, "--fail-on", "none")
            assert result.exit_code == 0, result.output
            sizes[n, fmt] = out.stat().st_size
    for fmt in ("sarif", "json"):  # 4 times the agents: at most 4.4 times the bytes
        assert sizes[400, fmt] <= 4.4 * sizes[100, fmt], (fmt, sizes)
    report = json.loads((tmp_path / "chain400.json").read_text())
    path = next(
        f["elements"]
        for f in report["findings"]
        if f["threat"] == "PI-002" and f["target"] == "a399"
    )
    hops = PATH_END_HOPS
    left_out = 400 - 2 * hops  # web -> a0 -> ... -> a399 is 400 hops
    assert path[0] == "web" and path[-1] == "a399"
    assert path[2 * hops + 1] == f"… {left_out} more hops …"
    assert len(path) == 2 * (2 * hops + 1) + 1
    sarif = json.loads((tmp_path / "chain400.sarif").read_text())
    for result in sarif["runs"][0]["results"]:
        assert len(result.get("relatedLocations", [])) <= 30
        assert len(result["properties"]["elements"]) <= len(path)


def test_dense_flows_are_not_laid_out_but_given_as_source(cli, tmp_path: Path) -> None:
    model = write(tmp_path, "dense.yaml", dense_flows(1200))
    svg = cli("diagram", model, "-f", "svg", "-o", tmp_path / "d.svg")
    assert svg.exit_code == 2
    assert "1200 flows and permissions, more than the 1000 laid out automatically" in svg.output
    assert "--format mermaid or dot" in svg.output
    assert not (tmp_path / "d.svg").exists()
    html = tmp_path / "r.html"
    assert cli("check", model, "-f", "html", "-o", html, "--fail-on", "none").exit_code == 0
    page = html.read_text()
    assert "more than the 1000 laid out automatically; the diagram is given as Mermaid" in page
    assert "<svg" not in page and "flowchart LR" in page


@pytest.fixture
def slow_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `dot` on PATH that answers -V and never finishes a layout."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    dot = bin_dir / "dot"
    dot.write_text(
        '#!/bin/sh\nif [ "$1" = "-V" ]; then echo "dot - graphviz version 2.43.0 (0)" >&2; exit 0; fi\n'
        "exec sleep 60\n"
    )
    dot.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")


def test_a_layout_past_its_time_limit_is_stopped(cli, tmp_path: Path, slow_dot: None) -> None:
    model = ROOT / "models" / "support-copilot.yaml"
    out = tmp_path / "d.svg"
    result = cli("diagram", model, "-f", "svg", "-o", out, "--layout-timeout", "1")
    assert result.exit_code == 2
    assert "Graphviz did not lay out the diagram within 1 s" in result.output
    assert "--layout-timeout" in result.output and not out.exists()


def test_the_html_report_falls_back_to_mermaid_on_a_layout_timeout(
    cli, tmp_path: Path, slow_dot: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(diagram, "LAYOUT_TIMEOUT", 1.0)
    html = tmp_path / "r.html"
    model = ROOT / "models" / "support-copilot.yaml"
    assert cli("check", model, "-f", "html", "-o", html, "--fail-on", "none").exit_code == 0
    page = html.read_text()
    assert re.search(r"Graphviz did not lay out the diagram within 1 s; the diagram is given", page)
    assert "<svg" not in page


@needs_dot
def test_small_diagrams_are_still_laid_out(cli, tmp_path: Path) -> None:
    out = tmp_path / "d.svg"
    model = write(tmp_path, "dense.yaml", dense_flows(300))
    assert cli("diagram", model, "-f", "svg", "-o", out).exit_code == 0
    assert "<svg" in out.read_text()
