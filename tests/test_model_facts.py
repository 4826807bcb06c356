"""Model facts are worked out once, in ``tmcode/model/``: every other stage reads the index.

The check reads the source: outside ``tmcode/model/``, no module may read the data a component
holds (``.stores``, ``.contains``), the controls declared on an element (``system.controls``,
``component.controls``, ``flow.controls``, ``permission.controls``, ``getattr(x, "controls")``),
rebuild the permission map (``.permissions()``) or work out trust (``.effective_trust()``).
It reads ``ModelIndex`` instead (``data_of``, ``controls_on``, ``declared_controls``,
``permissions``, ``trust``). The few exceptions are listed below, each with its reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tmcode"

_HELD = {"stores", "contains"}
_ELEMENTS = {"component", "flow", "permission", "agent", "tool", "server"}

# (path from the repository root, rule) -> why it may compute the fact itself.
ALLOWED: dict[tuple[str, str], str] = {
    ("tmcode/catalog/conditions/attributes.py", "data held"): "`system_prompt.contains` is "
    "what a prompt holds, not data a component holds",
    ("tmcode/cli/model.py", "permission map"): "a count for `tmcode validate`'s one-line summary",
}


def _rules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, rule) of every place the module computes a model fact by hand."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            if node.attr in _HELD:
                found.append((node.lineno, "data held"))
            elif node.attr == "controls" and (
                (isinstance(node.value, ast.Attribute) and node.value.attr == "system")
                or (isinstance(node.value, ast.Name) and node.value.id in _ELEMENTS)
            ):
                found.append((node.lineno, "controls"))
        elif isinstance(node, ast.Call):
            func = node.func
            if (
                isinstance(func, ast.Name)
                and func.id == "getattr"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
            ):
                if node.args[1].value in _HELD:
                    found.append((node.lineno, "data held"))
                elif node.args[1].value == "controls":
                    found.append((node.lineno, "controls"))
            elif isinstance(func, ast.Attribute) and func.attr == "effective_trust":
                found.append((node.lineno, "trust"))
            elif isinstance(func, ast.Attribute) and func.attr == "permissions" and not node.args:
                found.append((node.lineno, "permission map"))
    return found


def _offences(root: Path) -> list[str]:
    out = []
    for path in sorted(root.joinpath("tmcode").rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith("tmcode/model/"):
            continue
        for line, rule in _rules(ast.parse(path.read_text(encoding="utf-8"))):
            if (relative, rule) not in ALLOWED:
                out.append(f"{relative}:{line}: {rule}")
    return out


def test_no_stage_outside_the_model_package_computes_a_model_fact() -> None:
    offences = _offences(ROOT)
    assert not offences, (
        "read these facts from ModelIndex (tmcode/model/index.py; add a field there if one is "
        "missing) instead of the model's elements:\n" + "\n".join(offences)
    )


@pytest.mark.parametrize(
    ("source", "rule"),
    [
        ("ids = component.stores", "data held"),
        ("ids = [*getattr(c, 'contains', ())]", "data held"),
        ("refs = model.system.controls", "controls"),
        ("refs = flow.controls", "controls"),
        ("refs = getattr(x, 'controls', [])", "controls"),
        ("for a, t, p in model.permissions(): pass", "permission map"),
        ("level = model.effective_trust(cid)", "trust"),
    ],
)
def test_the_check_catches_each_hand_computed_fact(source: str, rule: str) -> None:
    assert [r for _, r in _rules(ast.parse(source))] == [rule]


@pytest.mark.parametrize(
    "source",
    [
        "ids = index.data_of(cid)",
        "done = index.controls_on(address).implemented",
        "known = catalog.controls",
        "states = finding.controls",
        "entry = index.permissions[address]",
    ],
)
def test_the_check_lets_index_reads_through(source: str) -> None:
    assert _rules(ast.parse(source)) == []
