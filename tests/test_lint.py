"""The code stays free of unused names, syntax errors and common bug patterns (ruff)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")


@pytest.mark.skipif(RUFF is None, reason="ruff is not installed (it is in the test extra)")
def test_ruff_finds_nothing() -> None:
    done = subprocess.run(
        [RUFF, "check", "tmcode", "tests", "bench"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
