"""A broken custom catalog is a load error naming the file and line, never a dead rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import MODELS
from tmcode.catalog.controls import CatalogError
from tmcode.catalog.load import load_catalog

GOOD = (
    Path(__file__).resolve().parent.parent / "catalog" / "threats" / "ag" / "AG-004.yaml"
).read_text()
GOOD = GOOD.replace("id: AG-004", "id: ORG-101")


def edit(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


CASES = [
    (
        "unknown attribute",
        edit("{name: autonomy, eq: autonomous}", "{name: autonomyy, eq: autonomous}"),
        "condition: `autonomyy` is not an attribute of any component (agent)",
    ),
    (
        "unknown enum value",
        edit("{name: autonomy, eq: autonomous}", "{name: autonomy, eq: reckless}"),
        "`reckless` is not a valid value of `autonomy`",
    ),
    ("unknown operator", edit("  any:\n", "  some:\n"), "unknown operator `some`"),
    (
        "two operators in one node",
        edit(
            "    - attr: {name: autonomy, eq: autonomous}",
            "    - attr: {name: autonomy, eq: autonomous}\n      not: {attr: {name: autonomy, eq: suggest}}",
        ),
        "exactly one operator",
    ),
    (
        "empty all",
        edit("  any:\n    - attr: {name: autonomy, eq: autonomous}\n", "  all: []\n  # \n").replace(
            "    - has_permission:\n        where: {attr: {name: scopes, contains_any: [spend, spawn]}}\n",
            "",
        ),
        "needs a non-empty list",
    ),
    (
        "wrong test for a list",
        edit("{name: scopes, contains_any: [spend, spawn]}", "{name: scopes, eq: spend}"),
        "`scopes` is a list; use `contains` or `contains_any`",
    ),
    ("unknown kind", edit("kinds: [agent]", "kinds: [agnet]"), "did you mean `agent`?"),
    (
        "unknown control in mitigations",
        edit("[iteration_limit, budget_cap]", "[iteration_limit, budget_capp]"),
        "unknown control `budget_capp`",
    ),
    (
        "missing doc section",
        edit("  limitations: >-\n    An unset `autonomy` is assumed to be autonomous.\n", ""),
        "missing required key `limitations`",
    ),
    (
        "bad reference",
        edit("  - cwe:CWE-400\n", "  - owasp-llm:LLM11:2025\n"),
        "owasp-llm:LLM11:2025",
    ),
    (
        "unknown option",
        edit("has_permission:\n", "has_permission:\n        minimum: 2\n"),
        "unknown option `minimum`",
    ),
    (
        "attribute of another kind",
        edit("kinds: [agent]", "kinds: [llm]"),
        "`autonomy` is not an attribute of any component (llm)",
    ),
    (
        "agent-only test on another kind",
        edit("kinds: [agent]", "kinds: [llm]").replace(
            "    - attr: {name: autonomy, eq: autonomous}\n", ""
        ),
        "`has_permission` applies to agent only",
    ),
]


@pytest.mark.parametrize(("content", "text"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_threat_is_a_located_catalog_error(tmp_path: Path, content: str, text: str) -> None:
    (tmp_path / "threats").mkdir()
    path = tmp_path / "threats" / "ORG-101.yaml"
    path.write_text(content)
    with pytest.raises(CatalogError) as info:
        load_catalog([tmp_path])
    message = info.value.diagnostics()
    assert text in message, message
    assert message.startswith(f"{path}:"), message
    assert message.split(":")[1].isdigit(), message


def test_the_good_threat_loads(tmp_path: Path) -> None:
    (tmp_path / "threats").mkdir()
    (tmp_path / "threats" / "ORG-101.yaml").write_text(GOOD)
    assert "ORG-101" in load_catalog([tmp_path]).threats


def test_duplicate_id_is_refused(tmp_path: Path) -> None:
    (tmp_path / "threats").mkdir()
    (tmp_path / "threats" / "AG-004.yaml").write_text(GOOD.replace("id: ORG-101", "id: AG-004"))
    with pytest.raises(CatalogError, match="threat id `AG-004` is already defined"):
        load_catalog([tmp_path])


def test_file_name_must_match_the_id(tmp_path: Path) -> None:
    (tmp_path / "threats").mkdir()
    (tmp_path / "threats" / "ORG-102.yaml").write_text(GOOD)
    with pytest.raises(CatalogError, match="name the file `ORG-101.yaml`"):
        load_catalog([tmp_path])


def test_cli_reports_a_bad_catalog_with_exit_2(tmp_path: Path, cli) -> None:
    (tmp_path / "threats").mkdir()
    (tmp_path / "threats" / "ORG-101.yaml").write_text(edit("kinds: [agent]", "kinds: [agnet]"))
    result = cli("check", MODELS / "support-copilot.yaml", "--catalog", tmp_path)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "ORG-101.yaml:" in result.output


def test_missing_catalog_directory(tmp_path: Path, cli) -> None:
    result = cli("check", MODELS / "support-copilot.yaml", "--catalog", tmp_path / "nope")
    assert result.exit_code == 2
    assert "no such catalog directory" in result.output
