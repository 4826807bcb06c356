"""Severity: every modifier the catalog format names has a rule, and each raises its axis."""

from __future__ import annotations

import typing

from test_conditions import MODEL
from tmcode.catalog.schema import Modifier, SeverityModel
from tmcode.model.load import load_model_text
from tmcode.report import Severity
from tmcode.severity import MODIFIERS, SeverityFacts


def test_every_modifier_has_one_rule() -> None:
    assert set(MODIFIERS) == set(typing.get_args(Modifier))


def test_modifiers_raise_their_axis_and_say_why() -> None:
    facts = SeverityFacts(load_model_text(MODEL, "truth.yaml").index)
    low = {"likelihood": "low", "impact": "low"}
    plain = facts.rate(SeverityModel(**low), "agent", ["agent"])
    assert (plain.severity, plain.factors) == (Severity.info, ())
    every = SeverityModel(**low, modifiers=list(MODIFIERS))
    # agent (autonomous) holds send; crm holds confidential pii: not restricted, not secret.
    rated = facts.rate(every, "agent.tools.crm", ["agent", "agent.tools.crm", "crm"])
    assert rated.factors == ("likelihood +1: agent `agent` acts autonomously",)
    assert rated.severity is Severity.low  # likelihood 2, impact 1
    helper = facts.rate(every, "helper", ["helper", "helper->web", "web"])
    assert helper.factors == ()  # supervised, read-only, nothing exposed or public
    assert facts.rate(every, "plain_ui", ["plain_ui"]).assumptions == ()


EXPOSED = """
tmcode: 1
system: {name: Severity, lifecycle: development}
boundaries: {corp: {trust: internal}}
data:
  key: {classification: internal, tags: [secret]}
components:
  people: {kind: user, boundary: corp, audience: public}
  llm: {kind: llm, boundary: corp}
  agent: {kind: agent, boundary: corp, model: llm, exposure: internet, tools: {vault: {scopes: [admin]}}}
  vault: {kind: secret_store, boundary: corp, stores: [key]}
flows:
  - {from: people, to: agent, kind: prompt}
"""


def test_each_modifier_in_order_with_its_assumption() -> None:
    facts = SeverityFacts(load_model_text(EXPOSED, "exposed.yaml").index)
    every = SeverityModel(likelihood="low", impact="low", modifiers=list(MODIFIERS)[::-1])
    elements = ["people", "people->agent", "agent", "agent.tools.vault", "vault"]
    rated = facts.rate(every, "agent", elements)
    assert rated.factors == (
        "impact +1: restricted or secret data in reach (key)",
        "impact +1: consequential scopes (admin)",
        "likelihood +1: agent `agent` acts autonomously",
        "likelihood +1: reachable from the internet",
        "likelihood +1: anonymous public users in the path",
    )
    assert rated.assumptions == ("agent: `autonomy` is unset; assumed `autonomous`",)
    assert rated.severity is Severity.high  # likelihood 1+3 (clamped to 3), impact 1+2
    only_impact = SeverityModel(likelihood="low", impact="low", modifiers=["sensitive_data"])
    assert facts.rate(only_impact, "agent", elements).severity is Severity.low  # impact 2
