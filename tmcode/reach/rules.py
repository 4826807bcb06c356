"""How a path is judged: the controls that cut each hop, its harm, and the order of paths."""

from __future__ import annotations


from tmcode.model.enums import Classification
from tmcode.report import Severity
from tmcode.reach.values import Path, Verb, VERBS


# How control spreads from one component to the next, and how an effect is had.
DRIVES = "drives"  # an LLM drives the agents whose `model` it is

# The controls that cut a path, by what a hop does. A path is cut when one of its hops has an
# implemented control of its set declared on the hop, the component it reaches, or the system.
CUTS: dict[str, tuple[str, ...]] = {
    Verb.read.value: (
        "access_control",
        "least_privilege",
        "scoped_credentials",
        "data_minimization",
        "pii_redaction",
    ),
    Verb.change.value: ("human_approval", "policy_engine", "least_privilege"),
    "memory_write": ("memory_write_approval", "memory_isolation", "human_approval"),
    Verb.delete.value: ("human_approval", "policy_engine", "least_privilege"),
    Verb.execute.value: ("sandbox", "command_allowlist", "human_approval", "policy_engine"),
    Verb.spend.value: ("budget_cap", "human_approval", "policy_engine"),
    Verb.send.value: (
        "human_approval",
        "output_dlp",
        "egress_allowlist",
        "url_allowlist",
        "policy_engine",
    ),
    Verb.admin.value: ("human_approval", "policy_engine", "separation_of_duties"),
    # Spreading: what keeps content from one component from steering the next.
    "message": (
        "input_guardrail",
        "content_isolation",
        "dual_llm",
        "plan_then_execute",
        "tool_lockdown_on_untrusted",
    ),
    "stored": (
        "ingest_validation",
        "memory_write_approval",
        "source_allowlist",
        "provenance_tracking",
        "input_guardrail",
        "content_isolation",
    ),
    DRIVES: ("output_guardrail", "output_validation", "human_review"),
    "training": ("data_validation", "signature_verification", "hash_verification"),
}

# Harm of a path: a base by verb, raised by the data it touches, read off as a severity.
_BASE = {
    Verb.read: 2,
    Verb.change: 2,
    Verb.delete: 3,
    Verb.execute: 4,
    Verb.spend: 4,
    Verb.send: 2,
    Verb.admin: 4,
    Verb.control: 3,
}
_DATA_BONUS = {
    Classification.public: -1,
    Classification.internal: 0,
    Classification.confidential: 1,
    Classification.restricted: 2,
}
HOT_TAGS = frozenset({"secret", "credentials"})
_LEVELS = (Severity.info, Severity.low, Severity.medium, Severity.high, Severity.critical)


def harm(verb: Verb, classification: Classification | None, hot: bool, outside: bool) -> Severity:
    """Base by verb, raised by the most sensitive data touched; a send only when it leaves."""
    bonus = 0 if classification is None else 2 if hot else _DATA_BONUS[classification]
    score = _BASE[verb]
    if verb is Verb.send:
        score += 1 + bonus if outside else 0
    else:
        score += bonus
    if verb in (Verb.change, Verb.delete):
        score = max(score, 2)
    return _LEVELS[max(0, min(score - 1, len(_LEVELS) - 1))]


_HARM_RANK = {level: rank for rank, level in enumerate(_LEVELS)}
_VERB_RANK = {verb: rank for rank, verb in enumerate(VERBS)}


def sort_key(path: Path) -> tuple[int, int, int, int, str, str]:
    """Open before cut, worst harm first, fewest take-overs, then verb and target."""
    return (
        int(path.cut),
        -_HARM_RANK[path.harm],
        path.hops,
        _VERB_RANK[path.verb],
        path.target,
        path.via,
    )
