"""The condition language: every operator of the registry true and false on a small model,
each refusal said where it belongs, and one registry behind the compiler and the docs."""

from __future__ import annotations

from typing import Any

import pytest

from tmcode.catalog.conditions import OPERATORS, ConditionError, Subject, compile_condition
from tmcode.catalog.conditions.core import EvalContext, Operator
from tmcode.catalog.conditions.registry import FAMILIES, _table
from tmcode.graph import flow_graph
from tmcode.model.load import LoadedModel, load_model_text

MODEL = """
tmcode: 1
system: {name: Truth tables, lifecycle: development, controls: [aibom]}
boundaries:
  internet: {trust: untrusted}
  corp: {trust: internal}
  box: {trust: internal, parent: corp, ephemeral: true}
data:
  pii: {classification: confidential, tags: [pii]}
  memo: {classification: public}
components:
  web: {kind: external_content, boundary: internet, content: web}
  ui: {kind: ui, boundary: corp, renders: [links]}
  plain_ui: {kind: ui, boundary: corp, renders: [markdown]}
  bare_ui: {kind: ui, boundary: corp}
  llm: {kind: llm, boundary: corp, trained_on: [set], system_prompt: {contains: [secrets]}}
  spare: {kind: llm, boundary: corp}
  idle: {kind: llm, boundary: corp}
  set: {kind: dataset, boundary: corp, contains: [pii]}
  agent:
    kind: agent
    boundary: corp
    model: llm
    autonomy: autonomous
    controls: [human_approval, {id: budget_cap, status: planned}]
    tools:
      crm: {scopes: [read]}
      mailer: {scopes: [send]}
  helper:
    kind: agent
    boundary: corp
    model: spare
    autonomy: supervised
    tools:
      notes: {scopes: [read]}
  crm: {kind: datastore, boundary: corp, stores: [pii]}
  notes: {kind: datastore, boundary: corp, stores: [memo]}
  mailer: {kind: tool, boundary: corp}
  scratch: {kind: datastore, boundary: box}
flows:
  - {from: web, to: agent, kind: context}
  - {from: agent, to: ui, kind: output}
  - {from: helper, to: plain_ui, kind: output}
  - {from: notes, to: helper, kind: retrieval, data: [memo]}
  - {from: crm, to: notes, kind: ingest, data: [pii]}
  - {from: helper, to: web, kind: api}
"""

COMPONENT = Subject("component")
AGENT = Subject("component", frozenset({"agent"}))
PERMISSION = Subject("permission")
FLOW = Subject("flow")
SYSTEM = Subject("system")

AUTONOMOUS = {"attr": {"name": "autonomy", "eq": "autonomous"}}
SENDS = {"attr": {"name": "scopes", "contains": "send"}}

# operator -> (condition, subject, a key it holds for, a key it does not hold for)
TRUTH: list[tuple[str, dict[str, Any], Subject, str, str]] = [
    ("all", {"all": [AUTONOMOUS, {"has_control": "human_approval"}]}, AGENT, "agent", "helper"),
    ("any", {"any": [{"has_control": "nope"}, AUTONOMOUS]}, AGENT, "agent", "helper"),
    ("not", {"not": AUTONOMOUS}, AGENT, "helper", "agent"),
    ("attr", AUTONOMOUS, AGENT, "agent", "helper"),
    ("has_control", {"has_control": "human_approval"}, AGENT, "agent", "helper"),
    # `system` tests the system, the same for every subject: the false case is a system that
    # lacks the control (SYSTEM_FALSE).
    ("system", {"system": {"has_control": "aibom"}}, COMPONENT, "crm", "crm"),
    ("agent", {"agent": AUTONOMOUS}, PERMISSION, "agent.tools.crm", "helper.tools.notes"),
    ("tool", {"tool": {"data": {}}}, PERMISSION, "agent.tools.crm", "helper.tools.notes"),
    (
        "model",
        {"model": {"attr": {"name": "trained_on_sensitive", "eq": True}}},
        AGENT,
        "agent",
        "helper",
    ),
    (
        "from",
        {"from": {"attr": {"name": "trust", "eq": "untrusted"}}},
        FLOW,
        "web->agent",
        "agent->ui",
    ),
    ("to", {"to": {"attr": {"name": "kind", "eq": "ui"}}}, FLOW, "agent->ui", "web->agent"),
    ("has_permission", {"has_permission": {"where": SENDS}}, AGENT, "agent", "helper"),
    ("tainted", {"tainted": {}}, COMPONENT, "agent", "helper"),
    ("sensitive", {"sensitive": {}}, COMPONENT, "helper", "llm"),
    (
        "reached_by",
        {"reached_by": {"from": {"attr": {"name": "kind", "eq": "external_content"}}}},
        COMPONENT,
        "agent",
        "helper",
    ),
    (
        "reaches",
        {"reaches": {"to": {"attr": {"name": "kind", "eq": "ui"}}}},
        COMPONENT,
        "crm",
        "set",
    ),
    ("egress", {"egress": {}}, AGENT, "agent", "helper"),
    (
        "flow_in",
        {"flow_in": {"kinds": ["context"], "from": {"attr": {"name": "trust", "eq": "untrusted"}}}},
        COMPONENT,
        "agent",
        "helper",
    ),
    ("flow_out", {"flow_out": {"kinds": ["output"]}}, COMPONENT, "agent", "crm"),
    ("data", {"data": {}}, COMPONENT, "crm", "notes"),
    ("crosses_trust", {"crosses_trust": "raising"}, FLOW, "web->agent", "agent->ui"),
]
SYSTEM_FALSE = {"system": {"has_control": "nope"}}

