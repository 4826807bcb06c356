"""The repository is complete on its own: nothing it runs names a path outside its root."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from conftest import ROOT

# What a test, script, benchmark or build file would write to reach outside the clone.
OUTSIDE = re.compile(
    r"""\.\./+shared\b"""  # the sibling folder of reference material
    r"""|\bROOT\s*\.\s*parent\b"""  # the repository root's parent
    r"""|parent\s*/\s*["']shared["']"""
    r"""|["']/work/"""  # an absolute path of a developer's machine
    r"""|\bshared/(spec|reference|research)\b"""
)
SCANNED_DIRS = ("tests", "scripts", "bench", ".ci", "docs")
SCANNED_FILES = ("Makefile", "mkdocs.yml", "pyproject.toml", "action.yml", ".pre-commit-hooks.yaml")
SUFFIXES = {".py", ".sh", ".yml", ".yaml", ".toml", ".cfg", ".ini", ".md", ""}
SELF = Path(__file__).resolve()


def _tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if listed.returncode == 0 and listed.stdout:
        return [ROOT / line for line in listed.stdout.splitlines()]
    return [p for p in ROOT.rglob("*") if ".venv" not in p.parts and ".git" not in p.parts]


def _scanned() -> list[Path]:
    picked = []
    for path in _tracked_files():
        rel = path.relative_to(ROOT)
        in_dir = rel.parts and rel.parts[0] in SCANNED_DIRS
        if not (in_dir or rel.as_posix() in SCANNED_FILES) or not path.is_file():
            continue
        if rel.parts[:2] in (("tests", "reference"), ("tests", "contract")):
            continue  # third-party data and the contract's prose, not code that runs
        if path.suffix in SUFFIXES and path.resolve() != SELF:
            picked.append(path)
    return picked


def test_the_scan_sees_the_files_that_run() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in _scanned()}
    assert {"tests/conftest.py", "Makefile", ".ci/run", "scripts/action-check.sh"} <= names


def test_no_test_script_or_build_file_names_a_path_outside_the_repository() -> None:
    offenders = []
    for path in _scanned():
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "copy what is needed into the repository instead:\n" + "\n".join(
        offenders
    )


def test_the_detector_catches_the_ways_out() -> None:
    for line in (
        # Spelled in pieces, so that no grep for these very patterns finds this file.
        "SPEC = ROOT.parent / " + '"sha' + 'red" / "spec"',
        "cat .." + "/shared/reference/x.json",
        'open("/work/shared/spec/model-format.md")',
        "path = here.parent / 'shared'",
    ):
        assert OUTSIDE.search(line), line
    assert not OUTSIDE.search('MODELS = ROOT / "models"')


def test_the_contract_copies_are_whole() -> None:
    contract = ROOT / "tests" / "contract"
    assert sorted(p.name for p in (contract / "examples").glob("*.yaml")) == [
        "ide-agent.yaml",
        "model-pipeline.yaml",
        "support-copilot.yaml",
    ]
    for folder in ("atlas", "otm", "sarif"):
        assert (ROOT / "tests" / "reference" / folder / "LICENSE").is_file(), folder
