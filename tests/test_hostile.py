"""Hostile input, determinism and property-based robustness."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MODELS
from tmcode.catalog.load import load_catalog
from tmcode.engine import check
from tmcode.errors import ModelError
from tmcode.model.export import model_to_yaml
from tmcode.model.kinds import KINDS as KIND_TABLE
from tmcode.model.load import load_model, load_model_text
from tmcode.model.yaml_reader import read_yaml
from tmcode.render import RenderOptions, render
from tmcode.render.diagram import build_view, to_dot, to_mermaid

TODAY = dt.date(2026, 11, 26)
CATALOG = load_catalog()
FAST_FORMATS = ["text", "json", "sarif", "markdown", "junit", "html"]


def tmcode(*args: str, cwd: Path, seed: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONHASHSEED": seed, "NO_COLOR": "1", "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "tmcode", *args], cwd=cwd, env=env, capture_output=True, timeout=300
    )


def test_every_output_is_byte_identical_across_runs_and_hash_seeds(tmp_path: Path) -> None:
    model = MODELS / "support-copilot.yaml"
    outputs: dict[str, dict[str, bytes]] = {}
    for seed in ("1", "4242"):
        out = tmp_path / seed
        out.mkdir()
        args = ["check", str(model), "--today", "2026-11-26", "--fail-on", "none"]
        for fmt, suffix in (
            ("text", "txt"),
            ("json", "json"),
            ("sarif", "sarif"),
            ("markdown", "md"),
            ("html", "html"),
            ("junit", "xml"),
        ):
            args += ["-f", fmt, "-o", str(out / f"report.{suffix}")]
        assert tmcode(*args, cwd=tmp_path, seed=seed).returncode == 0
        # SVG layout needs Graphviz; without it the other outputs are still compared.
        for fmt in ("dot", "mermaid", "svg") if shutil.which("dot") else ("dot", "mermaid"):
            assert (
                tmcode(
                    "diagram",
                    str(model),
                    "-f",
                    fmt,
                    "-o",
                    str(out / f"diagram.{fmt}"),
                    cwd=tmp_path,
                    seed=seed,
                ).returncode
                == 0
            )
        assert (
            tmcode(
                "bom", str(model), "-o", str(out / "bom.json"), cwd=tmp_path, seed=seed
            ).returncode
            == 0
        )
        assert (
            tmcode(
                "export",
                str(model),
                "--format",
                "otm",
                "-o",
                str(out / "otm.json"),
                cwd=tmp_path,
                seed=seed,
            ).returncode
            == 0
        )
        assert (
            tmcode(
                "docs",
                str(model),
                "-o",
                str(out / "site"),
                "--today",
                "2026-11-26",
                cwd=tmp_path,
                seed=seed,
            ).returncode
            == 0
        )
        outputs[seed] = {
            str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
        }
    first, second = outputs.values()
    assert first.keys() == second.keys() and len(first) > 20
    differing = [name for name in first if first[name] != second[name]]
    assert not differing, differing


def _reorder(value: object, rng: random.Random) -> object:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _reorder(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_reorder(v, rng) for v in value]
    return value


def _strip(value: object) -> object:
    """Drop what legitimately follows the text layout: line and column numbers."""
    if isinstance(value, dict):
        return {
            k: _strip(v)
            for k, v in value.items()
            if k not in ("line", "column", "region", "startLine", "startColumn")
        }
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


@pytest.mark.parametrize(
    "name", ["support-copilot.yaml", "coding-agent.yaml", "research-workflow.yaml"]
)
def test_key_reordering_changes_nothing_but_lines(tmp_path: Path, monkeypatch, name: str) -> None:
    original = yaml.safe_load((MODELS / name).read_text())
    results = []
    for index, seed in enumerate((0, 7)):
        folder = tmp_path / str(index)
        folder.mkdir()
        data = original if seed == 0 else _reorder(original, random.Random(seed))
        (folder / "model.yaml").write_text(
            yaml.safe_dump(json.loads(json.dumps(data, default=str)), sort_keys=False)
        )
        monkeypatch.chdir(folder)
        report = check([load_model("model.yaml")], CATALOG, today=TODAY)
        view = build_view(report.sources[0], report.findings)
        results.append(
            {
                "json": _strip(json.loads(render(report, "json"))),
                "sarif": _strip(json.loads(render(report, "sarif"))),
                "dot": to_dot(view),
                "mermaid": to_mermaid(view),
                "ids": [(f.id, f.elements) for f in report.findings],
            }
        )
    assert results[0] == results[1]


# ---------------------------------------------------------------- random valid models

KINDS = list(KIND_TABLE)
FLOW_KINDS = [
    "prompt",
    "context",
    "retrieval",
    "ingest",
    "tool_call",
    "tool_result",
    "memory_read",
    "memory_write",
    "agent_message",
    "output",
    "training_data",
    "artifact",
    "deploy",
    "log",
    "api",
    "file",
]
SCOPES = [
    "read",
    "write",
    "delete",
    "execute",
    "network",
    "send",
    "spend",
    "admin",
    "memory_write",
    "spawn",
]
TRUSTS = ["untrusted", "partner", "internal", "privileged"]


@st.composite
def models(draw) -> dict:
    n_boundaries = draw(st.integers(1, 4))
    boundaries = {f"b{i}": {"trust": draw(st.sampled_from(TRUSTS))} for i in range(n_boundaries)}
    if n_boundaries > 1 and draw(st.booleans()):
        boundaries["b1"]["parent"] = "b0"
    data = {
        f"d{i}": {
            "classification": draw(
                st.sampled_from(["public", "internal", "confidential", "restricted"])
            ),
            "tags": draw(
                st.lists(
                    st.sampled_from(["pii", "secret", "credentials", "ip"]), unique=True, max_size=2
                )
            ),
        }
        for i in range(draw(st.integers(0, 3)))
    }
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=10))
    components: dict = {}
    if "agent" in kinds:
        components["llm0"] = {"kind": "llm", "boundary": "b0"}
    for i, kind in enumerate(kinds):
        c: dict = {
            "kind": "vector_store" if kind in ("vector_store",) else kind,
            "boundary": f"b{draw(st.integers(0, n_boundaries - 1))}",
        }
        if kind == "agent":
            c["model"] = "llm0"
            c["autonomy"] = draw(st.sampled_from(["suggest", "supervised", "autonomous"]))
        if kind in ("vector_store", "datastore", "memory") and data:
            c["stores"] = draw(st.lists(st.sampled_from(sorted(data)), unique=True, max_size=2))
        if kind == "tool":
            c["interprets"] = draw(
                st.lists(st.sampled_from(["shell", "sql", "url", "html"]), unique=True, max_size=2)
            )
        if kind == "mcp_server":
            c["transport"] = draw(st.sampled_from(["stdio", "http"]))
            c["source"] = draw(st.sampled_from(["first_party", "community", "vendor"]))
        if kind == "user":
            c["audience"] = draw(st.sampled_from(["public", "customers", "employees"]))
        if draw(st.booleans()):
            c["controls"] = draw(
                st.lists(
                    st.sampled_from(["human_approval", "sandbox", "audit_logging", "dual_llm"]),
                    unique=True,
                    max_size=2,
                )
            )
        components[f"c{i}"] = c
    ids = sorted(components)
    targets = [
        cid for cid in ids if components[cid]["kind"] not in ("user", "ui", "external_content")
    ]
    for cid in ids:
        if components[cid]["kind"] == "agent":
            chosen = draw(
                st.lists(
                    st.sampled_from([t for t in targets if t != cid] or ["llm0"]),
                    unique=True,
                    max_size=3,
                )
            )
            components[cid]["tools"] = {
                t: {
                    "scopes": draw(
                        st.lists(st.sampled_from(SCOPES), min_size=1, max_size=3, unique=True)
                    )
                }
                for t in chosen
                if t != cid
            }
    flows = []
    seen = set()
    for _ in range(draw(st.integers(0, 12))):
        a, b = draw(st.sampled_from(ids)), draw(st.sampled_from(ids))
        if (a, b) in seen:
            continue
        seen.add((a, b))
        flow = {"from": a, "to": b, "kind": draw(st.sampled_from(FLOW_KINDS))}
        if data and draw(st.booleans()):
            flow["data"] = draw(st.lists(st.sampled_from(sorted(data)), unique=True, max_size=2))
        flows.append(flow)
    return {
        "tmcode": 1,
        "system": {
            "name": "random",
            "lifecycle": draw(st.sampled_from(["development", "production", "retired"])),
        },
        "boundaries": boundaries,
        "data": data,
        "components": components,
        "flows": flows,
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models(), st.randoms(use_true_random=False))
def test_random_models_never_crash_and_fingerprints_survive_reordering(data: dict, rng) -> None:
    text = yaml.safe_dump(data, sort_keys=False)
    loaded = load_model_text(text, "random.yaml")
    report = check([loaded], CATALOG, today=TODAY)
    for fmt in FAST_FORMATS:
        assert render(report, fmt, RenderOptions(svg=False))
    view = build_view(loaded, report.findings)
    assert to_dot(view).startswith("digraph") and to_mermaid(view).startswith("flowchart")
    assert load_model_text(model_to_yaml(loaded.model), "again.yaml").model == loaded.model
    shuffled = yaml.safe_dump(_reorder(data, rng), sort_keys=False)
    again = check([load_model_text(shuffled, "random.yaml")], CATALOG, today=TODAY)
    assert [(f.id, f.elements, f.status) for f in again.findings] == [
        (f.id, f.elements, f.status) for f in report.findings
    ]


MUTATIONS = [
    "\t",
    ":",
    "[",
    "]",
    "{",
    "}",
    "&a",
    "*a",
    "!!python/object:os.system",
    "- ",
    "'",
    '"',
    "#",
    "\x00",
    "é",
    "010",
    "no",
    "<<: *x",
    "? ",
    "|",
    ">",
    "%YAML 1.1",
    "---",
    "\n  ",
    "kind: agent",
    "from: nowhere",
]


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(sorted(p.name for p in MODELS.glob("*.yaml"))),
    st.lists(
        st.tuples(
            st.sampled_from(["insert", "delete", "duplicate", "swap", "truncate"]),
            st.integers(0, 10_000),
            st.sampled_from(MUTATIONS),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_random_mutations_end_in_a_clean_error_or_a_valid_model(name: str, edits: list) -> None:
    lines = (MODELS / name).read_text().split("\n")
    for op, pos, token in edits:
        i = pos % max(len(lines), 1)
        if op == "insert":
            line = lines[i]
            j = pos % (len(line) + 1)
            lines[i] = line[:j] + token + line[j:]
        elif op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap" and len(lines) > 1:
            k = (i + 1) % len(lines)
            lines[i], lines[k] = lines[k], lines[i]
        elif op == "truncate":
            lines = lines[: max(i, 1)]
    text = "\n".join(lines)
    try:
        loaded = load_model_text(text, "mutated.yaml", known_controls=frozenset(CATALOG.controls))
    except ModelError as exc:
        assert exc.problems and all(p.file == "mutated.yaml" for p in exc.problems)
        return
    check([loaded], CATALOG, today=TODAY)


def test_mutation_through_the_cli_never_shows_a_traceback(cli, tmp_path: Path) -> None:
    rng = random.Random(3)
    base = (MODELS / "support-copilot.yaml").read_text()
    for _ in range(25):
        chars = list(base)
        for _ in range(rng.randint(1, 5)):
            chars.insert(
                rng.randrange(len(chars)),
                rng.choice(["\t", ":", "[", "&x", "*x", "!!binary", "\x1b[2J", "-"]),
            )
        path = tmp_path / "m.yaml"
        path.write_text("".join(chars))
        result = cli("check", path)
        assert result.exit_code in (0, 1, 2)
        assert "Traceback" not in result.output and "\x1b[2J" not in result.output


# ---------------------------------------------------------------- nothing in a model is read or run


def test_code_and_evidence_paths_are_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "outside-secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    text = (
        (MODELS / "support-copilot.yaml")
        .read_text()
        .replace(
            "    code: src/copilot/",
            f"    code: [{secret}, ../../../../etc/passwd]",
        )
        .replace(
            "controls: [audit_logging]", f"controls: [{{id: audit_logging, evidence: {secret}}}]"
        )
    )
    model = tmp_path / "model.yaml"
    model.write_text(text)
    report = check([load_model(model)], CATALOG, today=TODAY)
    outputs = [render(report, fmt, RenderOptions(svg=False)) for fmt in FAST_FORMATS]
    from tmcode.bom import bom_json
    from tmcode.interchange.otm import otm_json
    from tmcode.render.site import site_files

    outputs += [
        bom_json(report.sources[0], report.findings),
        otm_json(report.sources[0].index, report.findings, CATALOG),
    ]
    outputs += [
        v if isinstance(v, str) else v.decode() for v in site_files(report, svg=False).values()
    ]
    assert not any("TOP-SECRET-MARKER" in out for out in outputs)


def test_yaml_1_1_surprises_are_explained(cli, tmp_path: Path) -> None:
    model = tmp_path / "m.yaml"
    model.write_text(
        (MODELS / "support-copilot.yaml")
        .read_text()
        .replace(
            "    boundary: internet\n    audience: customers\n    authenticated: true",
            "    boundary: internet\n    audience: customers\n    authenticated: yes\n    version: 010",
        )
    )
    result = cli("validate", model)
    assert result.exit_code == 2
    assert "expected true or false, got `yes`" in result.output
    assert (
        "got the number 010, which YAML reads as 10" in result.output
        and "quote it ('010')" in result.output
    )


def test_deep_nesting_and_bombs_never_reach_the_recursive_parser() -> None:
    for text in ("a: " + "[" * 100_000, "a:\n" + "- " * 50_000 + "x\n", "a: " + "{a: " * 30_000):
        with pytest.raises(ModelError, match="nesting deeper than"):
            read_yaml(text, "deep.yaml")


def test_templates_never_evaluate_model_text(tmp_path: Path) -> None:
    text = (
        (MODELS / "support-copilot.yaml")
        .read_text()
        .replace(
            "name: Support Copilot", 'name: "{{ 7*7 }} {% if true %}IF{% endif %} ${HOME} $(id)"'
        )
    )
    model = tmp_path / "model.yaml"
    model.write_text(text)
    report = check([load_model(model)], CATALOG, today=TODAY)
    html = render(report, "html", RenderOptions(svg=False))
    assert "{{ 7*7 }}" in html and "49" not in html.split("<title>")[1].split("</title>")[0]
    assert "{% if true %}IF{% endif %}" in html
    from tmcode.render.site import site_files

    index = site_files(report, svg=False)["docs/index.md"]
    assert "\\{\\{ 7\\*7 \\}\\}" in index or "{{ 7*7 }}" in index
