"""Which threats cover each entry of the standards the catalog maps to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from tmcode.catalog.controls import bundled_catalog_dir
from tmcode.catalog.load import Catalog


@dataclass(frozen=True)
class StandardEntry:
    """One entry of a standard and the threats that cite it."""

    standard: str
    reference: str
    name: str
    required: bool
    threats: tuple[str, ...]


def load_standards(path: Path | None = None) -> dict[str, dict]:
    """Read the standards file shipped with the catalog."""
    path = path or bundled_catalog_dir() / "standards.yaml"
    return dict(yaml.safe_load(path.read_text(encoding="utf-8"))["standards"])


def coverage(catalog: Catalog, standards: dict[str, dict] | None = None) -> list[StandardEntry]:
    """Return every standard entry with the ids of the threats that cite it."""
    standards = standards if standards is not None else load_standards()
    citing: dict[str, list[str]] = {}
    for tid, compiled in catalog.threats.items():
        for ref in compiled.threat.references:
            citing.setdefault(ref, []).append(tid)
    return [
        StandardEntry(
            key, ref, name, bool(spec.get("required")), tuple(sorted(citing.get(ref, [])))
        )
        for key, spec in standards.items()
        for ref, name in spec["entries"].items()
    ]
