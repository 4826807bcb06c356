"""The build step: write the site's files to disk and run mkdocs on them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

MANIFEST = ".tmcode-site.json"


def write_site(files: dict[str, str | bytes], root: Path, inputs: Iterable[Path] = ()) -> list[str]:
    """Write the site under ``root``, replacing and removing only files an earlier run wrote."""
    from tmcode.output import write_tree

    return write_tree(root, files, inputs, manifest=MANIFEST, owns=_site_file)


def check_site_folder(root: Path) -> None:
    """Refuse early an output folder ``write_site`` would refuse for what is already in it."""
    from tmcode.output import recorded_files

    recorded_files(root, manifest=MANIFEST, owns=_site_file)


def _site_file(relative: str) -> bool:
    """Whether ``tmcode docs`` may have written ``relative``: mkdocs.yml or a page under docs/."""
    return relative == "mkdocs.yml" or relative.startswith("docs/")


def build_site(root: Path, site: Path | None = None) -> None:
    """Run ``mkdocs build --strict`` on ``root/mkdocs.yml``; the HTML goes to ``site`` (``root/site``)."""
    import importlib.util
    import os
    import subprocess
    import sys

    from tmcode.errors import Problem, UsageError

    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None:
        raise UsageError(
            "--build needs mkdocs-material, a dependency of tmcode that is missing from this "
            "Python environment: reinstall tmcode (pip install --force-reinstall tmcode) or "
            "pip install mkdocs-material"
        )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-q",
            "-f",
            str(root / "mkdocs.yml"),
            "-d",
            str((site or root / "site").resolve()),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    if result.returncode != 0:
        raise UsageError(
            Problem(
                str(root / "mkdocs.yml"),
                None,
                None,
                "mkdocs build --strict failed:\n" + (result.stderr or result.stdout).strip(),
            )
        )
