"""The benign corpus: well-controlled designs that bench/precision.py measures false alarms on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tmcode.catalog.load import load_catalog
from tmcode.model.load import load_model

BENIGN = sorted((Path(__file__).parent / "benign").glob("*.yaml"))


def test_the_corpus_has_at_least_ten_designs() -> None:
    assert len(BENIGN) >= 10


@pytest.mark.parametrize("path", BENIGN, ids=lambda p: p.stem)
def test_each_design_is_a_valid_model_with_known_controls(path: Path) -> None:
    catalog = load_catalog([])
    loaded = load_model(path, known_controls=frozenset(catalog.controls))
    assert loaded.model.system.id == path.stem
    assert path.read_text().startswith("# Benign corpus:")
