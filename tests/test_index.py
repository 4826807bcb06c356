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