# More cases of one operator: its options and the variants a single row cannot show.
MORE: list[tuple[dict[str, Any], Subject, str, bool]] = [
    ({"has_control": "budget_cap"}, AGENT, "agent", False),  # planned is not implemented
    ({"has_control": "aibom"}, SYSTEM, "system", True),
    (SYSTEM_FALSE, COMPONENT, "crm", False),
    ({"has_permission": {"min": 2}}, AGENT, "agent", True),
    ({"has_permission": {"min": 2}}, AGENT, "helper", False),
    ({"tainted": {"flow_kinds": ["api"]}}, COMPONENT, "agent", False),
    ({"sensitive": {}}, COMPONENT, "crm", True),  # it holds some itself
    ({"sensitive": {"at_least": "restricted", "tags": []}}, COMPONENT, "helper", False),
    (
        {
            "reached_by": {
                "from": {"attr": {"name": "kind", "eq": "external_content"}},
                "through": ["retriever"],
            }
        },
        COMPONENT,
        "ui",
        False,
    ),
    ({"egress": {}}, COMPONENT, "helper", False),
    (
        {
            "flow_out": {
                "kinds": ["output"],
                "to": {"attr": {"name": "renders", "contains": "links"}},
            }
        },
        COMPONENT,
        "helper",
        False,
    ),
    ({"data": {}}, FLOW, "crm->notes", True),
    ({"data": {}}, FLOW, "notes->helper", False),
    ({"data": {"at_least": None, "tags": ["pii"]}}, COMPONENT, "set", True),
    ({"crosses_trust": "lowering"}, FLOW, "helper->web", True),
    ({"crosses_trust": "lowering"}, FLOW, "web->agent", False),
]

# attr's tests, each true and false, on declared and derived attributes.
ATTR: list[tuple[dict[str, Any], Subject, str, str]] = [
    ({"name": "autonomy", "in": ["autonomous", "suggest"]}, AGENT, "agent", "helper"),
    ({"name": "autonomy", "not_in": ["autonomous"]}, AGENT, "helper", "agent"),
    ({"name": "scopes", "contains": "send"}, PERMISSION, "agent.tools.mailer", "agent.tools.crm"),
    (
        {"name": "scopes", "contains_any": ["send", "spend"]},
        PERMISSION,
        "agent.tools.mailer",
        "agent.tools.crm",
    ),
    ({"name": "trust", "at_least": "internal"}, COMPONENT, "crm", "web"),
    ({"name": "trust", "at_most": "partner"}, COMPONENT, "web", "crm"),
    ({"name": "renders", "is_set": True}, COMPONENT, "ui", "bare_ui"),
    ({"name": "data_classification", "at_least": "confidential"}, COMPONENT, "crm", "notes"),
    ({"name": "data_classification", "eq": "public"}, FLOW, "notes->helper", "crm->notes"),
    ({"name": "data_tags", "contains": "pii"}, COMPONENT, "crm", "notes"),
    ({"name": "used_by_agent", "eq": True}, COMPONENT, "spare", "idle"),
    ({"name": "prompt_contains", "contains": "secrets"}, COMPONENT, "llm", "spare"),
    ({"name": "trained_on_sensitive", "eq": True}, COMPONENT, "llm", "spare"),
    ({"name": "used_for_training", "eq": True}, COMPONENT, "set", "crm"),
    ({"name": "ephemeral", "eq": True}, COMPONENT, "scratch", "crm"),
    (
        {"name": "target_kind", "eq": "datastore"},
        PERMISSION,
        "agent.tools.crm",
        "agent.tools.mailer",
    ),
    ({"name": "name", "is_set": True}, SYSTEM, "system", None),
]


