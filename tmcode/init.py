"""`tmcode init`: a starter model, its schema, a CI workflow and a pre-commit config."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from tmcode.errors import Problem, UsageError
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
    files = starter_files()
    existing = [directory / name for name in files if (directory / name).exists()]
    if existing:
        raise UsageError(
            [
                Problem(
                    str(path),
                    None,
                    None,
                    "already exists; tmcode init never overwrites a file",
                    "move it aside or run tmcode init in another directory",
                )
                for path in existing
            ]
        )
    written = []
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(content)
        written.append(path)
    return written
