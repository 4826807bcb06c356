"""Governance outputs: the assurance cross-walk, the AI-BOM minimum elements, SPDX 3.0.1."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import yaml
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_python_model import v3_0_1 as spdx

from conftest import MODELS, ROOT, bundled_models
from tmcode.assurance import (
    State,
    cross_walk,
    load_guidance,
    render_json,
    render_markdown,
    render_text,
    site_page,
)
from tmcode.bom import build_bom, bom_json
from tmcode.bom_check import check_elements, render_gaps
from tmcode.catalog.controls import CatalogError, load_controls
from tmcode.catalog.load import load_catalog
from tmcode.engine import check
from tmcode.model.load import load_model
from tmcode.spdx import build_spdx, spdx_json

TODAY = dt.date(2026, 11, 26)
COMPLETE = ROOT / "tests" / "governance" / "complete-bom.yaml"
EXAMPLES = bundled_models()


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def guidance():
    return load_guidance(load_controls())


def checked(catalog, path: Path):
    loaded = load_model(path)
    return loaded, check([loaded], catalog, today=TODAY)


def validate_spdx(text: str) -> spdx.SHACLObjectSet:
    """Validate with the SPDX project's bindings: every type, property and reference known."""
    objects = spdx.SHACLObjectSet()
    spdx.JSONLDDeserializer().deserialize_data(json.loads(text), objects)
    assert objects.link() == set(), "references to elements the document does not hold"
    # Serialising checks what reading does not: every required property is present.
    spdx.JSONLDSerializer().serialize_data(objects)
    return objects


# --- AI-BOM minimum elements: gaps worked out by hand from the model files ---

FRAUD_SCORING_GAPS = {
    ("system", "system", "producer"),
    ("system", "system", "version"),
    ("system", "system", "intended application area"),
    # The scorer loads model-file, which carries the weights' identity; it has a training flow.
    ("models", "scorer", "description"),
    ("models", "model-file", "description"),
    ("models", "model-file", "version"),
    ("models", "model-file", "producer"),  # first party, and the system names no provider
    ("models", "model-file", "licence"),
    ("models", "model-file", "hash"),
    ("models", "model-file", "external reference"),
    ("models", "model-file", "timestamp"),
    ("datasets", "history", "description"),
    ("datasets", "history", "provenance"),
    ("datasets", "history", "producer"),
    ("datasets", "history", "licence"),
    ("datasets", "history", "hash"),
    ("datasets", "history", "statistical properties"),
    ("infrastructure", "system", "software and hardware"),
    ("security", "system", "compliance"),
    ("security", "system", "cybersecurity policy"),
}

SUPPORT_COPILOT_GAPS = {
    ("system", "system", "producer"),
    ("system", "system", "version"),
    ("system", "system", "intended application area"),
    # A vendor API model: its provider and model name are given; no weights file to hash.
    ("models", "chat-model", "training"),
    ("models", "chat-model", "description"),
    ("models", "chat-model", "licence"),
    ("models", "chat-model", "external reference"),
    ("models", "chat-model", "timestamp"),
    ("infrastructure", "system", "software and hardware"),
    ("security", "system", "compliance"),
    ("security", "system", "cybersecurity policy"),
}


@pytest.mark.parametrize(
    ("name", "expected"),
    [("fraud-scoring.yaml", FRAUD_SCORING_GAPS), ("support-copilot.yaml", SUPPORT_COPILOT_GAPS)],
)
def test_bom_gaps_match_the_hand_worked_list(name: str, expected: set) -> None:
    gaps = check_elements(load_model(MODELS / name))
    found = [(g.cluster, g.address, g.element) for g in gaps]
    assert len(found) == len(set(found))
    assert set(found) == expected


def test_a_model_that_says_everything_has_no_gaps() -> None:
    loaded = load_model(COMPLETE)
    assert check_elements(loaded) == []
    assert "every AI-BOM minimum element" in render_gaps(loaded, [])