@pytest.fixture(scope="module")
def loaded() -> LoadedModel:
    return load_model_text(MODEL, "truth.yaml")


def holds(loaded: LoadedModel, condition: Any, subject: Subject, key: str) -> Any:
    ctx = EvalContext(loaded.index, flow_graph(loaded.model))
    return compile_condition(condition, subject).test(ctx, subject, key)


@pytest.mark.parametrize("name,condition,subject,yes,no", TRUTH, ids=[t[0] for t in TRUTH])
def test_operator_truth_table(loaded, name, condition, subject, yes, no) -> None:
    assert holds(loaded, condition, subject, yes).ok
    if name == "system":
        assert not holds(loaded, SYSTEM_FALSE, subject, no).ok
    else:
        assert not holds(loaded, condition, subject, no).ok


@pytest.mark.parametrize("condition,subject,key,expected", MORE)
def test_operator_options(loaded, condition, subject, key, expected) -> None:
    assert holds(loaded, condition, subject, key).ok is expected


@pytest.mark.parametrize("test,subject,yes,no", ATTR, ids=[str(a[0]) for a in ATTR])
def test_attribute_tests(loaded, test, subject, yes, no) -> None:
    assert holds(loaded, {"attr": test}, subject, yes).ok
    if no is not None:
        assert not holds(loaded, {"attr": test}, subject, no).ok


def test_every_operator_and_attr_test_has_a_truth_table() -> None:
    assert [t[0] for t in TRUTH] == list(OPERATORS)
    from tmcode.catalog.conditions.attributes import DERIVED, TESTS

    tested = {k for a in ATTR for k in a[0] if k != "name"} | {"eq"}
    assert tested == set(TESTS)
    derived = {name for table in DERIVED.values() for name in table}
    assert derived <= {a[0]["name"] for a in ATTR}


def test_evidence_and_assumptions(loaded) -> None:
    # A relation names the related element first; a reach names the path from the source.
    tool = holds(loaded, {"tool": {"data": {}}}, PERMISSION, "agent.tools.crm")
    assert tool.evidence == ("crm",)
    taint = holds(loaded, {"tainted": {}}, COMPONENT, "mailer")
    assert taint.evidence == ("web", "web->agent", "agent", "agent.tools.mailer", "mailer")
    egress = holds(loaded, {"egress": {}}, AGENT, "agent")
    assert egress.evidence == ("agent.tools.mailer", "mailer", "agent->ui", "ui")
    # An unset attribute is read as its assumed value, and the result says so.
    unset = holds(
        loaded, {"attr": {"name": "renders", "contains": "markdown"}}, COMPONENT, "bare_ui"
    )
    assert unset.ok and unset.assumptions == ("bare_ui: `renders` is unset; assumed `[markdown]`",)
    shown = holds(loaded, {"not": {"has_control": "x"}}, AGENT, "agent")
    assert shown.ok and shown.evidence == ()


# A valid argument for each operator, to try it on every subject.
ARGS: dict[str, Any] = {
    "all": [{"has_control": "x"}],
    "any": [{"has_control": "x"}],
    "not": {"has_control": "x"},
    "attr": {"name": "description", "is_set": True},
    "has_control": "x",
    "system": {"has_control": "x"},
    "agent": {"has_control": "x"},
    "tool": {"has_control": "x"},
    "model": {"has_control": "x"},
    "from": {"has_control": "x"},
    "to": {"has_control": "x"},
    "has_permission": {},
    "tainted": {},
    "sensitive": {},
    "reached_by": {"from": {"has_control": "x"}},
    "reaches": {"to": {"has_control": "x"}},
    "egress": {},
    "flow_in": {},
    "flow_out": {},
    "data": {},
    "crosses_trust": "raising",
}
SUBJECTS = [
    COMPONENT,
    AGENT,
    Subject("component", frozenset({"llm"})),
    Subject("component", frozenset({"agent", "llm"})),
    PERMISSION,
    FLOW,
    SYSTEM,
]


