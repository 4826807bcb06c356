"""The AI-BOM (CycloneDX 1.6), OTM export and import, and Threagile import."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from conftest import MODELS, REFERENCE, ROOT
from tmcode.bom import build_bom, bom_json
from tmcode.catalog.load import load_catalog
from tmcode.engine import check
from tmcode.interchange.otm import export_otm, import_otm
from tmcode.interchange.threagile import import_threagile
from tmcode.model.load import load_model

TODAY = dt.date(2026, 11, 26)
OTM_DIR = REFERENCE / "otm"
ALL = sorted(p.name for p in MODELS.glob("*.yaml"))


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def checked(catalog, name: str):
    loaded = load_model(MODELS / name)
    return loaded, check([loaded], catalog, today=TODAY)


@pytest.mark.parametrize("name", ALL)
def test_bom_is_valid_cyclonedx_1_6(catalog, name: str) -> None:
    loaded, report = checked(catalog, name)
    text = bom_json(loaded, report.findings, "https://example.invalid/threat-model/index.html")
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, getattr(error, "data", error)
    assert text == bom_json(
        loaded, report.findings, "https://example.invalid/threat-model/index.html"
    )


def test_bom_contents(catalog) -> None:
    loaded, report = checked(catalog, "model-pipeline.yaml")
    bom = build_bom(loaded, report.findings, "https://example.invalid/report")
    by_ref = {c["bom-ref"]: c for c in bom["components"]}
    inference = by_ref["inference"]
    assert inference["type"] == "machine-learning-model"
    assert inference["modelCard"]["modelParameters"]["datasets"] == [
        {"ref": "transcript-set"},
        {"ref": "feedback-set"},
    ]
    assert any(
        "DIS-003" in t for t in inference["modelCard"]["considerations"]["technicalLimitations"]
    )
    assert by_ref["base-model"]["type"] == "machine-learning-model"
    feedback = by_ref["feedback-set"]
    assert feedback["type"] == "data" and feedback["data"][0]["classification"] == "internal"
    assert by_ref["data:transcripts"]["data"][0]["sensitiveData"] == ["pii"]
    assert bom["externalReferences"][0]["type"] == "threat-model"
    deps = {d["ref"]: d["dependsOn"] for d in bom["dependencies"]}
    assert deps["inference"] == ["feedback-set", "transcript-set", "tuned-model"]


def test_bom_services_carry_trust_zones_and_flows(catalog) -> None:
    loaded, report = checked(catalog, "support-copilot.yaml")
    bom = build_bom(loaded, report.findings)
    services = {s["bom-ref"]: s for s in bom["services"]}
    copilot = services["copilot"]
    assert copilot["trustZone"] == "Corporate cloud account (internal)"
    assert copilot["x-trust-boundary"] is True
    assert {"flow": "inbound", "classification": "confidential"}.items() <= copilot["data"][
        0
    ].items()
    props = {p["name"]: p["value"] for p in copilot["properties"]}
    assert props["tmcode:permission:refunds"] == "spend"
    assert "mcp_server" not in {
        p["value"] for s in services.values() for p in s["properties"] if p["name"] == "tmcode:kind"
    }
    assert {"knowledge-base", "mailer", "refunds", "kb-search", "audit-log"} <= set(services)


def test_bom_command(cli, tmp_path: Path) -> None:
    out = tmp_path / "bom.json"
    assert (
        cli(
            "bom", MODELS / "ide-agent.yaml", "-o", out, "--report-url", "https://example.invalid/r"
        ).exit_code
        == 0
    )
    assert json.loads(out.read_text())["specVersion"] == "1.6"


@pytest.mark.parametrize("name", ALL)
def test_otm_export_is_valid_and_round_trips(catalog, name: str) -> None:
    loaded, report = checked(catalog, name)
    document = export_otm(loaded.index, report.findings, catalog)
    schema = json.loads((OTM_DIR / "otm_schema.json").read_text())
    jsonschema.validate(document, schema)
    back = import_otm(json.loads(json.dumps(document)), "x.otm.json")
    model = back.model("x.otm.json")
    assert model == loaded.model
    assert set(model.components) == set(loaded.model.components)
    assert model.boundaries == loaded.model.boundaries
    assert [f.address for f in model.flows] == [f.address for f in loaded.model.flows]
    assert not back.unmapped


def test_otm_threat_instances_carry_state_and_mitigations(catalog) -> None:
    loaded, report = checked(catalog, "support-copilot.yaml")
    document = export_otm(loaded.index, report.findings, catalog)
    copilot = next(c for c in document["components"] if c["id"] == "copilot")
    states = {(t["threat"], t["state"]) for t in copilot["threats"]}
    assert ("PI-002", "exposed") in states and ("AG-001", "mitigated") in states
    refunds = next(
        t for t in copilot["threats"] if t["threat"] == "AG-001" and t["state"] == "mitigated"
    )
    assert {"mitigation": "human_approval", "state": "implemented"} in refunds["mitigations"]
    chat_model = next(c for c in document["components"] if c["id"] == "chat-model")
    assert ("DOS-001", "accepted") in {(t["threat"], t["state"]) for t in chat_model["threats"]}
    assert {t["id"] for t in document["threats"]} >= {"PI-002", "PI-003", "DOS-001"}


def test_foreign_otm_example_imports_with_a_report(cli, tmp_path: Path) -> None:
    out = tmp_path / "imported.yaml"
    result = cli("import", "otm", OTM_DIR / "EXAMPLE.json", "--output", out)
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "# Not mapped (refine by hand):" in text and "threat definition(s)" in text
    loaded = load_model(out)
    assert {"web-client", "web-service", "customer-database"} <= set(loaded.model.components)
    assert loaded.model.components["customer-database"].kind == "datastore"
    assert (
        cli("import", "otm", OTM_DIR / "EXAMPLE.json", "--output", out).exit_code == 2
    )  # never overwrites
    assert out.read_text() == text


def test_otm_cli_round_trip(cli, tmp_path: Path) -> None:
    otm = tmp_path / "m.otm.json"
    assert (
        cli("export", MODELS / "research-workflow.yaml", "--format", "otm", "-o", otm).exit_code
        == 0
    )
    back = tmp_path / "back.yaml"
    assert cli("import", "otm", otm, "-o", back).exit_code == 0
    assert load_model(back).model == load_model(MODELS / "research-workflow.yaml").model


def test_threagile_import_maps_and_reports(cli, tmp_path: Path) -> None:
    source = ROOT / "tests" / "interchange" / "threagile-chatbot.yaml"
    result = import_threagile(yaml.safe_load(source.read_text()), str(source))
    model = result.model(str(source))
    kinds = {cid: c.kind for cid, c in model.components.items()}
    assert kinds == {
        "customer-browser": "user",
        "chat-backend": "service",
        "hosted-llm": "llm",
        "article-db": "datastore",
        "key-vault": "secret_store",
    }
    assert model.boundaries["data-subnet"].parent == "cloud-account"
    assert model.components["customer-browser"].boundary == "internet"
    assert model.boundaries["internet"].trust.value == "untrusted"
    assert model.data["api-keys"].classification.value == "restricted"
    assert model.data["customer-messages"].tags == ["pii"]
    flows = {(f.from_, f.to): f for f in model.flows}
    assert flows[("customer-browser", "chat-backend")].authenticated is False
    assert flows[("chat-backend", "customer-browser")].data == ["help-articles"]
    assert any("risk_tracking" in u for u in result.unmapped)
    assert any("shared_runtimes" in u for u in result.unmapped)
    out = tmp_path / "chatbot.yaml"
    assert cli("import", "threagile", source, "-o", out).exit_code == 0
    assert cli("check", out, "--fail-on", "none").exit_code == 0


@pytest.mark.parametrize(
    ("fmt", "content", "text"),
    [
        ("otm", "{", "cannot parse"),
        ("otm", "[1, 2]", "not an OTM document"),
        ("threagile", "title: x\n", "not a Threagile model"),
        ("threagile", "a: [", "cannot parse"),
    ],
)
def test_bad_import_files_are_clean_errors(
    cli, tmp_path: Path, fmt: str, content: str, text: str
) -> None:
    source = tmp_path / "in.txt"
    source.write_text(content)
    result = cli("import", fmt, source, "-o", tmp_path / "out.yaml")
    assert result.exit_code == 2
    assert text in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out.yaml").exists()
