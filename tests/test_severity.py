"""Severity: every modifier the catalog format names has a rule that moves its axis one step."""

from __future__ import annotations

import datetime as dt
import typing
from pathlib import Path

import pytest

from test_conditions import MODEL
from tmcode.catalog.load import load_catalog
from tmcode.catalog.schema import Modifier, SeverityModel
from tmcode.engine import check
from tmcode.model.elements import Model
from tmcode.model.load import load_model_text
from tmcode.report import Severity
from tmcode.severity import MODIFIERS, SeverityFacts

ROOT = Path(__file__).resolve().parent.parent


def test_every_modifier_has_one_rule() -> None:
    assert set(MODIFIERS) == set(typing.get_args(Modifier))


def test_modifiers_raise_their_axis_and_say_why() -> None:
    facts = SeverityFacts(load_model_text(MODEL, "truth.yaml").index)
    low = {"likelihood": "low", "impact": "low"}
    plain = facts.rate(SeverityModel(**low), "agent", ["agent"])
    assert (plain.severity, plain.factors) == (Severity.info, ())
    every = SeverityModel(**low, modifiers=list(MODIFIERS))
    # agent (autonomous) holds send; crm holds confidential pii: not restricted, not secret.
    rated = facts.rate(every, "agent", ["agent", "agent.tools.crm", "crm"])
    # The agent declares human_approval: a person approves each call, so it is contained,
    # and autonomy does not raise a finding about one of its permissions.
    assert rated.factors == (
        "likelihood +1: agent `agent` acts autonomously",
        "likelihood −1: contained: everything `agent` can change is sandboxed, approved or "
        "reviewed, no secrets in reach",
    )
    assert rated.severity is Severity.info  # likelihood 1+1-1, impact 1
    # On an approved permission autonomy is shown, and moves nothing.
    assert facts.rate(every, "agent.tools.crm", ["agent", "agent.tools.crm"]).factors == (
        "likelihood +0: agent `agent` acts autonomously, but a person approves each call "
        "through `agent.tools.crm`",
    )
    helper = facts.rate(every, "helper", ["helper", "helper->web", "web"])
    # read-only, nothing exposed or public; supervised lowers likelihood (already lowest)
    assert helper.factors == (
        "likelihood −1: agent `helper` is supervised: a person watches or approves",
    )
    assert helper.severity is Severity.info
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


def test_every_modifier_is_documented() -> None:
    reference = (ROOT / "docs" / "reference" / "conditions.md").read_text()
    for name, rule in MODIFIERS.items():
        assert f"| `{name}` | {rule.moves} |" in reference
    assert {rule.step for rule in MODIFIERS.values()} == {1, -1}


CONTEXT = """
tmcode: 1
system: {name: Context, lifecycle: production}
boundaries:
  corp: {trust: internal}
  ci: {trust: internal, parent: corp}
  job: {trust: internal, parent: ci, ephemeral: true}
  keep: {trust: internal, parent: ci}
  web: {trust: untrusted}
data:
  src: {classification: internal}
  pii: {classification: confidential, tags: [pii]}
  key: {classification: internal, tags: [secret]}
components:
  staff: {kind: user, boundary: corp, audience: employees}
  buyer: {kind: user, boundary: web, audience: customers}
  llm: {kind: llm, boundary: corp}
  boxed:
    kind: agent
    boundary: ci
    model: llm
    autonomy: supervised
    tools:
      shell: {scopes: [execute], controls: [sandbox]}
      scratch: {scopes: [read, write], controls: [sandbox]}
      tickets: {scopes: [write], credential: user_delegated, controls: [scoped_credentials, human_approval]}
      forge: {scopes: [write], controls: [human_approval]}
  loose:
    kind: agent
    boundary: ci
    model: llm
    autonomy: suggest
    tools:
      shell: {scopes: [execute]}
      records: {scopes: [write], credential: user_delegated}
      vault: {scopes: [read]}
      crm: {scopes: [write, delete], credential: service_account, controls: [least_privilege]}
  free:
    kind: agent
    boundary: ci
    model: llm
    tools:
      scratch: {scopes: [write]}
  shell: {kind: tool, boundary: job}
  scratch: {kind: datastore, boundary: job, stores: [src]}
  records: {kind: datastore, boundary: job, stores: [pii]}
  tickets: {kind: datastore, boundary: corp, stores: [src]}
  forge: {kind: service, boundary: keep}
  vault: {kind: secret_store, boundary: corp, stores: [key]}
  crm: {kind: datastore, boundary: corp}
flows:
  - {from: tickets, to: staff, kind: output}
  - {from: crm, to: staff, kind: output}
  - {from: crm, to: buyer, kind: output}
"""