def test_each_gap_names_the_field_and_line_that_would_fill_it() -> None:
    loaded = load_model(MODELS / "support-copilot.yaml")
    text = render_gaps(loaded, check_elements(loaded))
    line = next(ln for ln in text.splitlines() if "chat-model: licence" in ln)
    assert "models/support-copilot.yaml:" in line and "`components.chat-model.license`" in line
    written = (MODELS / "support-copilot.yaml").read_text().splitlines()
    number = int(line.split(".yaml:")[1].split(":")[0])
    assert written[number - 1].strip() == "chat-model:"


def test_removing_a_field_brings_its_gap_back(tmp_path: Path) -> None:
    raw = yaml.safe_load(COMPLETE.read_text())
    del raw["components"]["drafter"]["hash"]
    del raw["components"]["history"]["provenance"]
    raw["system"]["compliance"] = []
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(raw))
    found = {(g.address, g.element) for g in check_elements(load_model(path))}
    assert found == {("drafter", "hash"), ("history", "provenance"), ("system", "compliance")}


def test_bad_hash_and_licence_are_format_errors(tmp_path: Path, cli) -> None:
    raw = yaml.safe_load(COMPLETE.read_text())
    raw["components"]["drafter"]["hash"] = "sha256:abc"
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(raw))
    result = cli("validate", path)
    assert result.exit_code == 2 and "64 hex digits" in result.output


# --- the bom command ---


def test_bom_check_exit_codes(cli) -> None:
    gaps = cli("bom", "--check", MODELS / "support-copilot.yaml")
    assert gaps.exit_code == 1, gaps.output
    assert "11 AI-BOM minimum elements not yet said" in gaps.output
    complete = cli("bom", "--check", COMPLETE)
    assert complete.exit_code == 0, complete.output
    assert cli("bom", "--timestamp", "yesterday", COMPLETE).exit_code == 2


def test_bom_formats_and_timestamp(cli, tmp_path: Path) -> None:
    out = tmp_path / "bom.spdx.json"
    assert cli("bom", "-f", "spdx", COMPLETE, "-o", out, "--timestamp", "2026-11-27").exit_code == 0
    data = json.loads(out.read_text())
    assert data["@graph"][0]["created"] == "2026-11-27T00:00:00Z"
    result = cli("bom", COMPLETE, "--timestamp", "2026-11-27T10:30:00Z")
    assert result.exit_code == 0
    assert json.loads(result.output)["metadata"]["timestamp"] == "2026-11-27T10:30:00Z"
    assert "timestamp" not in json.loads(cli("bom", COMPLETE).output)["metadata"]


# --- CycloneDX carries the new fields ---


def test_cyclonedx_carries_licence_hash_supplier_and_system_facts(catalog) -> None:
    loaded, report = checked(catalog, COMPLETE)
    text = bom_json(loaded, report.findings)
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, getattr(error, "data", error)
    bom = build_bom(loaded, report.findings)
    by_ref = {c["bom-ref"]: c for c in bom["components"]}
    drafter = by_ref["drafter"]
    assert drafter["licenses"] == [{"expression": "Apache-2.0"}]
    assert drafter["hashes"] == [
        {
            "alg": "SHA-256",
            "content": "3b1f0c6a1d7e8f9a0b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f607182",
        }
    ]
    assert drafter["supplier"] == {"name": "Example Models Inc"}
    assert drafter["externalReferences"][0]["type"] == "model-card"
    history = by_ref["history"]
    assert history["licenses"] == [{"expression": "LicenseRef-internal"}]
    props = {p["name"]: p["value"] for p in history["properties"]}
    assert props["tmcode:provenance"].startswith("Exported monthly")
    system = bom["metadata"]["component"]
    assert system["version"] == "2.4.0" and system["supplier"]["name"] == "Example Insurance Ltd"
    assert bom["metadata"]["authors"] == [{"name": "claims-platform"}]
    meta = {p["name"]: p["value"] for p in bom["metadata"]["properties"]}
    assert meta["tmcode:compliance"] == "EU AI Act; ISO/IEC 42001"


