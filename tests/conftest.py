"""Shared paths and helpers for the test suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tmcode._cli import app

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
CONTRACT = ROOT / "tests" / "contract"
SPEC_EXAMPLES = CONTRACT / "examples"
REFERENCE = ROOT / "tests" / "reference"


def spec_examples() -> list[Path]:
    """The contract's example models; the suite fails loudly if they cannot be found."""
    found = sorted(SPEC_EXAMPLES.glob("*.yaml"))
    assert found, f"no spec examples under {SPEC_EXAMPLES}"
    return found


def bundled_models(suffix: str = "*") -> list[Path]:
    """The example models shipped in ``models/`` and ``models/mitigated/``."""
    return sorted(p for p in MODELS.rglob(f"*.{suffix}") if p.suffix in (".yaml", ".yml", ".py"))


def all_example_models() -> list[Path]:
    """Spec examples and bundled models together."""
    return spec_examples() + bundled_models()


def run_tmcode(
    *args: object, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a subprocess; a hang fails the test instead of the suite."""
    return subprocess.run(
        [sys.executable, "-m", "tmcode", *(str(a) for a in args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "NO_COLOR": "1"} if env is None else env,
    )


@pytest.fixture
def cli():
    """Invoke the real command line in-process and return the result."""
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, [str(a) for a in args])

    return invoke


def pytest_addoption(parser):
    """Add ``--update-golden`` to rewrite golden files from the current output."""
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files")


@pytest.fixture
def update_golden(request) -> bool:
    """True when the run was asked to rewrite golden files."""
    return bool(request.config.getoption("--update-golden"))
