"""The kind table: every component kind declares its traits and glyph, and only the model
package gives a kind string a meaning; addresses are built and read back in one module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tmcode.graph import STORE_KINDS, build_graph
from tmcode.interchange import otm, threagile
from tmcode.model import load_model
from tmcode.model.address import (
    artifact_address,
    flow_address,
    finding_owner,
    flow_ends,
    is_edge,
    owner,
    permission_address,
    permission_ends,
    trained_on_address,
)
from tmcode.model.elements import COMPONENT_CLASSES, KIND_CLASSES, ComponentBase, kinds_of
from tmcode.model.kinds import KINDS, Glyph, Trait, glyph, has, kinds_with

ROOT = Path(__file__).resolve().parent.parent

# Files outside tmcode/model that may spell a kind, and why: each writes a kind into a model
# or is the predicate language (its own part of the refactoring); the rest name no kind.
ALLOWED = {
    "tmcode/interchange/otm.py": "hint table: the kind an imported OTM type becomes",
    "tmcode/interchange/threagile.py": "hint table: the kind an imported asset becomes",
    "tmcode/discover/draft.py": "writes the kind of each drafted component",
    "tmcode/discover/drift.py": "a role word in messages, not a kind",
    "tmcode/discover/mcp.py": "`uv tool run`, not a kind",
    "tmcode/discover/agents.py": "a framework's `llm` key, not a kind",
    "tmcode/catalog/conditions/relations.py": "operator names `agent:` and `tool:` of conditions",
    "tmcode/report.py": "the JSON report's `tool` key",
    "tmcode/spdx.py": "SPDX's `dataset` profile",
    "tmcode/bom.py": "CycloneDX's `dataset` data type",
}


@pytest.mark.parametrize("cls", COMPONENT_CLASSES, ids=lambda c: c.__name__)
def test_every_component_class_declares_traits_and_glyph(cls: type[ComponentBase]) -> None:
    for name, kind_type in (("TRAITS", frozenset), ("GLYPH", Glyph)):
        declared = cls.__dict__.get(name)
        assert declared is not None, f"{cls.__name__} must declare {name} itself"
        if isinstance(declared, dict):
            assert set(declared) == set(kinds_of(cls)), f"{cls.__name__}.{name} misses a kind"
            assert all(isinstance(v, kind_type) for v in declared.values())
        else:
            assert isinstance(declared, kind_type)


def test_table_holds_every_kind_once() -> None:
    assert set(KINDS) == set(KIND_CLASSES)
    assert all(KINDS[k].cls is KIND_CLASSES[k] for k in KINDS)
    assert sum(len(kinds_of(c)) for c in COMPONENT_CLASSES) == len(KINDS)  # none twice


def test_traits_give_the_sets_the_code_used_to_spell() -> None:
    assert STORE_KINDS == {
        *("vector_store", "datastore", "secret_store", "log_sink", "model_registry"),
        *("memory", "dataset"),
    }
    assert kinds_with(Trait.model) == {"llm", "model_artifact", "ml_model"}
    assert kinds_with(Trait.no_permission) == {"user", "ui", "external_content"}
    assert kinds_with(Trait.outsider) == {"external_content", "remote_agent"}
    assert kinds_with(Trait.generates) == {"llm", "agent"}
    assert kinds_with(Trait.callable_tool) == {"mcp_server", "tool"}
    assert kinds_with(Trait.ai_asset) == {
        *("llm", "model_artifact", "dataset", "ml_model", "agent", "mcp_server"),
        "model_registry",
    }
    assert kinds_with(Trait.ai) == kinds_with(Trait.ai_asset) | {
        *("tool", "memory", "vector_store", "retriever", "guardrail", "training_pipeline"),
        "remote_agent",
    }
    not_services = kinds_with(
        Trait.model, Trait.dataset, Trait.human, Trait.outside_content, Trait.ui
    )
    assert not_services == {"llm", "model_artifact", "ml_model", "dataset", "user"} | {
        "external_content",
        "ui",
    }
    assert not has("no_such_kind", Trait.store)


def test_glyphs_and_the_fallback() -> None:
    assert glyph("memory") == Glyph("cylinder", ('[("', '")]'))
    assert glyph("training_pipeline").dot == "rarrow"
    assert glyph("service") == glyph("no_such_kind") == Glyph("box", ('["', '"]'))
    assert len({k.glyph.dot for k in KINDS.values()}) > 10


def test_importers_write_only_known_kinds() -> None:
    for table in (otm._KIND_HINTS, threagile._TECH_KINDS):
        assert {kind for _, kind in table} <= set(KINDS)


def _kind_literals(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in KINDS
    }


def test_no_kind_string_outside_the_model_package() -> None:
    found = {
        str(p.relative_to(ROOT)): _kind_literals(p)
        for p in sorted((ROOT / "tmcode").rglob("*.py"))
        if "tmcode/model/" not in p.as_posix()
    }
    stray = {p: sorted(k) for p, k in found.items() if k and p not in ALLOWED}
    assert not stray, f"ask a Trait of tmcode.model.kinds instead of naming kinds: {stray}"
    stale = [p for p in ALLOWED if not found.get(p)]
    assert not stale, f"no kind named any more, drop from ALLOWED: {stale}"


def test_addresses_round_trip() -> None:
    assert flow_ends(flow_address("a", "b")) == ("a", "b")
    assert flow_ends("named-flow") is None
    assert permission_ends(permission_address("agent", "db")) == ("agent", "db")
    assert permission_ends("a->b") is None
    assert owner(permission_address("agent", "db")) == "agent"
    assert owner(trained_on_address("llm", "set")) == owner(artifact_address("llm")) == "llm"
    assert owner("a->b") == "a->b" and owner("system") == "system"
    components = {"agent", "db"}
    assert finding_owner("db", [], components) == "db"
    assert finding_owner("agent.tools.db", ["agent", "agent.tools.db", "db"], components) == "agent"
    assert finding_owner("system", [], components) is None
    assert finding_owner("x->y", ["x", "x->y"], components) is None


def test_every_graph_edge_address_reads_back_as_an_edge() -> None:
    model = load_model(ROOT / "models" / "model-pipeline.yaml").model
    graph = build_graph(model)
    addresses = [d["address"] for _, _, d in graph.edges(data=True)]
    assert any(".trained_on." in a for a in addresses)
    assert all(is_edge(a) or a in {f.id for f in model.flows} for a in addresses)
