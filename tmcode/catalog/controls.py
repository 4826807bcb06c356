"""Load the control catalog: every control id a model may declare."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tmcode.errors import ModelError, Problem, TmcodeError
from tmcode.model.diagnose import problems_from_validation
from tmcode.model.elements import Id
from tmcode.model.yaml_reader import read_yaml_file

Stage = Literal["design", "development", "deployment", "operation", "decommissioning"]


_SIZE_HINT = "a catalog file this large is not one; split it"


class CatalogError(TmcodeError):
    """A catalog file that cannot be read or does not follow the catalog format."""


class Control(BaseModel):
    """One control: what it is, where in the lifecycle it belongs, what it maps to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = Field(min_length=1)
    stage: Stage
    atlas: list[str] = Field(default_factory=list)


class ControlFile(BaseModel):
    """The shape of a ``controls.yaml`` file."""

    model_config = ConfigDict(extra="forbid")

    controls: dict[Id, Control]


def bundled_catalog_dir() -> Path:
    """Return the catalog shipped with tmcode (in the wheel, or the source tree)."""
    packaged = Path(__file__).resolve().parent.parent / "_catalog"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "catalog"


def load_controls(directories: list[Path] | None = None) -> dict[str, Control]:
    """Load ``controls.yaml`` from the bundled catalog and then each extra directory."""
    controls: dict[str, Control] = {}
    for directory in [bundled_catalog_dir(), *(directories or [])]:
        path = directory / "controls.yaml"
        if not os.path.lexists(path):
            continue
        for cid, control in _read_control_file(path).items():
            if cid in controls:
                raise CatalogError(
                    Problem(
                        str(path),
                        None,
                        None,
                        f"control `{cid}` is already defined",
                        "pick a new id for your own control",
                    )
                )
            controls[cid] = control
    return controls


def _read_control_file(path: Path) -> dict[str, Control]:
    try:
        raw = read_yaml_file(path, expected="a controls.yaml file", size_hint=_SIZE_HINT)
        return ControlFile.model_validate(raw).controls
    except ModelError as exc:
        raise CatalogError(exc.problems) from None
    except ValidationError as exc:
        raise CatalogError(problems_from_validation(exc, raw, str(path))) from None
