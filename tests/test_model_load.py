"""Loading, round trips, the JSON Schema and the Python API on every example model."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import MODELS, all_example_models, spec_examples
from tmcode import Agent, Boundary, Flow, Model, Permission, System, Tool, User, load_model
from tmcode.model.export import model_to_yaml
from tmcode.model.load import load_model_text
from tmcode.model.schema import model_json_schema


@pytest.fixture(scope="module")
def schema() -> dict:
    s = model_json_schema()
    jsonschema.Draft202012Validator.check_schema(s)
    return s


@pytest.mark.parametrize("path", all_example_models(), ids=lambda p: p.name)
def test_example_validates(path: Path, cli) -> None:
    result = cli("validate", path)
    assert result.exit_code == 0, result.output
    assert f"{path}: valid" in result.output


@pytest.mark.parametrize(
    "path", [p for p in all_example_models() if p.suffix == ".yaml"], ids=lambda p: p.name
)
def test_example_validates_against_json_schema(path: Path, schema: dict) -> None:
    document = yaml.safe_load(path.read_text())
    # YAML 1.1 turns dates into date objects; the schema speaks JSON, so compare as JSON.
    document = json.loads(json.dumps(document, default=str))
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(document))
    assert not errors, [e.message for e in errors]


def test_schema_is_2020_12_with_descriptions(schema: dict) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    agent = schema["$defs"]["Agent"]
    assert agent["properties"]["model"]["description"]
    assert agent["additionalProperties"] is False
    # Editors (yaml-language-server, VS Code) show these next to each completion.
    value_sets = [d for d in schema["$defs"].values() if "enum" in d]
    assert len(value_sets) >= 20
    for spec in value_sets:
        meanings = spec["markdownEnumDescriptions"]
        assert len(meanings) == len(spec["enum"]) and all(meanings), spec["title"]


def test_schema_rejects_what_the_loader_rejects(schema: dict) -> None:
    document = yaml.safe_load((MODELS / "support-copilot.yaml").read_text())
    document = json.loads(json.dumps(document, default=str))
    document["components"]["copilot"]["boundry"] = "corp"
    document["boundaries"]["corp"]["trust"] = "trusted"
    messages = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(document)]
    assert messages


def test_schema_command_writes_the_schema(tmp_path: Path, cli, schema: dict) -> None:
    out = tmp_path / "tmcode.schema.json"
    assert cli("schema", "--output", out).exit_code == 0
    assert json.loads(out.read_text()) == schema


def test_schema_key_is_allowed_in_a_model() -> None:
    text = "$schema: ./tmcode.schema.json\n" + (MODELS / "support-copilot.yaml").read_text()
    loaded = load_model_text(text, "m.yaml")
    assert loaded.model.schema_ == "./tmcode.schema.json"


@pytest.mark.parametrize("path", all_example_models(), ids=lambda p: p.name)
def test_yaml_round_trip(path: Path, tmp_path: Path) -> None:
    model = load_model(path).model
    text = model_to_yaml(model)
    again = load_model_text(text, "exported.yaml").model
    assert again == model
    assert model_to_yaml(again) == text


def test_python_model_equals_its_yaml_twin() -> None:
    assert load_model(MODELS / "ide_agent.py").model == load_model(MODELS / "ide-agent.yaml").model


def test_export_command_python_to_yaml_to_model(tmp_path: Path, cli) -> None:
    out = tmp_path / "ide.yaml"
    result = cli("export", MODELS / "ide_agent.py", "--format", "yaml", "--output", out)
    assert result.exit_code == 0, result.output
    assert load_model(out).model == load_model(MODELS / "ide_agent.py").model


def test_export_refuses_to_overwrite_its_input(tmp_path: Path, cli) -> None:
    model = tmp_path / "m.yaml"
    original = (MODELS / "support-copilot.yaml").read_text()
    model.write_text(original)
    result = cli("export", model, "--output", model)
    assert result.exit_code == 2
    assert "refusing to overwrite an input file" in result.output
    assert model.read_text() == original


def test_unset_is_not_false() -> None:
    model = load_model(MODELS / "support-copilot.yaml").model
    mailer = model.components["mailer"]
    assert isinstance(mailer, Tool)
    assert mailer.open_ended is None
    assert "open_ended" not in mailer.model_fields_set
    assert mailer.assumed("open_ended") is False
    customer = model.components["customer"]
    assert customer.authenticated is True
    ui_flow = model.flows[0]
    assert ui_flow.authenticated is True and model.flows[1].authenticated is None
    assert model.flows[1].assumed("authenticated") is False


def test_controls_take_ids_or_objects() -> None:
    text = (
        (MODELS / "support-copilot.yaml")
        .read_text()
        .replace(
            "controls: [audit_logging]",
            "controls: [audit_logging, {id: kill_switch, status: planned, evidence: docs/runbook.md}]",
        )
    )
    model = load_model_text(text, "m.yaml").model
    first, second = model.system.controls
    assert (first.id, first.implemented) == ("audit_logging", True)
    assert (second.id, second.implemented, second.evidence) == (
        "kill_switch",
        False,
        "docs/runbook.md",
    )
    assert load_model_text(model_to_yaml(model), "again.yaml").model == model


def test_locations_point_at_the_written_lines() -> None:
    loaded = load_model(MODELS / "support-copilot.yaml")
    lines = (MODELS / "support-copilot.yaml").read_text().splitlines()

    def line_of(address: str) -> str:
        location = loaded.location(address)
        assert location.file == str(MODELS / "support-copilot.yaml")
        return lines[location.line - 1]

    assert line_of("copilot").strip() == "copilot:"
    assert line_of("copilot.tools.refunds").strip() == "refunds:"
    assert "from: inbound-email" in line_of("inbound-email->knowledge-base")
    assert line_of("payments").strip() == "payments:"
    assert line_of("customer-pii").strip() == "customer-pii:"


def build_two_models() -> tuple[Model, Model]:
    def make(name: str, tool: str) -> Model:
        return Model(
            tmcode=1,
            system=System(name=name),
            boundaries={"corp": Boundary(trust="internal")},
            components={
                "user": User(boundary="corp"),
                "llm": {"kind": "llm", "boundary": "corp"},
                "agent": Agent(
                    boundary="corp", model="llm", tools={tool: Permission(scopes=["read"])}
                ),
                tool: Tool(boundary="corp"),
            },
            flows=[Flow(from_="user", to="agent", kind="prompt")],
        )

    return make("one", "search"), make("two", "shell")


def test_two_models_in_one_process_do_not_interfere() -> None:
    one, two = build_two_models()
    assert set(one.components) == {"user", "llm", "agent", "search"}
    assert set(two.components) == {"user", "llm", "agent", "shell"}
    assert one.system.name == "one" and two.system.name == "two"
    assert load_model_text(model_to_yaml(one), "one.yaml").model == one


def test_yaml_1_2_scalars() -> None:
    from tmcode.model.yaml_reader import read_yaml

    data = read_yaml("a: no\nb: 010\nc: 2027-06-30\nd: ~\ne: True\nf: '1'\ng: 0x1F\nh: 1.5\n", "x")
    assert data == {
        "a": "no",
        "b": 10,
        "c": "2027-06-30",
        "d": None,
        "e": True,
        "f": "1",
        "g": 31,
        "h": 1.5,
    }


def test_anchors_and_merge_keys_work() -> None:
    from tmcode.model.yaml_reader import read_yaml

    data = read_yaml("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\nlist: [*b]\n", "x")
    assert data["use"] == {"x": 1, "y": 3}
    assert data["list"] == [{"x": 1, "y": 2}]


def test_recursive_alias_is_refused() -> None:
    from tmcode.errors import ModelError
    from tmcode.model.yaml_reader import read_yaml

    with pytest.raises(ModelError, match="refers to no complete anchor"):
        read_yaml("a: &a [1, *a]\n", "x")


def test_spec_examples_are_bundled_unchanged() -> None:
    for example in spec_examples():
        assert (MODELS / example.name).read_text() == example.read_text()