def context_facts() -> SeverityFacts:
    """Severity facts of the CONTEXT model."""
    return SeverityFacts(load_model_text(CONTEXT, "context.yaml").index)


@pytest.fixture(scope="module")
def context() -> SeverityFacts:
    return context_facts()


def _only(name: str, likelihood: str = "medium", impact: str = "high") -> SeverityModel:
    return SeverityModel(likelihood=likelihood, impact=impact, modifiers=[name])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("modifier", "target", "factor"),
    [
        (
            "throwaway",
            "boxed.tools.scratch",
            "impact −1: `scratch` holds only internal data in a throwaway workspace (job)",
        ),
        (
            "throwaway",
            "boxed.tools.shell",
            "impact −1: `shell` holds no data in a throwaway workspace (job)",
        ),
        (
            "insiders_only",
            "boxed.tools.tickets",
            "impact −1: only people inside read what reaches `tickets` (staff)",
        ),
        (
            "suggest_only",
            "loose.tools.shell",
            "likelihood −1: agent `loose` only suggests; a person carries it out",
        ),
        (
            "supervised",
            "boxed",
            "likelihood −1: agent `boxed` is supervised: a person watches or approves",
        ),
        (
            "supervised",
            "loose",
            "likelihood −1: agent `loose` only suggests; a person carries it out",
        ),
        (
            "delegated_credential",
            "boxed.tools.tickets",
            "likelihood −1: calls use the user's own delegated credential (scoped_credentials)",
        ),
        (
            "contained",
            "boxed.tools.shell",
            "likelihood −1: contained: `shell` runs in a sandbox (boxed.tools.shell), no secrets in reach",
        ),
        (
            "contained",
            "boxed",
            "likelihood −1: contained: everything `boxed` can change is sandboxed, approved or reviewed, "
            "no secrets in reach",
        ),
    ],
)
def test_each_lowering_modifier_holds_and_says_why(
    context: SeverityFacts, modifier: str, target: str, factor: str
) -> None:
    rated = context.rate(_only(modifier), target, [target])
    assert rated.factors == (factor,)
    # A lowering resting on what the model leaves out (no other readers, no secrets) says so.
    absence = {
        "insiders_only": "tickets: the users the model names (staff) are all who read what it "
        "changes",
        "contained": "boxed: no secret or restricted data is in reach beyond what the model "
        "declares",
    }
    assert rated.assumptions == ((absence[modifier],) if modifier in absence else ())
    assert rated.severity is Severity.medium  # one step down from medium × high


