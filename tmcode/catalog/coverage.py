"""Which threats cover each entry of the lists (standards, editions) the catalog maps to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tmcode.catalog.controls import CatalogError, bundled_catalog_dir
from tmcode.catalog.load import Catalog
from tmcode.errors import Problem


class StandardList(BaseModel):
    """One list in one edition: where it is published and the entries it names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=3)
    edition: str = Field(min_length=1)
    url: str = Field(pattern=r"^https://")
    status: str = Field(min_length=3)
    note: str = ""
    required: bool = False
    complete: bool = True
    supersedes: str | None = None
    same_as: dict[str, str] = Field(default_factory=dict)
    entries: dict[str, str] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_scheme(self) -> StandardList:
        if len({scheme_of(e) for e in self.entries}) != 1:
            raise ValueError("all entries of a list must share one `scheme:` prefix")
        unknown = sorted(set(self.same_as) - set(self.entries))
        if unknown:
            raise ValueError(f"`same_as` names ids that are not entries: {', '.join(unknown)}")
        if self.same_as and self.supersedes is None:
            raise ValueError("`same_as` needs `supersedes`, the list the earlier ids belong to")
        return self

    @property
    def scheme(self) -> str:
        """The prefix every id of the list starts with, e.g. ``owasp-llm``."""
        return scheme_of(next(iter(self.entries)))

    @property
    def heading(self) -> str:
        """The list's title with its edition."""
        return f"{self.title} {self.edition}"


class _StandardsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    standards: dict[str, StandardList] = Field(min_length=1)

    @model_validator(mode="after")
    def _earlier_editions_exist(self) -> _StandardsFile:
        for key, spec in self.standards.items():
            if spec.supersedes is None:
                continue
            earlier = self.standards.get(spec.supersedes)
            if earlier is None:
                raise ValueError(f"`{key}` supersedes `{spec.supersedes}`, which is not a list")
            missing = sorted(set(spec.same_as.values()) - set(earlier.entries))
            if missing:
                raise ValueError(
                    f"`{key}`: `same_as` names ids not in `{spec.supersedes}`: {', '.join(missing)}"
                )
        return self


Standards = dict[str, StandardList]


@dataclass(frozen=True)
class StandardEntry:
    """One entry of a standard and the threats that cite it."""

    standard: str
    reference: str
    name: str
    required: bool
    threats: tuple[str, ...]
    same_as: str | None = None  # the entry's id in the edition this list supersedes


@dataclass(frozen=True)
class ListCoverage:
    """One list: its entries with the threats citing each, and ids cited that it does not name."""

    key: str
    spec: StandardList
    entries: tuple[StandardEntry, ...]
    unlisted: tuple[tuple[str, tuple[str, ...]], ...]  # (cited id, citing threats)

    @property
    def gaps(self) -> tuple[str, ...]:
        """The entries no threat cites."""
        return tuple(e.reference for e in self.entries if not e.threats)

    @property
    def failing(self) -> bool:
        """A required entry is uncovered, or a complete list is cited with an id it lacks."""
        return bool((self.spec.required and self.gaps) or (self.spec.complete and self.unlisted))


def scheme_of(reference: str) -> str:
    """The part of a reference before its first colon, e.g. ``atlas``."""
    return reference.split(":", 1)[0]


def load_standards(path: Path | None = None) -> Standards:
    """Read and check the standards file shipped with the catalog (or the one at ``path``)."""
    path = path or bundled_catalog_dir() / "standards.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return dict(_StandardsFile.model_validate(raw).standards)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        detail = str(exc).splitlines()[0] if not isinstance(exc, ValidationError) else _first(exc)
        raise CatalogError(
            Problem(str(path), None, None, f"bad standards file: {detail}", "fix the file")
        ) from exc


def _first(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"])
    return f"{where}: {error['msg']}" if where else error["msg"]


def list_of(reference: str, standards: Standards) -> str | None:
    """The key of the list a cited id belongs to (by scheme, then by edition), if any."""
    candidates = [k for k, s in standards.items() if s.scheme == scheme_of(reference)]
    if len(candidates) > 1:
        edition = reference.rsplit(":", 1)[-1]
        candidates = [k for k in candidates if standards[k].edition == edition]
    return candidates[0] if len(candidates) == 1 else None


def equivalents(reference: str, standards: Standards) -> frozenset[str]:
    """The id itself and the ids of the same entry in other editions of its list."""
    same = {reference}
    for spec in standards.values():
        for later, earlier in spec.same_as.items():
            if reference in (later, earlier):
                same |= {later, earlier}
    return frozenset(same)


def _citing(catalog: Catalog) -> dict[str, list[str]]:
    citing: dict[str, list[str]] = {}
    for tid, compiled in catalog.threats.items():
        for ref in compiled.threat.references:
            citing.setdefault(ref, []).append(tid)
    return citing


def list_coverage(catalog: Catalog, standards: Standards | None = None) -> list[ListCoverage]:
    """Return every list with the threats citing each of its entries and the ids it lacks."""
    standards = standards if standards is not None else load_standards()
    citing = _citing(catalog)
    result = []
    for key, spec in standards.items():
        entries = tuple(
            StandardEntry(
                key,
                ref,
                name,
                spec.required,
                tuple(sorted(citing.get(ref, []))),
                spec.same_as.get(ref),
            )
            for ref, name in spec.entries.items()
        )
        unlisted = tuple(
            (ref, tuple(sorted(tids)))
            for ref, tids in sorted(citing.items())
            if ref not in spec.entries and list_of(ref, standards) == key
        )
        result.append(ListCoverage(key, spec, entries, unlisted))
    return result


def coverage(catalog: Catalog, standards: Standards | None = None) -> list[StandardEntry]:
    """Return every standard entry with the ids of the threats that cite it."""
    return [e for c in list_coverage(catalog, standards) for e in c.entries]