# --- SPDX 3.0.1 ---


@pytest.mark.parametrize("path", [*EXAMPLES, COMPLETE], ids=lambda p: p.name)
def test_spdx_validates_with_the_spdx_bindings_and_is_deterministic(catalog, path: Path) -> None:
    loaded, report = checked(catalog, path)
    text = spdx_json(loaded, report.findings)
    validate_spdx(text)
    assert text == spdx_json(loaded, report.findings)
    assert json.loads(text)["@graph"][0]["created"] == "1970-01-01T00:00:00Z"


def test_spdx_validator_rejects_what_it_should(catalog) -> None:
    loaded, report = checked(catalog, COMPLETE)
    data = build_spdx(loaded, report.findings)
    model = next(e for e in data["@graph"] if e["type"] == "ai_AIPackage")
    model["ai_notAProperty"] = "x"
    with pytest.raises(KeyError):
        validate_spdx(json.dumps(data))
    data = build_spdx(loaded, report.findings)
    hashes = next(e for e in data["@graph"] if e.get("verifiedUsing"))["verifiedUsing"]
    del hashes[0]["hashValue"]
    with pytest.raises(ValueError):
        validate_spdx(json.dumps(data))


def test_spdx_ai_and_dataset_profiles_get_their_required_properties(catalog) -> None:
    loaded, report = checked(catalog, COMPLETE)
    objects = validate_spdx(spdx_json(loaded, report.findings))
    (model,) = [o for o in objects.foreach_type(spdx.ai_AIPackage) if o.name == "drafter"]
    # SPDX 3.0.1's AI profile requires these of an AI package.
    assert model.releaseTime is not None and model.suppliedBy.name == "Example Models Inc"
    assert model.software_downloadLocation == "https://example.invalid/models/example-small-7b"
    assert model.software_packageVersion == "7b-2026-03"
    assert model.software_primaryPurpose == spdx.software_SoftwarePurpose.model
    assert model.verifiedUsing[0].hashValue.startswith("3b1f0c6a")
    assert model.ai_useSensitivePersonalInformation == spdx.PresenceType.yes
    (dataset,) = objects.foreach_type(spdx.dataset_DatasetPackage)
    # ... and the Dataset profile these of a dataset package.
    assert dataset.builtTime is not None and dataset.releaseTime is not None
    assert [o.name for o in dataset.originatedBy] == ["Example Insurance Ltd"]
    assert dataset.software_downloadLocation and dataset.software_primaryPurpose
    assert dataset.dataset_confidentialityLevel == spdx.dataset_ConfidentialityLevelType.amber
    assert dataset.dataset_hasSensitivePersonalInformation == spdx.PresenceType.yes
    kinds = {
        (
            r.from_.name,
            r.relationshipType.rsplit("/", 1)[-1],
            tuple(
                getattr(t, "name", None) or getattr(t, "simplelicensing_licenseExpression", None)
                for t in r.to
            ),
        )
        for r in objects.foreach_type(spdx.Relationship)
    }
    assert ("drafter", "trainedOn", ("history",)) in kinds
    assert ("drafter", "hasDeclaredLicense", ("Apache-2.0",)) in kinds
    assert ("Claims triage", "contains", ("drafter", "history")) in kinds


def test_spdx_says_what_agents_use(catalog) -> None:
    loaded, report = checked(catalog, MODELS / "support-copilot.yaml")
    objects = validate_spdx(spdx_json(loaded, report.findings))
    (copilot,) = [o for o in objects.foreach_type(spdx.ai_AIPackage) if o.name == "copilot"]
    assert copilot.ai_autonomyType == spdx.PresenceType.no  # supervised
    uses = {
        r.relationshipType.rsplit("/", 1)[-1]: sorted(t.name for t in r.to)
        for r in objects.foreach_type(spdx.Relationship)
        if r.from_ is copilot
    }
    assert uses == {
        "usesTool": ["mailer"],
        "dependsOn": sorted(["chat-model", "kb-search", "refunds"]),
    }


