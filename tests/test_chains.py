"""The attack-chain threats (issue 14): each fires on its chain and stays quiet beside it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from tmcode.catalog.load import load_catalog
from tmcode.catalog.schema import Threat
from tmcode.engine import check
from tmcode.model.load import load_model_text
from tmcode.report import Status

FIXTURES = Path(__file__).parent / "threats"
TODAY = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def findings(catalog, model: dict, threat: str) -> dict[str, Status]:
    loaded = load_model_text(
        yaml.safe_dump(model), "m.yaml", known_controls=frozenset(catalog.controls)
    )
    report = check([loaded], catalog, today=TODAY)
    return {f.target: f.status for f in report.findings if f.threat == threat}


def fixture(tid: str) -> dict:
    return yaml.safe_load((FIXTURES / tid / "vulnerable.yaml").read_text())


def test_interpreter_fed_only_by_an_agent_is_left_to_the_permission_rule(catalog) -> None:
    model = fixture("OUT-005")
    model["flows"] = [f for f in model["flows"] if f["from"] != "remote-server"]
    model["components"]["outside"] = {"kind": "external_content", "boundary": "internet"}
    model["flows"].append({"from": "outside", "to": "desktop-client", "kind": "context"})
    # The agent is steered by outside content and calls the bridge: OUT-001's, not OUT-005's.
    assert findings(catalog, model, "OUT-005") == {}
    assert findings(catalog, model, "OUT-001") == {"desktop-client.tools.bridge": Status.open}


def test_interpreter_fed_by_a_steered_model_outside_any_permission(catalog) -> None:
    model = fixture("OUT-005")
    model["flows"] = [f for f in model["flows"] if f["from"] != "remote-server"]
    model["components"]["outside"] = {"kind": "external_content", "boundary": "internet"}
    model["flows"] += [
        {"from": "outside", "to": "model", "kind": "context"},
        {"from": "model", "to": "bridge", "kind": "output"},
    ]
    assert findings(catalog, model, "OUT-005") == {"bridge": Status.open}
    # A model no outside content reaches is not a source.
    model["flows"] = [f for f in model["flows"] if f["from"] != "outside"]
    assert findings(catalog, model, "OUT-005") == {}


def test_agent_files_need_outside_content_to_steer_the_writer(catalog) -> None:
    model = fixture("AG-007")
    model["flows"] = [f for f in model["flows"] if f["from"] != "public-channel"]
    assert findings(catalog, model, "AG-007") == {}
    model = fixture("AG-007")
    del model["components"]["project"]["loaded_as"]
    assert findings(catalog, model, "AG-007") == {}


def test_stored_output_is_not_direct_output(catalog) -> None:
    model = fixture("OUT-006")
    # Staff reading tickets no agent writes: nothing stored from a model.
    model["components"]["chatbot"]["tools"]["tickets"]["scopes"] = ["read"]
    assert findings(catalog, model, "OUT-006") == {}
    # Output sent straight to an HTML console is OUT-004's.
    model["flows"].append({"from": "chatbot", "to": "support-console", "kind": "output"})
    assert findings(catalog, model, "OUT-006") == {}
    assert findings(catalog, model, "OUT-004") == {"support-console": Status.open}


def test_own_agent_with_a_credential_is_not_a_third_party(catalog) -> None:
    model = fixture("SEC-004")
    model["components"]["sales-chat-agent"]["boundary"] = "corp"
    assert findings(catalog, model, "SEC-004") == {}


def test_a_key_sent_to_the_vendor_it_belongs_to_is_not_exfiltration(catalog) -> None:
    model = fixture("EXP-002")
    # The builder holds the model vendor's key and calls the vendor: no SEC-005.
    assert findings(catalog, model, "SEC-005") == {}
    model["flows"].append({"from": "flow-builder", "to": "pastebin", "kind": "api"})
    model["components"]["pastebin"] = {"kind": "external_service", "boundary": "internet"}
    assert findings(catalog, model, "SEC-005") == {"flow-builder": Status.open}


def test_deploy_from_own_reviewed_sources_is_not_a_supply_chain_finding(catalog) -> None:
    model = fixture("SC-008")
    model["flows"] = [f for f in model["flows"] if f["from"] != "outside-contributors"]
    assert findings(catalog, model, "SC-008") == {}


def test_generated_code_without_a_deployment_is_not_shipped(catalog) -> None:
    model = fixture("OUT-007")
    model["flows"] = [f for f in model["flows"] if f["kind"] != "deploy"]
    assert findings(catalog, model, "OUT-007") == {}


def test_threats_cite_both_llm_editions_and_only_real_ones() -> None:
    raw = yaml.safe_load((FIXTURES.parent.parent / "catalog/threats/out/OUT-005.yaml").read_text())
    assert {"owasp-llm:LLM05:2025", "owasp-llm:LLM10:2026"} <= set(raw["references"])
    for wrong in ("owasp-llm:LLM11:2026", "owasp-llm:LLM01:2027"):
        with pytest.raises(ValidationError):
            Threat.model_validate({**raw, "references": [wrong]})