def _applies(operator: Operator, subject: Subject) -> bool:
    applies = operator.applies_to
    if applies.types and subject.type not in applies.types:
        return False
    return not applies.kinds or bool(subject.kinds and subject.kinds <= applies.kinds)


@pytest.mark.parametrize("name", list(OPERATORS))
def test_applies_to_is_what_the_compiler_accepts(name: str) -> None:
    operator = OPERATORS[name]
    for subject in SUBJECTS:
        if _applies(operator, subject):
            compile_condition({name: ARGS[name]}, subject)
            continue
        with pytest.raises(ConditionError) as refused:
            compile_condition({name: ARGS[name]}, subject)
        assert refused.value.loc == (name,)
        assert f"`{name}` applies to" in refused.value.message


@pytest.mark.parametrize(
    "condition,subject,loc,message",
    [
        ({"tainted": {}}, FLOW, ("tainted",), "`tainted` applies to components, not a flow"),
        (
            {"has_permission": {}},
            Subject("component", frozenset({"llm"})),
            ("has_permission",),
            "`has_permission` applies to agent only",
        ),
        (
            {"agent": {}},
            AGENT,
            ("agent",),
            "`agent` applies to a permission, not a component (agent)",
        ),
        (
            {"model": {}},
            COMPONENT,
            ("model",),
            "`model` applies to agents only (set kinds: [agent])",
        ),
        ({"model": {}}, FLOW, ("model",), "`model` applies to a component, not a flow"),
        ({"data": {}}, SYSTEM, ("data",), "`data` applies to components and flows, not a system"),
        (
            {"crosses_trust": "raising"},
            COMPONENT,
            ("crosses_trust",),
            "`crosses_trust` applies to flows",
        ),
        (
            {"crosses_trust": "up"},
            FLOW,
            ("crosses_trust",),
            "`crosses_trust` is `raising` or `lowering`",
        ),
        ({"any": [{"some": 1}]}, FLOW, ("any", 0, "some"), "unknown operator `some`"),
        ({"all": []}, FLOW, ("all",), "`all` needs a non-empty list of conditions"),
        (
            {"tainted": {"flow_kinds": ["context", "x"]}},
            COMPONENT,
            ("tainted", "flow_kinds", 1),
            "`x` is not a flow kind",
        ),
        (
            {"reaches": {"to": {"has_control": "x"}, "through": []}},
            COMPONENT,
            ("reaches", "through"),
            "expected a non-empty list of component kinds",
        ),
        (
            {"sensitive": {"at_least": "secret"}},
            COMPONENT,
            ("sensitive", "at_least"),
            "`secret` is not a classification",
        ),
        ({"egress": {"x": 1}}, COMPONENT, ("egress", "x"), "unknown option `x` (known: none)"),
        ({"egress": []}, COMPONENT, ("egress",), "expected a mapping of options"),
        (
            {"reached_by": {}},
            COMPONENT,
            ("reached_by",),
            "`reached_by` needs `from:` (a condition on components)",
        ),
        (
            {"has_permission": {"min": 0}},
            AGENT,
            ("has_permission", "min"),
            "`min` is a whole number from 1",
        ),
        ({"has_control": 3}, AGENT, ("has_control",), "`has_control` takes a control id"),
        (
            {"attr": {"name": "trust", "is_set": True}},
            COMPONENT,
            ("attr", "is_set"),
            "`trust` is always set",
        ),
        (
            {"attr": {"name": "kind", "eq": "llm"}},
            AGENT,
            ("attr", "eq"),
            "`llm` is not a valid value of `kind`",
        ),
        (
            {"attr": {"name": "kind", "at_least": "agent"}},
            AGENT,
            ("attr", "at_least"),
            "`kind` has no order; use `eq` or `in`",
        ),
    ],
)
def test_refusals_say_where_and_why(condition, subject, loc, message) -> None:
    with pytest.raises(ConditionError) as refused:
        compile_condition(condition, subject)
    assert (refused.value.loc, refused.value.message) == (loc, message)


def test_one_registry_of_unique_operators() -> None:
    assert list(OPERATORS) == [op.name for _, ops in FAMILIES for op in ops]
    assert all(op.summary and op.form.startswith(op.name + ":") for op in OPERATORS.values())
    with pytest.raises(ValueError, match="registered twice"):
        _table([("a", (OPERATORS["not"],)), ("b", (OPERATORS["not"],))])
    with pytest.raises(TypeError):
        OPERATORS["new"] = OPERATORS["not"]  # type: ignore[index]
