"""The one kind table: every component kind, its class, traits and glyph, read off the classes."""

from __future__ import annotations

from dataclasses import dataclass

from tmcode.model.elements import COMPONENT_CLASSES, ComponentBase, kinds_of
from tmcode.model.traits import BOX, Glyph, Trait

__all__ = ["KINDS", "Glyph", "Kind", "Trait", "glyph", "has", "kinds_with"]

# A new kind is one component class in elements.py (its `kind` literal, TRAITS and GLYPH, and
# its place in the Component union); code elsewhere asks traits, so nothing else needs editing.
# Then: `make docs` for docs/reference, the kind in the contract (tests/contract/model-format.md)
# and docs/modelling.md, and the kinds: lists of the catalog threats that should apply to it.


@dataclass(frozen=True)
class Kind:
    """One component kind: its name, the class that validates it, its traits and glyph."""

    name: str
    cls: type[ComponentBase]
    traits: frozenset[Trait]
    glyph: Glyph


def _declared(cls: type[ComponentBase], kind: str) -> Kind:
    """Read the traits and glyph a class declares itself, for all its kinds or for ``kind``."""
    traits, shape = cls.__dict__.get("TRAITS"), cls.__dict__.get("GLYPH")
    if traits is None or shape is None:
        raise TypeError(f"component class {cls.__name__} must declare TRAITS and GLYPH")
    traits = traits[kind] if isinstance(traits, dict) else traits
    shape = shape[kind] if isinstance(shape, dict) else shape
    return Kind(kind, cls, frozenset(traits), shape)


KINDS: dict[str, Kind] = {
    kind: _declared(cls, kind) for cls in COMPONENT_CLASSES for kind in kinds_of(cls)
}


def has(kind: str, trait: Trait) -> bool:
    """True when ``kind`` is a known kind with ``trait``."""
    known = KINDS.get(kind)
    return known is not None and trait in known.traits


def kinds_with(*traits: Trait) -> frozenset[str]:
    """The kinds having any of ``traits``."""
    return frozenset(k.name for k in KINDS.values() if k.traits & set(traits))


def glyph(kind: str) -> Glyph:
    """How diagrams draw ``kind``; a plain box for a kind they do not know."""
    known = KINDS.get(kind)
    return known.glyph if known is not None else BOX