@pytest.mark.parametrize(
    ("modifier", "target", "why"),
    [
        ("throwaway", "loose.tools.records", "confidential data in the throwaway workspace"),
        ("throwaway", "boxed.tools.forge", "a boundary that is not ephemeral"),
        ("insiders_only", "loose.tools.crm", "a customer reads what reaches crm"),
        ("insiders_only", "boxed.tools.scratch", "no user reads the scratch store"),
        ("suggest_only", "boxed.tools.shell", "supervised is not suggest"),
        ("suggest_only", "free.tools.scratch", "unset autonomy lowers nothing"),
        ("supervised", "free", "unset autonomy lowers nothing"),
        ("delegated_credential", "loose.tools.records", "delegated but not scoped"),
        ("delegated_credential", "loose.tools.crm", "scoped but a service account"),
        ("contained", "loose.tools.shell", "no sandbox declared"),
        ("contained", "loose", "nothing sandboxed, a secret store in reach"),
        ("contained", "boxed.tools.tickets", "tickets is not sandboxed"),
    ],
)
def test_lowering_modifiers_need_declared_facts(
    context: SeverityFacts, modifier: str, target: str, why: str
) -> None:
    rated = context.rate(_only(modifier), target, [target])
    assert (rated.severity, rated.factors) == (Severity.high, ()), why


def test_a_secret_in_reach_keeps_a_sandboxed_permission_uncontained() -> None:
    text = CONTEXT.replace(
        "records: {kind: datastore, boundary: job, stores: [pii]}",
        "records: {kind: datastore, boundary: job, stores: [key]}",
    )
    facts = SeverityFacts(load_model_text(text, "secret.yaml").index)
    # The shell can reach whatever shares its box: the key in `records` is in reach.
    assert facts.rate(_only("contained"), "boxed.tools.shell", []).factors == ()
    # A secret store is secrets in reach even when the model lists nothing it stores.
    vault = CONTEXT.replace(
        "      forge: {scopes: [write], controls: [human_approval]}\n",
        "      forge: {scopes: [write], controls: [human_approval]}\n      vault: {scopes: [read]}\n",
    ).replace(
        "vault: {kind: secret_store, boundary: corp, stores: [key]}",
        "vault: {kind: secret_store, boundary: corp}",
    )
    facts = SeverityFacts(load_model_text(vault, "vault.yaml").index)
    assert facts.rate(_only("contained"), "boxed.tools.shell", []).factors == ()
    assert context_facts().rate(_only("contained"), "boxed.tools.shell", []).factors != ()


def test_raises_and_lowerings_add_up(context: SeverityFacts) -> None:
    every = SeverityModel(likelihood="medium", impact="high", modifiers=list(MODIFIERS))
    shell = context.rate(every, "boxed.tools.shell", ["boxed", "boxed.tools.shell", "shell"])
    assert [f.split(":")[0] for f in shell.factors] == [
        "impact +1",
        "impact −1",
        "likelihood −1",
        "likelihood −1",
    ]
    assert shell.severity is Severity.medium  # likelihood 2-2, impact 3+1-1
    # For the agent as a whole, execute in a throwaway box is not a consequential scope.
    agent = context.rate(every, "boxed", ["boxed"])
    assert not any(f.startswith("impact +1") for f in agent.factors)
    loose = context.rate(every, "loose", ["loose"])
    assert "impact +1: consequential scopes (delete)" in loose.factors


BENIGN = ROOT / "tests" / "benign"


def _rated(text: str, name: str) -> set[tuple[str, str, str]]:
    """(threat, target, severity) of every finding, mitigated or open: severity is the point."""
    catalog = load_catalog([])
    loaded = load_model_text(text, name, known_controls=frozenset(catalog.controls))
    report = check([loaded], catalog, today=dt.date(2026, 11, 26))
    return {(f.threat, f.target, f.severity.value) for f in report.findings}


def test_a_customer_reading_their_own_records_is_not_disclosure() -> None:
    text = (BENIGN / "tenant-rag.yaml").read_text()
    assert not any(t == "DIS-001" for t, _, _ in _rated(text, "tenant-rag.yaml"))
    unset = text.replace("    entitled_to: [chat, tenant-articles]\n", "")
    assert ("DIS-001", "answer-model", "high") in _rated(unset, "unset.yaml")
    # One outside user not entitled is enough to keep the finding.
    partly = text.replace("    entitled_to: [chat, tenant-articles]\n", "", 1)
    assert ("DIS-001", "answer-model", "high") in _rated(partly, "partly.yaml")


