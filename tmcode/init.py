"""`tmcode init`: a starter model, its schema, a CI workflow and a pre-commit config."""

from __future__ import annotations

import contextlib

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
    """Write the starter files into ``directory``; refuse, writing nothing, if any cannot be."""
    files = starter_files()
    problems = _blockers(directory, list(files))
    if problems:
        raise UsageError(problems)
    written: list[Path] = []
    made: list[Path] = []
    try:
        for name, content in files.items():
            path = directory / name
            made.extend(_make_parents(path.parent))
            write_new_file(path, content)
            written.append(path)
    except OSError as exc:
        # All or nothing: take back what this run wrote, then say what stopped it.
        for path in reversed(written):
            path.unlink(missing_ok=True)
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise UsageError(
            Problem(
                exc.filename or str(directory),
                None,
                None,
                f"cannot be written ({exc.strerror or exc}); tmcode init wrote nothing",
                "fix the permissions or run tmcode init in another directory",
            )
        ) from None
    return written


def write_new_file(path: Path, content: str) -> None:
    """Create ``path`` with ``content``; fail if anything is already there."""
    with path.open("x", encoding="utf-8", newline="\n") as handle:
        handle.write(content)


def _blockers(directory: Path, names: list[str]) -> list[Problem]:
    """Why each of ``names`` cannot be created in ``directory``: it exists, or a parent is no folder."""
    problems: list[Problem] = []
    not_folders: set[Path] = set()
    for name in names:
        path = directory / name
        folders = [directory / parent for parent in reversed(Path(name).parents)]
        if any(folder in not_folders for folder in folders):
            continue  # already said
        blocker = next((f for f in folders if _taken(f) and not f.is_dir()), None)
        if blocker is not None:
            not_folders.add(blocker)
            problems.append(
                Problem(
                    str(blocker),
                    None,
                    None,
                    f"is not a folder, so {path} cannot be written; tmcode init wrote nothing",
                    "move it aside or run tmcode init in another directory",
                )
            )
        elif _taken(path):
            problems.append(
                Problem(
                    str(path),
                    None,
                    None,
                    "already exists; tmcode init never overwrites a file",
                    "move it aside or run tmcode init in another directory",
                )
            )
    return problems


def _taken(path: Path) -> bool:
    """Whether anything, even a dangling symbolic link, is at ``path``."""
    return path.exists() or path.is_symlink()


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return the ones created, outermost first."""
    missing = [p for p in [folder, *folder.parents] if not p.exists()]
    for path in reversed(missing):
        path.mkdir()
    return list(reversed(missing))
