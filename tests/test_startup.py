"""Light commands stay light: nothing heavy is imported before it is needed."""

from __future__ import annotations

import subprocess
import sys

from conftest import MODELS

PROBE = """
import sys
from tmcode._cli import main
sys.argv = ["tmcode", *{args!r}]
try:
    main()
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("networkx", "jinja2", "graphviz", "markupsafe")
               or m.startswith("tmcode.render") or m == "tmcode.engine")
print("HEAVY=" + ",".join(heavy))
print("PYDANTIC=" + str("pydantic" in sys.modules))
"""


def modules_after(*args: str) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=list(args))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = dict(
        line.split("=", 1)
        for line in done.stdout.splitlines()
        if "=" in line and line.split("=")[0].isupper()
    )
    return lines


def test_help_imports_neither_pydantic_nor_renderers() -> None:
    found = modules_after("--help")
    assert found["HEAVY"] == ""
    assert found["PYDANTIC"] == "False"


def test_validate_imports_no_renderer_nor_graph_library() -> None:
    assert modules_after("validate", str(MODELS / "support-copilot.yaml"))["HEAVY"] == ""


def test_check_imports_only_the_renderer_it_uses() -> None:
    heavy = modules_after("check", str(MODELS / "support-copilot.yaml"), "--fail-on", "none")[
        "HEAVY"
    ].split(",")
    assert "networkx" not in heavy and "jinja2" not in heavy and "graphviz" not in heavy
    assert "tmcode.render.text" in heavy and "tmcode.render.html" not in heavy


def test_the_package_lists_its_api_once_and_imports_it_lazily() -> None:
    probe = (
        "import sys, tmcode; light = 'pydantic' not in sys.modules; names = tmcode.__all__; "
        "print(light, 'Model' in names, 'check_files' in names, 'ModelError' in names, hasattr(tmcode, '_nope'))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["True", "True", "True", "True", "False"], done.stderr
