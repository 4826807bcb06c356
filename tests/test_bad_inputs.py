"""Every kind of bad model gets exit 2, one clear located message, and no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

BASE = """\
tmcode: 1
system:
  name: Test
boundaries:
  internet: {trust: untrusted}
  corp: {trust: internal}
data:
  pii: {classification: confidential, tags: [pii]}
components:
  customer:
    kind: user
    boundary: internet
  model:
    kind: llm
    boundary: corp
  copilot:
    kind: agent
    boundary: corp
    model: model
    tools:
      search: {scopes: [read]}
  search:
    kind: retriever
    boundary: corp
flows:
  - {from: customer, to: copilot, kind: prompt, data: [pii]}
  - {from: copilot, to: model, kind: prompt}
"""


def edit(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


BILLION_LAUGHS = "tmcode: 1\na: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
)

# (case id, file content, expected line, expected text in the message)
CASES: list[tuple[str, str | bytes, int | None, str]] = [
    ("empty file", "", 1, "the file is empty"),
    ("only comments", "# nothing here\n", 1, "the file is empty"),
    ("wrong version", edit("tmcode: 1", "tmcode: 2"), 1, "unsupported format version `2`"),
    ("version as text", edit("tmcode: 1", "tmcode: '1'"), 1, "unsupported format version"),
    ("missing version", edit("tmcode: 1\n", "\n"), None, "missing required key `tmcode`"),
    ("non-UTF-8", BASE.encode().replace(b"name: Test", b"name: T\xe9st"), 3, "not valid UTF-8"),
    ("binary", b"\x7fELF\x02\x01\x00\x00binary", 1, "binary file"),
    ("top-level list", "- tmcode: 1\n- system: x\n", 1, "top level of a model must be a mapping"),
    ("top-level scalar", "just text\n", 1, "top level of a model must be a mapping"),
    (
        "python tag runs a command",
        edit("  name: Test", "  name: !!python/object/apply:os.system ['touch /tmp/pwned']"),
        3,
        "YAML tag `tag:yaml.org,2002:python/object/apply:os.system` is not allowed",
    ),
    (
        "custom tag",
        edit("  name: Test", "  name: !secret x"),
        3,
        "YAML tag `!secret` is not allowed",
    ),
    ("alias bomb", BILLION_LAUGHS, None, "expands to more than"),
    (
        "deep nesting",
        "tmcode: 1\nx: " + "[" * 20000 + "]" * 20000 + "\n",
        2,
        "nesting deeper than 64",
    ),
    ("two documents", BASE + "---\ntmcode: 1\n", 28, "more than one YAML document"),
    ("tab indentation", edit("  name: Test", "\tname: Test"), 3, "tabs"),
    ("syntax error", edit("  corp: {trust: internal}", "  corp: {trust: internal"), None, "flow"),
    ("unknown top-level key", edit("components:", "componets:"), 9, "did you mean `components`?"),
    (
        "unknown component key",
        edit("    boundary: internet", "    boundry: internet"),
        12,
        "did you mean `boundary`?",
    ),
    ("unknown kind", edit("    kind: agent", "    kind: agnet"), 17, "did you mean `agent`?"),
    ("missing kind", edit("    kind: retriever\n", ""), 22, "component `search` has no `kind`"),
    (
        "missing boundary",
        edit("    kind: retriever\n    boundary: corp\n", "    kind: retriever\n"),
        22,
        "missing required key `boundary`",
    ),
    (
        "dangling boundary",
        edit("    boundary: internet", "    boundary: internt"),
        12,
        "did you mean `internet`?",
    ),
    (
        "dangling flow source",
        edit("{from: copilot, to: model", "{from: copilto, to: model"),
        27,
        "unknown component `copilto` in flow 2 (`copilto->model`) — did you mean `copilot`?",
    ),
    ("dangling flow data", edit("data: [pii]}", "data: [pi]}"), 26, "unknown data asset `pi`"),
    (
        "agent model not an llm",
        edit("    model: model", "    model: search"),
        19,
        "`search` in component `copilot` is a retriever, not a llm",
    ),
    (
        "agent model unknown",
        edit("    model: model", "    model: modle"),
        19,
        "did you mean `model`?",
    ),
    (
        "llm artifact unknown",
        edit("    kind: llm\n", "    kind: llm\n    artifact: weights\n"),
        15,
        "unknown model_artifact `weights`",
    ),
    (
        "llm trained on non-dataset",
        edit("    kind: llm\n", "    kind: llm\n    trained_on: [search]\n"),
        15,
        "is a retriever, not a dataset",
    ),
    (
        "permission on a user",
        edit("      search: {scopes: [read]}", "      customer: {scopes: [read]}"),
        21,
        "cannot hold a permission on user `customer`",
    ),
    (
        "permission target unknown",
        edit("      search: {scopes: [read]}", "      serch: {scopes: [read]}"),
        21,
        "did you mean `search`?",
    ),
    ("empty scopes", edit("{scopes: [read]}", "{scopes: []}"), 21, "must not be empty"),
    ("unknown scope", edit("{scopes: [read]}", "{scopes: [raed]}"), 21, "did you mean `read`?"),
    (
        "boundary cycle",
        edit(
            "  internet: {trust: untrusted}\n  corp: {trust: internal}",
            "  internet: {trust: untrusted, parent: corp}\n  corp: {trust: internal, parent: internet}",
        ),
        5,
        "boundaries nest in a cycle",
    ),
    (
        "boundary parent unknown",
        edit("  corp: {trust: internal}", "  corp: {trust: internal, parent: cloud}"),
        6,
        "unknown boundary `cloud`",
    ),
    (
        "duplicate YAML key",
        edit("  search:\n    kind: retriever", "  customer:\n    kind: retriever"),
        22,
        "duplicate key `customer` (first written at line 10)",
    ),
    (
        "id used twice",
        edit("  corp: {trust: internal}", "  corp: {trust: internal}\n  search: {trust: internal}"),
        23,
        "id `search` of this component is already used by a boundary",
    ),
    (
        "two flows share an address",
        BASE + "  - {from: copilot, to: model, kind: context}\n",
        27,
        "shares its address with another flow",
    ),
    (
        "bad trust enum",
        edit("{trust: untrusted}", "{trust: trusted}"),
        5,
        "`trusted` is not allowed",
    ),
    (
        "yes is not a bool",
        edit("    boundary: internet", "    boundary: internet\n    authenticated: yes"),
        13,
        "expected true or false, got `yes`",
    ),
    (
        "number where text is expected",
        edit("    kind: retriever", "    kind: retriever\n    version: 1.0"),
        24,
        "quote it ('1.0')",
    ),
    (
        "invalid id",
        edit("  search:\n    kind: retriever", "  my search:\n    kind: retriever"),
        22,
        "`my search` is not a valid id",
    ),
    (
        "components is a list",
        edit(
            "components:\n  customer:\n    kind: user\n    boundary: internet\n",
            "components:\n  - customer\ncomps:\n  customer:\n    kind: user\n    boundary: internet\n",
        ),
        9,
        "expected a mapping",
    ),
    (
        "unknown control",
        edit("  name: Test", "  name: Test\n  controls: [human_aproval]"),
        4,
        "did you mean `human_approval`?",
    ),
    (
        "store names unknown data",
        edit(
            "    kind: retriever\n    boundary: corp",
            "    kind: vector_store\n    boundary: corp\n    stores: [pii, secrets]",
        ),
        25,
        "unknown data asset `secrets`",
    ),
    (
        "accepted without expiry",
        BASE + "decisions:\n  - {threat: LLM01, target: copilot, status: accepted, reason: ok}\n",
        29,
        "needs `expires`",
    ),
    (
        "decision target unknown",
        BASE
        + "decisions:\n  - {threat: LLM01, target: copilt, status: false_positive, reason: ok}\n",
        29,
        "did you mean `copilot`?",
    ),
    (
        "bad date",
        BASE
        + "decisions:\n  - {threat: LLM01, target: copilot, status: accepted, reason: ok, expires: tomorrow}\n",
        29,
        "not a date",
    ),
    (
        "empty reason",
        BASE
        + "decisions:\n  - {threat: LLM01, target: copilot, status: false_positive, reason: ''}\n",
        29,
        "must not be empty",
    ),
]


@pytest.mark.parametrize(
    ("content", "line", "text"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_model_is_one_clear_error(tmp_path: Path, cli, content, line, text) -> None:
    model = tmp_path / "model.yaml"
    if isinstance(content, bytes):
        model.write_bytes(content)
    else:
        model.write_text(content, encoding="utf-8")
    result = cli("validate", model)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert text in result.output, result.output
    lines = result.output.splitlines()
    assert all(ln.startswith(f"{model}:") for ln in lines), lines
    if line is not None:
        matching = next(ln for ln in lines if text in ln)
        assert matching.startswith(f"{model}:{line}:"), matching


def test_table_covers_thirty_kinds_of_mistake() -> None:
    assert len(CASES) >= 30


def test_the_python_tag_never_runs(tmp_path: Path, cli) -> None:
    marker = tmp_path / "pwned"
    model = tmp_path / "model.yaml"
    model.write_text(
        edit("  name: Test", f"  name: !!python/object/apply:os.system ['touch {marker}']")
    )
    assert cli("validate", model).exit_code == 2
    assert not marker.exists()


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path, cli) -> None:
    text = edit("    boundary: internet", "    boundary: internt")
    text = text.replace("{from: copilot, to: model", "{from: copilto, to: model")
    model = tmp_path / "model.yaml"
    model.write_text(text)
    result = cli("validate", model)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{model}:12:")
    assert lines[1].startswith(f"{model}:27:")


def test_oversized_file_is_refused_with_the_limit(tmp_path: Path, cli) -> None:
    model = tmp_path / "model.yaml"
    model.write_text(BASE + "# " + "x" * 4000 + "\n")
    result = cli("validate", "--max-bytes", "1000", model)
    assert result.exit_code == 2
    assert "over the limit of 1,000" in result.output
    assert "--max-bytes" in result.output


def test_a_fifty_megabyte_file_is_refused_quickly(tmp_path: Path, cli) -> None:
    model = tmp_path / "model.yaml"
    model.write_bytes(BASE.encode() + b"#" * (50 * 1024 * 1024))
    result = cli("validate", model)
    assert result.exit_code == 2
    assert "over the limit" in result.output


def test_missing_file(tmp_path: Path, cli) -> None:
    result = cli("validate", tmp_path / "nope.yaml")
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_one_bad_file_does_not_hide_the_good_ones(tmp_path: Path, cli) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(BASE)
    bad.write_text(edit("tmcode: 1", "tmcode: 2"))
    result = cli("validate", good, bad)
    assert result.exit_code == 2
    assert f"{good}: valid" in result.output
    assert f"{bad}:1:" in result.output


def test_valid_base_model(tmp_path: Path, cli) -> None:
    model = tmp_path / "model.yaml"
    model.write_text(BASE)
    result = cli("validate", model)
    assert result.exit_code == 0, result.output
    assert "4 components, 2 flows, 1 permissions" in result.output


PY_CASES = [
    ("raises", "x = 1\nraise RuntimeError('boom')\n", 2, "the model raised RuntimeError: boom"),
    ("no model", "x = 1\n", None, "must define a module-level `model`"),
    ("wrong type", "model = {'tmcode': 1}\n", None, "found a dict"),
    ("syntax error", "model = (\n", 1, "Python syntax error"),
    ("exits", "import sys\nsys.exit(3)\n", 2, "the model called exit(3)"),
    (
        "invalid element",
        "from tmcode import Boundary\nb = Boundary(trust='trusted')\n",
        2,
        "invalid model element",
    ),
    (
        "dangling reference",
        "from tmcode import Model, System, Boundary, User\n"
        "model = Model(tmcode=1, system=System(name='x'), boundaries={'corp': Boundary(trust='internal')},\n"
        "              components={'u': User(boundary='crop')})\n",
        None,
        "unknown boundary `crop` in component `u` — did you mean `corp`?",
    ),
]


@pytest.mark.parametrize(
    ("source", "line", "text"), [c[1:] for c in PY_CASES], ids=[c[0] for c in PY_CASES]
)
def test_bad_python_model_is_one_clear_error(tmp_path: Path, cli, source, line, text) -> None:
    model = tmp_path / "model.py"
    model.write_text(source)
    result = cli("validate", model)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert text in result.output, result.output
    if line is not None:
        assert result.output.startswith(f"{model}:{line}:"), result.output


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys

    model = tmp_path / "model.py"
    model.write_text("raise RuntimeError('boom')\n")
    args = [sys.executable, "-m", "tmcode", "--debug", "validate", str(model)]
    debug = subprocess.run(args, capture_output=True, text=True)
    assert debug.returncode != 0
    assert "Traceback" in debug.stderr
    plain = subprocess.run([a for a in args if a != "--debug"], capture_output=True, text=True)
    assert plain.returncode == 2
    assert "Traceback" not in plain.stderr


def test_schema_and_reference_problems_are_reported_together(tmp_path: Path, cli) -> None:
    text = edit("{trust: untrusted}", "{trust: trusted}")  # a schema problem
    text = text.replace(
        "    boundary: corp\n    model: model", "    boundary: corp\n    model: modle"
    )  # a reference
    text = text.replace("{from: copilot, to: model", "{from: copilto, to: model")  # another
    model = tmp_path / "model.yaml"
    model.write_text(text)
    result = cli("validate", model)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert [ln.split(":")[1] for ln in lines] == ["5", "19", "27"], lines
    assert "`trusted` is not allowed" in lines[0]
    assert "did you mean `model`?" in lines[1] and "did you mean `copilot`?" in lines[2]
