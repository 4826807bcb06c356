"""The command line is a package of command groups sharing one declaration of each option."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tmcode.cli
from conftest import MODELS, ROOT

MODEL = MODELS / "support-copilot.yaml"
THREAGILE = ROOT / "tests" / "interchange" / "threagile-chatbot.yaml"


def test_every_group_module_registers_once_in_the_listed_order() -> None:
    modules = {m.name for m in pkgutil.iter_modules(tmcode.cli.__path__)}
    groups = tmcode.cli.group_names()
    assert groups[: len(tmcode.cli.GROUPS)] == list(tmcode.cli.GROUPS)
    assert sorted(groups) == sorted(m for m in modules if not m.startswith("_"))
    for name in groups:
        assert callable(importlib.import_module(f"tmcode.cli.{name}").register), name


def test_a_new_group_is_one_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "zz_hello.py").write_text(
        "import typer\n\n\n"
        "def hello() -> None:\n"
        '    """Say hello."""\n'
        '    typer.echo("hello")\n\n\n'
        "def register(app: typer.Typer) -> None:\n"
        "    app.command()(hello)\n"
    )
    monkeypatch.setattr(tmcode.cli, "__path__", [*tmcode.cli.__path__, str(tmp_path)])
    try:
        app = tmcode.cli.make_app()
        runner = CliRunner()
        listing = runner.invoke(app, ["--help"], env={"COLUMNS": "100"}).output
        done = runner.invoke(app, ["hello"])
    finally:
        sys.modules.pop("tmcode.cli.zz_hello", None)
    assert done.exit_code == 0 and done.output == "hello\n"
    # A command's name starts its row; wrapped help lines start with spaces.
    names = [
        line.split()[1] for line in listing.splitlines() if line.startswith("│ ") and line[2] != " "
    ]
    # After the built-in commands; typer lists sub-apps such as `catalog` last.
    assert names[-2:] == ["hello", "catalog"], listing
    assert names.index("docs") < names.index("hello"), listing


@pytest.mark.parametrize(
    "args",
    [
        ["validate", MODEL],
        ["check", MODEL],
        ["bom", MODEL],
        ["reach", MODEL],
        ["assurance", MODEL],
        ["diagram", MODEL],
        ["docs", MODEL, "--output", "{tmp}/site"],
        ["import", "threagile", THREAGILE, "--output", "{tmp}/imported.yaml"],
    ],
    ids=lambda args: str(args[0]),
)
def test_the_read_limits_reach_every_command_that_reads_yaml(
    args: list[object], tmp_path: Path, cli
) -> None:
    words = [str(a).replace("{tmp}", str(tmp_path)) for a in args]
    done = cli(*words, "--max-depth", "2")
    assert done.exit_code == 2, done.output
    assert "nesting deeper than 2 levels" in done.output
    assert not (tmp_path / "imported.yaml").exists()


def test_export_offers_only_the_python_timeout(cli) -> None:
    assert cli("export", MODEL, "--max-depth", "2").exit_code == 2
    done = cli("export", MODEL, "--python-timeout", "5")
    assert done.exit_code == 0 and done.output.startswith("tmcode: 1\n")
