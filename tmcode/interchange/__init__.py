"""Interchange with other threat-modeling formats: OTM export and import, Threagile import."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tmcode.errors import ModelError, Problem, TmcodeError
from tmcode.input_file import Shape, decode_utf8, parse_json, read_input_bytes, shape_problem
from tmcode.model.diagnose import problems_from_validation
from tmcode.model.elements import Model
from tmcode.model.export import model_to_yaml
from tmcode.model.references import check_references
from tmcode.model.yaml_reader import ReadLimits, read_yaml
from tmcode.render.escape import reveal


def safe_id(raw: Any, used: set[str]) -> str:
    """Turn a foreign identifier into a unique tmcode id (letters, digits, `_` and `-`)."""
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", str(raw)).strip("-_") or "element"
    if not base[0].isalnum():
        base = "x" + base
    ident, n = base, 2
    while ident in used:
        ident, n = f"{base}-{n}", n + 1
    used.add(ident)
    return ident


class InterchangeError(TmcodeError):
    """A file in another format that cannot be imported."""


@dataclass
class ImportResult:
    """Model data built from another format, and what could not be mapped."""

    data: dict[str, Any]
    unmapped: list[str] = field(default_factory=list)

    def model(self, source: str) -> Model:
        """Validate the imported data as a tmcode model."""
        try:
            model = Model.model_validate(self.data)
        except ValidationError as exc:
            raise InterchangeError(problems_from_validation(exc, None, source)) from None
        problems = check_references(model, source)
        if problems:
            raise InterchangeError(problems)
        return model

    def yaml(self, source: str, fmt: str) -> str:
        """The imported model as YAML, headed by what a person should refine.

        The model goes through the YAML emitter; the comments above it quote foreign text,
        so every line break YAML knows in that text is shown as an escape: no comment can
        end early and add a key to the model.
        """
        body = model_to_yaml(self.model(source))
        lines = [
            f"Imported from {fmt} file {source} by tmcode. Review kinds, trust and flow kinds;"
        ]
        if self.unmapped:
            lines.append("Not mapped (refine by hand):")
            lines += [f"  - {item}" for item in self.unmapped]
        else:
            lines.append("Everything in the source was mapped.")
        return "".join(f"# {reveal(line)}\n" for line in lines) + body


def import_file(fmt: str, source: Path, limits: ReadLimits | None = None) -> ImportResult:
    """Read an OTM (JSON) or Threagile (YAML) file and map it to tmcode model data.

    The file is read like a model: a regular file within the size limit, JSON with bounded
    nesting, and YAML through the safe, bounded reader (no tags that construct objects, no
    alias bombs, no duplicate keys).
    """
    from tmcode.interchange.otm import import_otm
    from tmcode.interchange.threagile import import_threagile

    name = str(source)
    limits = limits or ReadLimits()
    expected = "an OTM file" if fmt == "otm" else "a Threagile file"
    data = read_input_bytes(
        source,
        limits.max_bytes,
        error=InterchangeError,
        expected=expected,
        size_hint=f"{expected} this large is not one tmcode imports",
    )
    if fmt == "otm":
        text = decode_utf8(data, name, error=InterchangeError, what="JSON")
        document = parse_json(text, name, error=InterchangeError, invalid="cannot parse the file")
        return import_otm(document, name)
    text = decode_utf8(data, name, error=InterchangeError)
    try:
        document = read_yaml(text, name, limits)
    except ModelError as exc:
        raise InterchangeError(
            [replace(p, message=f"cannot parse the file: {p.message}") for p in exc.problems]
        ) from None
    return import_threagile(document, name)


def check_shape(document: Any, shape: Shape, source: str, what: str, hint: str) -> None:
    """Raise InterchangeError naming the first field of ``document`` that is not ``shape``."""
    problem = shape_problem(document, shape)
    if problem is not None:
        raise InterchangeError(
            Problem(source, None, None, f"not {what} tmcode reads: {problem}", hint)
        )


__all__ = ["ImportResult", "InterchangeError", "Problem", "import_file", "safe_id"]
