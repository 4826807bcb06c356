"""How bad a finding is: the likelihood × impact matrix, and the model facts that raise it.

The engine rates every finding here and every renderer (SARIF among them) reads the same
matrix, so a severity means one thing everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Literal, NamedTuple

from tmcode.catalog.schema import Modifier, SeverityModel
from tmcode.model.elements import Agent, ComponentBase, User
from tmcode.model.enums import Classification
from tmcode.model.index import ModelIndex
from tmcode.report import Severity

LIKELIHOOD = {"low": 1, "medium": 2, "high": 3}
IMPACT = {"low": 1, "medium": 2, "high": 3, "critical": 4}
# rows: likelihood low..high; columns: impact low..critical
_MATRIX = [
    [Severity.info, Severity.low, Severity.medium, Severity.high],
    [Severity.low, Severity.medium, Severity.high, Severity.critical],
    [Severity.low, Severity.medium, Severity.high, Severity.critical],
]

# Permission scopes whose misuse costs money, access or data: they raise impact.
CONSEQUENTIAL = frozenset({"spend", "admin", "delete", "execute"})
# Data tags that raise impact like restricted data does.
HOT_TAGS = frozenset({"secret", "credentials"})

Axis = Literal["likelihood", "impact"]


def severity_of(likelihood: int, impact: int) -> Severity:
    """Look up the severity of a likelihood (1-3) and impact (1-4), clamped to the matrix."""
    row = min(max(likelihood, 1), 3) - 1
    col = min(max(impact, 1), 4) - 1
    return _MATRIX[row][col]


def rated(model: SeverityModel, likelihood_delta: int = 0, impact_delta: int = 0) -> Severity:
    """A threat's severity: its default likelihood and impact, raised by the model's facts."""
    return severity_of(
        LIKELIHOOD[model.likelihood] + likelihood_delta, IMPACT[model.impact] + impact_delta
    )


class Rating(NamedTuple):
    """A finding's severity with the factors that raised it and what they assumed."""

    severity: Severity
    factors: tuple[str, ...]
    assumptions: tuple[str, ...]


class Raise(NamedTuple):
    """One modifier that holds: the factor shown, and an assumption it rests on, if any."""

    factor: str
    assumption: str | None = None


class _Finding:
    """What a modifier looks at: the finding's target and the elements of its evidence."""

    def __init__(self, facts: SeverityFacts, target: str, elements: Sequence[str]) -> None:
        self.facts = facts
        self.target = target
        self.elements = elements
        index = facts.index
        # The agent the finding is about: the target itself, or a permission's holder.
        self.agent: str | None = None
        if isinstance(index.model.components.get(target), Agent):
            self.agent = target
        elif target in index.permissions:
            self.agent = index.permissions[target].agent
        self._components: list[ComponentBase] | None = None

    def components(self) -> list[ComponentBase]:
        """The target and evidence elements that are components, each once, target first."""
        if self._components is None:
            components = self.facts.index.model.components
            addresses = dict.fromkeys([self.target, *self.elements])
            self._components = [components[a] for a in addresses if a in components]
        return self._components


def _sensitive_data(f: _Finding) -> Raise | None:
    hot = f.facts.hot_data
    found = sorted({d for e in f.elements for d in f.facts.index.data_of(e) if d in hot})
    if not found:
        return None
    return Raise("impact +1: restricted or secret data in reach (" + ", ".join(found) + ")")


def _consequential_scopes(f: _Finding) -> Raise | None:
    index = f.facts.index
    addresses = [e for e in f.elements if e in index.permissions]
    if f.agent is not None and f.target == f.agent:
        addresses += index.permissions_of_agent.get(f.agent, ())
    elif f.target in index.permissions:
        addresses.append(f.target)
    # Scope members hash and compare as their values: no `.value` per scope.
    scopes = {s for a in addresses for s in index.permissions[a].permission.scopes}
    held = sorted(c for c in CONSEQUENTIAL if c in scopes)
    if not held:
        return None
    return Raise("impact +1: consequential scopes (" + ", ".join(held) + ")")


def _autonomous(f: _Finding) -> Raise | None:
    if f.agent is None:
        return None
    agent = f.facts.index.model.components[f.agent]
    assert isinstance(agent, Agent)
    autonomy = agent.autonomy or agent.assumed("autonomy")
    if str(getattr(autonomy, "value", autonomy)) != "autonomous":
        return None
    assumed = f"{f.agent}: `autonomy` is unset; assumed `autonomous`"
    return Raise(
        f"likelihood +1: agent `{f.agent}` acts autonomously",
        assumed if agent.autonomy is None else None,
    )


def _internet_exposed(f: _Finding) -> Raise | None:
    if any(c.exposure is not None and c.exposure.value == "internet" for c in f.components()):
        return Raise("likelihood +1: reachable from the internet")
    return None


def _public_audience(f: _Finding) -> Raise | None:
    for c in f.components():
        if isinstance(c, User) and c.audience is not None and c.audience.value == "public":
            return Raise("likelihood +1: anonymous public users in the path")
    return None


class ModifierRule(NamedTuple):
    """A modifier: the axis it raises by one step, when it holds, and in one line what it is."""

    raises: Axis
    holds: Callable[[_Finding], Raise | None]
    summary: str


# In the order their factors are listed on a finding.
MODIFIERS: Mapping[Modifier, ModifierRule] = MappingProxyType(
    {
        "sensitive_data": ModifierRule(
            "impact",
            _sensitive_data,
            "restricted data, or data tagged secret or credentials, is on the evidence path",
        ),
        "consequential_scopes": ModifierRule(
            "impact",
            _consequential_scopes,
            "the agent or permission holds spend, admin, delete or execute",
        ),
        "autonomous": ModifierRule(
            "likelihood",
            _autonomous,
            "the agent acts autonomously (an unset `autonomy` is assumed autonomous)",
        ),
        "internet_exposed": ModifierRule(
            "likelihood",
            _internet_exposed,
            "a component on the path declares `exposure: internet`",
        ),
        "public_audience": ModifierRule(
            "likelihood", _public_audience, "a user on the path declares `audience: public`"
        ),
    }
)


class SeverityFacts:
    """Rates the findings of one model: the matrix raised by the modifiers each threat names."""

    def __init__(self, index: ModelIndex) -> None:
        self.index = index
        # Data assets that raise impact: restricted, or tagged secret or credentials.
        self.hot_data = frozenset(
            did
            for did, d in index.model.data.items()
            if d.classification is Classification.restricted or HOT_TAGS.intersection(d.tags)
        )

    def rate(self, model: SeverityModel, target: str, elements: Sequence[str]) -> Rating:
        """Rate a finding on ``target`` whose evidence names ``elements``."""
        if not model.modifiers:
            return Rating(rated(model), (), ())
        wanted = model.modifiers
        finding = _Finding(self, target, elements)
        steps = {"likelihood": 0, "impact": 0}
        factors: list[str] = []
        assumptions: list[str] = []
        for name, rule in MODIFIERS.items():
            if name not in wanted:
                continue
            raised = rule.holds(finding)
            if raised is None:
                continue
            steps[rule.raises] += 1
            factors.append(raised.factor)
            if raised.assumption is not None:
                assumptions.append(raised.assumption)
        severity = rated(model, steps["likelihood"], steps["impact"])
        return Rating(severity, tuple(factors), tuple(assumptions))
