"""Interchange with other threat-modeling formats: OTM export and import, Threagile import."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tmcode.errors import Problem, TmcodeError
from tmcode.model.diagnose import problems_from_validation
from tmcode.model.elements import Model
from tmcode.model.export import model_to_yaml
from tmcode.model.references import check_references


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
        """The imported model as YAML, headed by what a person should refine."""
        body = model_to_yaml(self.model(source))
        lines = [
            f"# Imported from {fmt} file {source} by tmcode. Review kinds, trust and flow kinds;"
        ]
        if self.unmapped:
            lines.append("# Not mapped (refine by hand):")
            lines += [f"#   - {item}" for item in self.unmapped]
        else:
            lines.append("# Everything in the source was mapped.")
        return "\n".join(lines) + "\n" + body


def import_file(fmt: str, source: Path) -> ImportResult:
    """Read an OTM (JSON) or Threagile (YAML) file and map it to tmcode model data."""
    import json

    import yaml

    from tmcode.interchange.otm import import_otm
    from tmcode.interchange.threagile import import_threagile

    try:
        raw = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InterchangeError(
            Problem(str(source), None, None, f"cannot read the file: {exc}")
        ) from None
    try:
        document = json.loads(raw) if fmt == "otm" else yaml.safe_load(raw)
    except json.JSONDecodeError as exc:
        raise InterchangeError(
            Problem(str(source), exc.lineno, exc.colno, f"cannot parse the file: {exc.msg}")
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InterchangeError(
            Problem(str(source), line, None, f"cannot parse the file: {exc}")
        ) from None
    importer = import_otm if fmt == "otm" else import_threagile
    return importer(document, str(source))


__all__ = ["ImportResult", "InterchangeError", "Problem", "import_file", "safe_id"]