def test_content_a_tenant_writes_for_itself_is_not_outsider_taint() -> None:
    text = (BENIGN / "tenant-rag.yaml").read_text()
    catalog = load_catalog([])
    report = check([load_model_text(text, "t.yaml")], catalog, today=dt.date(2026, 11, 26))
    assert not any(f.threat == "RAG-001" for f in report.findings)
    shared = text.replace("writes_to: own_tenant", "writes_to: shared")
    report = check([load_model_text(shared, "s.yaml")], catalog, today=dt.date(2026, 11, 26))
    assert {f.target for f in report.findings if f.threat == "RAG-001"} == {
        "article-store",
        "index",
    }
    # The claim holds only where tenant isolation keeps it: without it on the store they
    # write into, what tenant admins write is outsider content like anyone's.
    unkept = text.replace(
        "controls: [tenant_isolation, access_control, encryption_at_rest, provenance_tracking]",
        "controls: [access_control, encryption_at_rest, provenance_tracking]",
    )
    report = check([load_model_text(unkept, "u.yaml")], catalog, today=dt.date(2026, 11, 26))
    assert "article-store" in {f.target for f in report.findings if f.threat == "RAG-001"}


def test_a_throwaway_sandbox_lowers_the_coding_agent_findings() -> None:
    text = (BENIGN / "sandboxed-coding-agent.yaml").read_text()
    found = _rated(text, "sandboxed.yaml")
    assert ("AG-001", "agent.tools.checkout", "low") in found
    assert ("AG-001", "agent.tools.shell", "medium") in found
    assert ("PI-002", "agent", "medium") in found
    # A store and workspace destroyed after each job: no poisoned knowledge base, nothing
    # to roll back.
    assert not {(t, x) for t, x, _ in found} & {
        ("RAG-001", "checkout"),
        ("LC-002", "agent.tools.checkout"),
    }
    kept = _rated(text.replace("    ephemeral: true\n", ""), "kept.yaml")
    assert ("AG-001", "agent.tools.checkout", "medium") in kept  # sandbox alone: contained
    assert ("RAG-001", "checkout", "high") in kept
    assert ("PI-002", "agent", "high") in kept  # execute outside a throwaway box counts
    assert ("AG-001", "agent.tools.shell", "high") in kept


def test_a_suggesting_writer_is_not_a_high_consequential_action() -> None:
    text = (BENIGN / "supervised-research-agents.yaml").read_text()
    assert ("AG-001", "writer.tools.notebook", "medium") in _rated(text, "r.yaml")
    autonomous = text.replace("    autonomy: suggest\n", "    autonomy: autonomous\n")
    assert ("AG-001", "writer.tools.notebook", "high") in _rated(autonomous, "a.yaml")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "    entitled_to: [chat, tenant-articles]\n    writes_to",
            "    entitled_to: [chats]\n    writes_to",
            "unknown data asset `chats`",
        ),
        ("writes_to: own_tenant", "writes_to: own", "writes_to"),
    ],
)
def test_the_new_fields_are_validated(old: str, new: str, message: str) -> None:
    text = (BENIGN / "tenant-rag.yaml").read_text()
    assert old in text
    with pytest.raises(Exception, match=message):
        load_model_text(text.replace(old, new), "bad.yaml")


def test_ephemeral_is_a_strict_boolean() -> None:
    text = (BENIGN / "sandboxed-coding-agent.yaml").read_text()
    with pytest.raises(Exception, match="ephemeral"):
        load_model_text(text.replace("ephemeral: true", "ephemeral: sometimes"), "bad.yaml")


def test_the_schema_has_the_new_fields() -> None:
    schema = Model.model_json_schema()
    defs = schema["$defs"]
    assert defs["Boundary"]["properties"]["ephemeral"]["x-tmcode-assumed"] is False
    assert "entitled_to" in defs["User"]["properties"]
    assert defs["User"]["properties"]["writes_to"]["x-tmcode-assumed"] == "shared"