# --- the assurance cross-walk ---

# (item, state, {control: state}) worked out by hand from each model file.
FRAUD_SCORING_ROWS = [
    # System controls: audit_logging, monitoring_alerting, aibom, none with evidence.
    (
        "GSAD-OPS-1",
        State.declared,
        {
            "behavior_monitoring": State.missing,
            "monitoring_alerting": State.declared,
            "audit_logging": State.declared,
        },
    ),
    ("GSAD-DES-2", State.declared, {"aibom": State.declared, "red_team_testing": State.missing}),
    (
        "AIDS-7",
        State.missing,
        {
            "data_validation": State.missing,
            "ingest_validation": State.missing,
            "backdoor_testing": State.missing,
        },
    ),
    ("CAAS-1", State.not_applicable, None),  # no agents
    ("AI600-2.2", State.not_applicable, None),  # a predictive model generates nothing
]
SUPPORT_COPILOT_ROWS = [
    (
        "CAAS-2",
        State.declared,
        {
            "human_approval": State.declared,
            "kill_switch": State.missing,
            "policy_engine": State.missing,
        },
    ),
    (
        "CAAS-5",
        State.declared,
        {
            "audit_logging": State.declared,
            "tamper_evident_logs": State.declared,
            "agent_identity": State.missing,
        },
    ),
    ("AI600-2.2", State.missing, None),
    ("AIDS-1", State.not_applicable, None),  # nothing is trained here
    ("DASS-6", State.not_applicable, None),  # the only model is a vendor API
]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("fraud-scoring.yaml", FRAUD_SCORING_ROWS), ("support-copilot.yaml", SUPPORT_COPILOT_ROWS)],
)
def test_assurance_rows_match_the_hand_worked_ones(guidance, name: str, expected: list) -> None:
    rows = {r.item.id: r for r in cross_walk(load_model(MODELS / name), guidance).rows}
    for item, state, controls in expected:
        assert rows[item].state is state, item
        if controls is not None:
            assert {c.id: c.state for c in rows[item].controls} == controls, item


def test_a_scoped_item_counts_only_controls_on_its_parts(guidance) -> None:
    rows = {
        r.item.id: r
        for r in cross_walk(load_model(MODELS / "finetune-pipeline.yaml"), guidance).rows
    }
    # hash_verification is declared on base-weights, a weights file: it pins the model's
    # weights (SSDF-PS.2.1) but says nothing of the training data's integrity (AIDS-2).
    states = {c.id: c for c in rows["SSDF-PS.2.1"].controls}
    assert [d.address for d in states["hash_verification"].declarations] == ["base-weights"]
    assert rows["SSDF-PS.2.1"].state is State.declared
    assert rows["AIDS-2"].state is State.missing
    assert rows["AIDS-1"].state is State.declared  # provenance_tracking on ticket-set


def test_assurance_declarations_carry_address_and_evidence(guidance) -> None:
    walked = cross_walk(load_model(COMPLETE), guidance)
    rows = {r.item.id: r for r in walked.rows}
    logging = {c.id: c for c in rows["GSAD-OPS-1"].controls}["audit_logging"]
    assert logging.state is State.implemented
    assert [(d.address, d.evidence) for d in logging.declarations] == [
        ("system", "docs/logging.md")
    ]
    assert rows["GSAD-OPS-1"].state is State.implemented
    # kill_switch is only planned there, and nothing else addresses the retirement of data.
    assert {c.id: c.state for c in rows["DASS-10"].controls} == {
        "decommissioning_verified": State.missing,
        "memory_expiry": State.missing,
    }
    assert {c.id: c.state for c in rows["SSDF-RV.2.2"].controls}["kill_switch"] is State.planned
    data = json.loads(render_json(walked))
    assert data["summary"] == walked.counts() and sum(data["summary"].values()) == len(walked.rows)
    item = next(i for i in data["items"] if i["id"] == "GSAD-OPS-1")
    assert item["link"].startswith("https://") and item["state"] == "implemented"


