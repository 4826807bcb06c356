"""The code stays free of unused names, common bug patterns (ruff) and type errors (mypy)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
MYPY = importlib.util.find_spec("mypy") is not None


@pytest.mark.skipif(RUFF is None, reason="ruff is not installed (it is in the test extra)")
def test_ruff_finds_nothing() -> None:
    done = subprocess.run(
        [RUFF, "check", "tmcode", "tests", "bench"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(not MYPY, reason="mypy is not installed (it is in the test extra)")
def test_mypy_finds_nothing() -> None:
    # The settings (strict, the pydantic plugin, per-module overrides) are in pyproject.toml.
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "tmcode"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