def test_an_agent_whose_work_only_insiders_read_is_lower_impact() -> None:
    model = _only("insiders_only")
    text = CONTEXT + "  - {from: boxed, to: staff, kind: output}\n"
    facts = SeverityFacts(load_model_text(text, "insiders.yaml").index)
    # boxed changes shell, scratch and forge, whose readers the model does not name: unknown.
    assert facts.rate(model, "boxed", []).factors == ()
    named = text + "  - {from: scratch, to: staff, kind: output}\n"
    named += "  - {from: shell, to: staff, kind: output}\n"
    named += "  - {from: forge, to: staff, kind: output}\n"
    facts = SeverityFacts(load_model_text(named, "named.yaml").index)
    assert facts.rate(model, "boxed", []).factors == (
        "impact −1: only people inside read what reaches `boxed` (staff)",
    )
    sends = named.replace("forge: {scopes: [write]", "forge: {scopes: [write, send]")
    facts = SeverityFacts(load_model_text(sends, "sends.yaml").index)
    assert facts.rate(model, "boxed", []).factors == ()  # a send reaches people unnamed


def test_a_drafting_copilot_with_a_read_only_lookup_is_not_high() -> None:
    text = (BENIGN / "support-reply-drafts.yaml").read_text()
    found = _rated(text, "drafts.yaml")
    assert ("PI-002", "copilot", "medium") in found
    assert ("AG-003", "copilot", "medium") in found
    # A lookup through a read-only tool writes nothing into the store behind it.
    assert not any(t == "RAG-001" for t, _, _ in found)
    writable = text.replace("        scopes: [read]\n", "        scopes: [read, write]\n")
    assert ("RAG-001", "order-db", "high") in _rated(writable, "writable.yaml")
    public = text.replace("audience: employees", "audience: customers")
    assert ("AG-003", "copilot", "high") in _rated(public, "public.yaml")


APPROVALS = """
tmcode: 1
system: {name: Approvals, lifecycle: production}
boundaries:
  corp: {trust: internal}
  pay: {trust: internal, parent: corp}
components:
  llm: {kind: llm, boundary: corp}
  agent:
    kind: agent
    boundary: corp
    model: llm
    autonomy: autonomous
    tools:
      refunds: {scopes: [spend], controls: [human_approval]}
      shell: {scopes: [execute]}
      payouts: {scopes: [spend]}
  refunds: {kind: service, boundary: corp}
  shell: {kind: tool, boundary: corp}
  payouts: {kind: service, boundary: pay}
"""


def _approvals(text: str = APPROVALS) -> SeverityFacts:
    return SeverityFacts(load_model_text(text, "approvals.yaml").index)


def test_an_approved_permission_is_no_consequential_scope_of_the_agent() -> None:
    scopes = _only("consequential_scopes")
    payouts_gated = APPROVALS.replace(
        "pay: {trust: internal, parent: corp}",
        "pay: {trust: internal, parent: corp, controls: [human_approval]}",
    )
    # Every spend goes through an approved permission (on it, or on the boundary of what it
    # reaches): only execute counts, and the factor says the spend waits for a person.
    assert _approvals(payouts_gated).rate(scopes, "agent", ["agent"]).factors == (
        "impact +1: consequential scopes (execute; spend needs approval)",
    )
    # One unapproved spend is enough for spend to count.
    assert _approvals().rate(scopes, "agent", ["agent"]).factors == (
        "impact +1: consequential scopes (execute, spend)",
    )
    only_gated = payouts_gated.replace("      shell: {scopes: [execute]}\n", "")
    rated = _approvals(only_gated).rate(scopes, "agent", ["agent", "agent.tools.refunds"])
    # Nothing unapproved is left: the factor is shown, and moves nothing.
    assert (rated.severity, rated.factors) == (
        Severity.high,
        ("impact +0: consequential scopes (spend) need approval",),
    )
    # A planned approval, or one whose `covers` leaves the service out, approves nothing.
    planned = only_gated.replace(
        "controls: [human_approval]}\n      payouts",
        "controls: [{id: human_approval, status: planned}]}\n      payouts",
    )
    assert _approvals(planned).rate(scopes, "agent", ["agent"]).factors == (
        "impact +1: consequential scopes (spend)",
    )
    elsewhere = only_gated.replace(
        "controls: [human_approval]}\n\ncomponents", "controls: [human_approval]}\ncomponents"
    ).replace(
        "parent: corp, controls: [human_approval]}",
        "parent: corp, controls: [{id: human_approval, covers: [tool]}]}",
    )
    assert _approvals(elsewhere).rate(scopes, "agent", ["agent"]).factors == (
        "impact +1: consequential scopes (spend)",
    )
    # The permission's own finding still weighs what the permission can do.
    assert _approvals().rate(scopes, "agent.tools.refunds", []).factors == (
        "impact +1: consequential scopes (spend)",
    )


