"""`tmcode init`: a starter model, its schema, a CI workflow and a pre-commit config."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from tmcode.model.schema import model_json_schema_text


def starter_files() -> dict[str, str]:
    """The files ``tmcode init`` writes, keyed by path relative to the target directory."""
    starter = resources.files("tmcode.starter")
    return {
        "threat-model.yaml": starter.joinpath("threat-model.yaml").read_text("utf-8"),
        "tmcode.schema.json": model_json_schema_text(),
        ".github/workflows/threat-model.yml": starter.joinpath("threat-model.yml.github").read_text(
            "utf-8"
        ),
        ".pre-commit-config.yaml": starter.joinpath("pre-commit-config.yaml").read_text("utf-8"),
    }


def init_project(directory: Path) -> list[Path]:
    """Write the starter files into ``directory``; refuse, writing nothing, if any exists."""
    from tmcode.output import write_files

    files = [(directory / name, content) for name, content in starter_files().items()]
    return write_files(
        files, [], replace=False, keep_hint="move it aside or run tmcode init in another directory"
    )
