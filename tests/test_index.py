"""The model index holds each fact once, and agrees with the model it was built from."""

from __future__ import annotations

from pathlib import Path

import pytest

from tmcode.model import load_model
from tmcode.model.address import SYSTEM_ADDRESS, permission_address
from tmcode.model.index import EMPTY_CONTROLS, ModelIndex

MODELS = sorted(Path(__file__).parent.parent.joinpath("models").glob("*.yaml"))


def _declared(model: object, address: str) -> list[tuple[str, bool]]:
    """Controls read straight off the model element at ``address``, the slow way."""
    m = model
    if address == SYSTEM_ADDRESS:
        controls = m.system.controls  # type: ignore[attr-defined]
    elif address in m.components:  # type: ignore[attr-defined]
        controls = m.components[address].controls  # type: ignore[attr-defined]
    else:
        flows = {f.address: f for f in m.flows}  # type: ignore[attr-defined]
        perms = {permission_address(a, t): p for a, t, p in m.permissions()}  # type: ignore[attr-defined]
        controls = (flows.get(address) or perms[address]).controls
    return [(c.id, c.implemented) for c in controls]


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_index_agrees_with_the_model(path: Path) -> None:
    loaded = load_model(path)
    m, index = loaded.model, loaded.index
    assert loaded.index is index  # built once
    addresses = [SYSTEM_ADDRESS, *m.components, *(f.address for f in m.flows)]
    addresses += [permission_address(a, t) for a, t, _ in m.permissions()]
    for address in addresses:
        declared = _declared(m, address)
        got = index.controls_on(address)
        assert [(c.id, c.implemented) for c in got.entries] == declared
        assert got.implemented == {i for i, done in declared if done}
        assert got.planned == {i for i, done in declared if not done}
        assert index.element(address) is not None
    for cid, component in m.components.items():
        held = getattr(component, "stores", None) or getattr(component, "contains", None) or []
        assert list(index.data_of(cid)) == list(held)
        assert index.trust[cid] == m.effective_trust(cid)
    trained = [(d, cid) for cid, c in m.components.items() for d in getattr(c, "trained_on", [])]
    assert sorted((d, cid) for d, llms in index.trained_by.items() for cid in llms) == sorted(
        trained
    )
    assert index.has_ai  # every example is an AI system
    for flow in m.flows:
        assert list(index.data_of(flow.address)) == flow.data
        assert flow.address in index.flows_out[flow.from_]
        assert flow.address in index.flows_in[flow.to]
    for a, t, p in m.permissions():
        entry = index.permissions[permission_address(a, t)]
        assert (entry.agent, entry.target, entry.permission) == (a, t, p)
        assert entry.address in index.permissions_of_agent[a]
        assert entry.address in index.permissions_to_target[t]


def test_an_address_without_controls_has_none() -> None:
    index = ModelIndex.build(load_model(MODELS[0]).model)
    assert index.controls_on("no-such-address") is EMPTY_CONTROLS
    assert index.element("no-such-address") is None
    assert index.data_of("no-such-address") == ()


def test_the_index_is_frozen() -> None:
    index = ModelIndex.build(load_model(MODELS[0]).model)
    with pytest.raises(AttributeError):
        index.model = None  # type: ignore[misc]
    with pytest.raises(TypeError):
        index.controls["x"] = EMPTY_CONTROLS  # type: ignore[index]


# --- consumers: what reach, the BOMs, OTM, assurance and drift read ---------------------------


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_the_consumer_facts_agree_with_the_model(path: Path) -> None:
    loaded = load_model(path)
    m, index = loaded.model, loaded.index
    loads: dict[str, list[str]] = {}
    for cid, c in m.components.items():
        if getattr(c, "artifact", None):
            loads.setdefault(c.artifact, []).append(cid)  # type: ignore[attr-defined]
    assert {a: list(llms) for a, llms in index.loaded_by.items()} == loads
    for cid in m.components:
        assert list(index.flows_into(cid)) == [f for f in m.flows if f.to == cid]
        assert list(index.flows_from(cid)) == [f for f in m.flows if f.from_ == cid]
    addresses = [SYSTEM_ADDRESS, *m.components]
    addresses += [permission_address(a, t) for a, t, _ in m.permissions()]
    addresses += [f.address for f in m.flows]
    expected = [(a, c) for a in addresses for c in index.element(a).controls]  # type: ignore[union-attr]
    assert list(index.declared_controls()) == expected


def test_loaded_by_names_the_llms_that_load_an_artifact() -> None:
    from tmcode.model.load import load_model_text

    text = """\
tmcode: 1
system: {name: S, owner: team}
boundaries: {corp: {trust: internal}}
components:
  weights: {kind: model_artifact, boundary: corp}
  a: {kind: llm, boundary: corp, hosting: self_hosted, artifact: weights}
  b: {kind: llm, boundary: corp, hosting: self_hosted}
  c: {kind: llm, boundary: corp, hosting: self_hosted, artifact: weights}
"""
    index = load_model_text(text).index
    assert dict(index.loaded_by) == {"weights": ("a", "c")}
    with pytest.raises(TypeError):
        index.loaded_by["x"] = ()  # type: ignore[index]


def test_has_ai_holds_exactly_when_a_component_has_an_ai_kind() -> None:
    benign = Path(__file__).parent / "benign"
    assert not load_model(benign / "order-service-no-ai.yaml").index.has_ai
    assert load_model(benign / "tenant-rag.yaml").index.has_ai