def test_autonomy_does_not_raise_a_finding_on_an_approved_permission() -> None:
    autonomous = _only("autonomous")
    facts = _approvals()
    # Shown, but it moves nothing: a person approves each call.
    refunds = facts.rate(autonomous, "agent.tools.refunds", [])
    assert refunds.factors == (
        "likelihood +0: agent `agent` acts autonomously, but a person approves each call "
        "through `agent.tools.refunds`",
    )
    assert facts.rate(autonomous, "agent.tools.shell", []).factors == (
        "likelihood +1: agent `agent` acts autonomously",
    )
    # An approval written on the agent is asked before each of its calls.
    on_agent = APPROVALS.replace(
        "    autonomy: autonomous\n", "    autonomy: autonomous\n    controls: [human_approval]\n"
    )
    shell = _approvals(on_agent).rate(autonomous, "agent.tools.shell", [])
    assert [f.startswith("likelihood +0:") for f in shell.factors] == [True]


def test_the_example_approvals_lower_the_agent_findings() -> None:
    text = (ROOT / "models" / "support-copilot.yaml").read_text()
    found = _rated(text, "copilot.yaml")
    assert {("AG-003", "copilot", "high"), ("PI-002", "copilot", "high")} <= found
    unapproved = text.replace("controls: [human_approval, budget_cap]", "controls: [budget_cap]")
    raised = _rated(unapproved, "raised.yaml")
    assert {("AG-003", "copilot", "critical"), ("PI-002", "copilot", "critical")} <= raised
    coding = (ROOT / "models" / "coding-agent.yaml").read_text()
    assert ("LC-002", "agent.tools.forge-mcp", "medium") in _rated(coding, "coding.yaml")
    line = "        controls: [human_approval]        # a maintainer merges every pull request\n"
    assert line in coding
    assert ("LC-002", "agent.tools.forge-mcp", "high") in _rated(
        coding.replace(line, ""), "unapproved.yaml"
    )


def test_a_sandbox_that_covers_other_components_contains_nothing_here() -> None:
    """`contained` reads the credited controls: a sandbox covering only the checkout."""
    text = (BENIGN / "sandboxed-coding-agent.yaml").read_text()
    catalog = load_catalog([])

    def shell_factors(model: str) -> list[str]:
        loaded = load_model_text(model, "s.yaml", known_controls=frozenset(catalog.controls))
        report = check([loaded], catalog, today=dt.date(2026, 11, 26))
        (found,) = [
            f for f in report.findings if (f.threat, f.target) == ("AG-002", "agent.tools.shell")
        ]
        return found.severity_factors

    assert any("contained" in f for f in shell_factors(text))
    narrowed = text.replace(
        "    controls: [sandbox, egress_allowlist]\n",
        "    controls: [{id: sandbox, covers: [checkout]}, egress_allowlist]\n",
    )
    assert narrowed != text
    assert not any("contained" in f for f in shell_factors(narrowed))