def test_guidance_covers_every_source_and_stage(guidance) -> None:
    sources = {i.source for i in guidance.items}
    assert sources == set(guidance.sources)
    assert {i.stage for i in guidance.items} == {
        "design",
        "development",
        "deployment",
        "operation",
        "decommissioning",
    }
    assert len({i.id for i in guidance.items}) == len(guidance.items)


def test_unknown_control_in_the_guidance_is_a_clear_error(tmp_path: Path) -> None:
    text = (ROOT / "catalog" / "assurance.yaml").read_text()
    broken = text.replace(
        "controls: [red_team_testing, incident_response_plan]", "controls: [red_team_tseting]", 1
    )
    assert broken != text
    path = tmp_path / "assurance.yaml"
    path.write_text(broken)
    with pytest.raises(CatalogError) as caught:
        load_guidance(load_controls(), path)
    message = caught.value.diagnostics()
    line = next(n for n, ln in enumerate(broken.splitlines(), 1) if "red_team_tseting" in ln)
    assert f"assurance.yaml:{line}:" in message
    assert "unknown control `red_team_tseting`" in message and "red_team_testing" in message


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_gets_every_output(catalog, guidance, path: Path) -> None:
    loaded, report = checked(catalog, path)
    walked = cross_walk(loaded, guidance)
    assert len(walked.rows) == len(guidance.items)
    assert render_text(walked).startswith("Assurance cross-walk:")
    assert json.loads(render_json(walked))["system"]["name"] == loaded.model.system.name
    assert "| item | guidance | state | controls |" in render_markdown(walked)
    assert site_page(walked).startswith("# Assurance cross-walk")
    assert render_gaps(loaded, check_elements(loaded))
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(bom_json(loaded, report.findings))
    assert error is None, getattr(error, "data", error)


def test_assurance_command(cli, tmp_path: Path) -> None:
    result = cli("assurance", MODELS / "support-copilot.yaml", "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["system"]["id"] == "support-copilot"
    out = tmp_path / "a.md"
    assert (
        cli("assurance", MODELS / "fraud-scoring.yaml", "-f", "markdown", "-o", out).exit_code == 0
    )
    assert out.read_text().startswith("## Assurance cross-walk: Card fraud scoring")
    assert cli("assurance", MODELS / "nope.yaml").exit_code == 2


def test_the_json_schema_knows_the_new_fields() -> None:
    import jsonschema

    from tmcode.model.schema import model_json_schema

    schema = model_json_schema()
    raw = yaml.safe_load(COMPLETE.read_text())
    raw["components"]["drafter"]["released"] = "2026-03-14"
    raw["components"]["history"]["released"] = "2026-02-01"
    jsonschema.validate(raw, schema)
    raw["components"]["drafter"]["hash"] = "md5:abc"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(raw, schema)


def test_model_text_cannot_act_in_the_assurance_outputs(tmp_path: Path, guidance) -> None:
    raw = yaml.safe_load(COMPLETE.read_text())
    raw["system"]["name"] = "Triage \x1b[2J[click](https://evil.invalid)"
    raw["system"]["controls"][0]["evidence"] = "docs/x.md\x1b]8;;https://evil.invalid\x07|[a](b)"
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(raw))
    walked = cross_walk(load_model(path), guidance)
    for text in (render_text(walked), render_markdown(walked), site_page(walked)):
        assert "\x1b" not in text and "\x07" not in text
    outside_code = re.sub(r"(`+).*?\1", "", render_markdown(walked))
    assert "](https://evil.invalid)" not in outside_code and "[a](b)" not in outside_code
    assert json.loads(render_json(walked))["system"]["name"] == raw["system"]["name"]
