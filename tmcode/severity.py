"""How bad a finding is: the likelihood × impact matrix, and the model facts that move it.

The engine rates every finding here and every renderer (SARIF among them) reads the same
matrix, so a severity means one thing everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Literal, NamedTuple

from tmcode.catalog.schema import Modifier, SeverityModel
from tmcode.model.address import SYSTEM_ADDRESS
from tmcode.model.elements import Agent, ComponentBase, User
from tmcode.model.enums import Autonomy, Classification, Credential, Exposure, Trust
from tmcode.model.index import ModelIndex, PermissionEntry
from tmcode.model.kinds import Trait, has
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
# Controls that make a delegated credential a narrow one.
SCOPING = frozenset({"scoped_credentials", "least_privilege"})
SANDBOX = "sandbox"
APPROVAL = "human_approval"
# A permission that only reads and writes, each change reviewed by a person and revertible.
REVIEW = frozenset({"human_review", "rollback"})
REVIEWABLE = frozenset({"read", "write"})

Axis = Literal["likelihood", "impact"]


def severity_of(likelihood: int, impact: int) -> Severity:
    """Look up the severity of a likelihood (1-3) and impact (1-4), clamped to the matrix."""
    row = min(max(likelihood, 1), 3) - 1
    col = min(max(impact, 1), 4) - 1
    return _MATRIX[row][col]


def rated(model: SeverityModel, likelihood_delta: int = 0, impact_delta: int = 0) -> Severity:
    """A threat's severity: its default likelihood and impact, moved by the model's facts."""
    return severity_of(
        LIKELIHOOD[model.likelihood] + likelihood_delta, IMPACT[model.impact] + impact_delta
    )


class Rating(NamedTuple):
    """A finding's severity with the factors that raised or lowered it and what they assumed."""

    severity: Severity
    factors: tuple[str, ...]
    assumptions: tuple[str, ...]


class Step(NamedTuple):
    """One modifier that holds: the factor shown, and an assumption it rests on, if any.

    A step that does not move is a factor a reviewer needs to see all the same: a raise that
    would apply but for a declared control ("spend needs approval").
    """

    factor: str
    assumption: str | None = None
    moves: bool = True


# Scopes that change something: a permission holding only others (read) changes nothing.
ACTING_SCOPES = frozenset(
    {"write", "delete", "execute", "network", "send", "spend", "admin", "memory_write", "spawn"}
)
# Scopes that reach people or systems outside what the model names.
OUTWARD = frozenset({"send", "network", "spend"})
# Audiences of people inside the organisation.
INSIDERS = frozenset({"employees", "operators", "developers"})
# Data classifications a throwaway workspace may hold and still lower impact.
THROWAWAY_LEVELS = frozenset({Classification.public, Classification.internal})


class _Finding:
    """What a modifier looks at: the finding's target and the elements of its evidence."""

    def __init__(self, facts: SeverityFacts, target: str, elements: Sequence[str]) -> None:
        self.facts = facts
        self.target = target
        self.elements = elements
        index = facts.index
        # The agent the finding is about: the target itself, or a permission's holder.
        self.agent: str | None = None
        # The permission the finding is about, when its target is one.
        self.permission: PermissionEntry | None = index.permissions.get(target)
        if isinstance(index.model.components.get(target), Agent):
            self.agent = target
        elif self.permission is not None:
            self.agent = self.permission.agent
        self._components: list[ComponentBase] | None = None

    def components(self) -> list[ComponentBase]:
        """The target and evidence elements that are components, each once, target first."""
        if self._components is None:
            components = self.facts.index.model.components
            addresses = dict.fromkeys([self.target, *self.elements])
            self._components = [components[a] for a in addresses if a in components]
        return self._components

    def touched(self) -> str | None:
        """The component the finding is about: a component target, or a permission's target."""
        if self.permission is not None:
            return self.permission.target
        return self.target if self.target in self.facts.index.model.components else None


def _sensitive_data(f: _Finding) -> Step | None:
    hot = f.facts.hot_data
    found = sorted({d for e in f.elements for d in f.facts.index.data_of(e) if d in hot})
    if not found:
        return None
    return Step("impact +1: restricted or secret data in reach (" + ", ".join(found) + ")")


def _consequential_scopes(f: _Finding) -> Step | None:
    index = f.facts.index
    addresses = [e for e in f.elements if e in index.permissions]
    whole_agent = f.agent is not None and f.target == f.agent
    if whole_agent:
        assert f.agent is not None
        # What the agent can touch: a permission into a throwaway workspace leaves nothing.
        addresses += [
            a
            for a in index.permissions_of_agent.get(f.agent, ())
            if index.permissions[a].target not in index.ephemeral
        ]
    elif f.permission is not None:
        addresses.append(f.target)
    # Scope members hash and compare as their values: no `.value` per scope.
    scopes: set[str] = set()
    gated: set[str] = set()  # scopes of permissions whose every call a person approves
    for address in dict.fromkeys(addresses):
        entry = index.permissions[address]
        if whole_agent and f.facts.approved(entry) is not None:
            gated.update(entry.permission.scopes)
        else:
            scopes.update(entry.permission.scopes)
    held = sorted(c for c in CONSEQUENTIAL if c in scopes)
    waiting = sorted(c for c in CONSEQUENTIAL if c in gated and c not in scopes)
    if not held:
        if not waiting:
            return None
        return Step(
            "impact +0: consequential scopes (" + ", ".join(waiting) + ") need approval",
            moves=False,
        )
    note = "; " + ", ".join(waiting) + " needs approval" if waiting else ""
    return Step("impact +1: consequential scopes (" + ", ".join(held) + note + ")")


def _throwaway(f: _Finding) -> Step | None:
    index = f.facts.index
    touched = f.touched()
    if touched is None or touched not in index.ephemeral:
        return None
    data = [index.model.data[d] for d in index.data_of(touched) if d in index.model.data]
    if any(d.classification not in THROWAWAY_LEVELS or HOT_TAGS.intersection(d.tags) for d in data):
        return None
    held = "only internal data" if data else "no data"
    box = index.ephemeral[touched]
    return Step(f"impact −1: `{touched}` holds {held} in a throwaway workspace ({box})")


def _insiders_only(f: _Finding) -> Step | None:
    index = f.facts.index
    touched = f.touched()
    if touched is None:
        return None
    reached = [touched]
    if f.agent is not None and touched == f.agent:
        # An agent's harm reaches whatever its permissions touch, and outward scopes reach
        # people the model does not name.
        for address in index.permissions_of_agent.get(f.agent, ()):
            entry = index.permissions[address]
            if not OUTWARD.isdisjoint(entry.permission.scopes):
                return None
            # What it changes must have readers the model names, or they are unknown.
            if not ACTING_SCOPES.isdisjoint(entry.permission.scopes):
                if not f.facts.readers([entry.target]):
                    return None
            reached.append(entry.target)
    components = index.model.components
    for cid in reached:
        exposure = components[cid].exposure
        if index.trust[cid] < Trust.internal or exposure is Exposure.internet:
            return None
    readers = f.facts.readers(reached)
    if not readers:
        return None
    for uid in readers:
        user = components[uid]
        assert isinstance(user, User)
        if user.audience is None or user.audience.value not in INSIDERS:
            return None
    named = ", ".join(readers)
    return Step(
        f"impact −1: only people inside read what reaches `{touched}` ({named})",
        f"{touched}: the users the model names ({named}) are all who read what it changes",
    )


def _autonomous(f: _Finding) -> Step | None:
    if f.agent is None:
        return None
    agent = f.facts.index.model.components[f.agent]
    assert isinstance(agent, Agent)
    autonomy = agent.autonomy or agent.assumed("autonomy")
    if str(getattr(autonomy, "value", autonomy)) != "autonomous":
        return None
    assumed = f"{f.agent}: `autonomy` is unset; assumed `autonomous`"
    if f.permission is not None and f.facts.approved(f.permission) is not None:
        # A person approves each call: the agent's autonomy does not reach it.
        return Step(
            f"likelihood +0: agent `{f.agent}` acts autonomously, but a person approves "
            f"each call through `{f.permission.address}`",
            moves=False,
        )
    return Step(
        f"likelihood +1: agent `{f.agent}` acts autonomously",
        assumed if agent.autonomy is None else None,
    )


def _declared_autonomy(f: _Finding) -> Autonomy | None:
    if f.agent is None:
        return None
    agent = f.facts.index.model.components[f.agent]
    assert isinstance(agent, Agent)
    return agent.autonomy


def _suggest_only(f: _Finding) -> Step | None:
    if _declared_autonomy(f) is not Autonomy.suggest:
        return None
    return Step(f"likelihood −1: agent `{f.agent}` only suggests; a person carries it out")


def _supervised(f: _Finding) -> Step | None:
    autonomy = _declared_autonomy(f)
    if autonomy is Autonomy.suggest:
        return Step(f"likelihood −1: agent `{f.agent}` only suggests; a person carries it out")
    if autonomy is Autonomy.supervised:
        return Step(f"likelihood −1: agent `{f.agent}` is supervised: a person watches or approves")
    return None


def _delegated_credential(f: _Finding) -> Step | None:
    if f.permission is None:
        return None
    permission = f.permission.permission
    if permission.credential is not Credential.user_delegated:
        return None
    scoped = f.facts.index.controls_on(f.target).implemented & SCOPING
    if not scoped:
        return None
    return Step(
        "likelihood −1: calls use the user's own delegated credential ("
        + ", ".join(sorted(scoped))
        + ")"
    )


def _contained(f: _Finding) -> Step | None:
    if f.agent is None:
        return None
    facts = f.facts
    if f.permission is not None:
        where = facts.sandboxed(f.permission)
        if where is None:
            return None
        reason = f"`{f.permission.target}` runs in a sandbox ({where})"
    elif f.target == f.agent:
        loose = facts.uncontained(f.agent)
        if loose is None or loose:
            return None
        reason = f"everything `{f.agent}` can change is sandboxed, approved or reviewed"
    else:
        return None
    if facts.secrets_near(f.agent):
        return None
    return Step(
        f"likelihood −1: contained: {reason}, no secrets in reach",
        f"{f.agent}: no secret or restricted data is in reach beyond what the model declares",
    )


def _internet_exposed(f: _Finding) -> Step | None:
    if any(c.exposure is not None and c.exposure.value == "internet" for c in f.components()):
        return Step("likelihood +1: reachable from the internet")
    return None


def _public_audience(f: _Finding) -> Step | None:
    for c in f.components():
        if isinstance(c, User) and c.audience is not None and c.audience.value == "public":
            return Step("likelihood +1: anonymous public users in the path")
    return None


class ModifierRule(NamedTuple):
    """A modifier: the axis it moves one step, which way, when it holds, and what it is."""

    axis: Axis
    step: Literal[1, -1]
    holds: Callable[[_Finding], Step | None]
    summary: str

    @property
    def moves(self) -> str:
        """The axis and direction, e.g. ``impact +1``."""
        return f"{self.axis} {'+1' if self.step > 0 else '−1'}"


# In the order their factors are listed on a finding: impact, then likelihood; raises first.
MODIFIERS: Mapping[Modifier, ModifierRule] = MappingProxyType(
    {
        "sensitive_data": ModifierRule(
            "impact",
            1,
            _sensitive_data,
            "restricted data, or data tagged secret or credentials, is on the evidence path",
        ),
        "consequential_scopes": ModifierRule(
            "impact",
            1,
            _consequential_scopes,
            "the agent or permission holds spend, admin, delete or execute (for an agent, "
            "permissions into a component in an `ephemeral` boundary, and permissions whose "
            "calls a person approves with `human_approval`, do not count)",
        ),
        "throwaway": ModifierRule(
            "impact",
            -1,
            _throwaway,
            "the target, or the permission's target, sits in a boundary declared "
            "`ephemeral: true` and holds no data above `internal` and none tagged secret or "
            "credentials",
        ),
        "insiders_only": ModifierRule(
            "impact",
            -1,
            _insiders_only,
            "the target, or the permission's target, is at least `internal` trust, not exposed "
            "to the internet, and every user its flows reach declares an audience of "
            "`employees`, `operators` or `developers` (for an agent: also every permission's "
            "target, none with send, network or spend, and each it can change has a user "
            "reading it)",
        ),
        "autonomous": ModifierRule(
            "likelihood",
            1,
            _autonomous,
            "the agent acts autonomously (an unset `autonomy` is assumed autonomous); not for "
            "a permission whose calls a person approves with `human_approval`",
        ),
        "suggest_only": ModifierRule(
            "likelihood",
            -1,
            _suggest_only,
            "the agent declares `autonomy: suggest`: a person carries out what it proposes",
        ),
        "supervised": ModifierRule(
            "likelihood",
            -1,
            _supervised,
            "the agent declares `autonomy: suggest` or `supervised`: a person is in the loop",
        ),
        "delegated_credential": ModifierRule(
            "likelihood",
            -1,
            _delegated_credential,
            "the permission declares `credential: user_delegated` and `scoped_credentials` or "
            "`least_privilege`",
        ),
        "contained": ModifierRule(
            "likelihood",
            -1,
            _contained,
            "a permission's target is sandboxed (`sandbox` on the permission, the target or a "
            "boundary around it), or every permission of an agent that can change something is "
            "sandboxed, has `human_approval`, or only reads and writes with `human_review` and "
            "`rollback`; and nothing restricted, secret or credential is in the agent's reach",
        ),
        "internet_exposed": ModifierRule(
            "likelihood",
            1,
            _internet_exposed,
            "a component on the path declares `exposure: internet`",
        ),
        "public_audience": ModifierRule(
            "likelihood", 1, _public_audience, "a user on the path declares `audience: public`"
        ),
    }
)


class SeverityFacts:
    """Rates the findings of one model: the matrix moved by the modifiers each threat names."""

    def __init__(self, index: ModelIndex) -> None:
        self.index = index
        # Data assets that raise impact: restricted, or tagged secret or credentials.
        self.hot_data = frozenset(
            did
            for did, d in index.model.data.items()
            if d.classification is Classification.restricted or HOT_TAGS.intersection(d.tags)
        )
        self._readers: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._secrets: dict[str, bool] = {}
        self._approved: dict[str, str | None] = {}

    def readers(self, starts: Sequence[str]) -> tuple[str, ...]:
        """The users that what reaches ``starts`` flows on to, in model order."""
        key = tuple(starts)
        found = self._readers.get(key)
        if found is None:
            index = self.index
            seen = set(starts)
            queue = list(starts)
            while queue:
                node = queue.pop()
                for address in index.flows_out.get(node, ()):
                    nxt = index.flows[address].to
                    if nxt not in seen:
                        seen.add(nxt)
                        queue.append(nxt)
            components = index.model.components
            found = self._readers[key] = tuple(
                u for u in components if u in seen and isinstance(components[u], User)
            )
        return found

    def sandboxed(self, entry: PermissionEntry) -> str | None:
        """Where a permission's target is sandboxed: the permission, target or a boundary.

        The places containment sets count at (`on: [target, subject]`, docs/credit.md); a
        sandbox limited by `covers` must cover the target.
        """
        index = self.index
        for place in (entry.address, entry.target):
            for control, declared_on in index.credited_at(place):
                if (
                    control.id == SANDBOX
                    and control.implemented
                    and index.covers(control, (entry.target,))
                ):
                    return declared_on
        return None

    def uncontained(self, agent: str) -> list[str] | None:
        """The agent's permissions that can change something, neither sandboxed nor approved.

        None when the agent holds no such permission: nothing to contain.
        """
        index = self.index
        acting = [
            index.permissions[a]
            for a in index.permissions_of_agent.get(agent, ())
            if not ACTING_SCOPES.isdisjoint(index.permissions[a].permission.scopes)
        ]
        if not acting:
            return None
        return [
            e.address
            for e in acting
            if self.sandboxed(e) is None and self.approved(e) is None and not self.reviewed(e)
        ]

    def reviewed(self, entry: PermissionEntry) -> bool:
        """Whether a permission only reads and writes, each change reviewed and revertible.

        AG-001's `{human_review, rollback}` set, counted at the same places as an approval.
        """
        if not REVIEWABLE.issuperset(entry.permission.scopes):
            return False
        return REVIEW <= {control for control, _ in self._counted_for(entry)}

    def approved(self, entry: PermissionEntry) -> str | None:
        """Where `human_approval` that counts for a permission is written, or None.

        The places docs/credit.md credits an approval for the permission's own findings: the
        permission, its agent, the component it reaches (each with its boundaries) and the
        system; a control limited by `covers` must cover the component reached.
        """
        if entry.address not in self._approved:
            self._approved[entry.address] = next(
                (where for control, where in self._counted_for(entry) if control == APPROVAL), None
            )
        return self._approved[entry.address]

    def _counted_for(self, entry: PermissionEntry) -> Iterator[tuple[str, str]]:
        """(control id, where written) of each implemented control counting for a permission.

        At the places docs/credit.md credits for the permission's own findings: the permission,
        its agent, the component it reaches (each with its boundaries) and the system; a control
        limited by `covers` must cover the component reached.
        """
        index = self.index
        for place in (entry.address, entry.agent, entry.target, SYSTEM_ADDRESS):
            for control, declared_on in index.credited_at(place):
                if control.implemented and index.covers(control, (entry.target,)):
                    yield control.id, declared_on

    def secrets_near(self, agent: str) -> bool:
        """Whether restricted, secret or credential data, or a secret store, is in reach.

        In reach: what the agent and its permissions' targets hold or carry on their flows,
        and what sits in the boundary of a target the agent can execute on or reach out from.
        """
        found = self._secrets.get(agent)
        if found is None:
            index = self.index
            components = index.model.components
            near = {agent}
            for address in index.permissions_of_agent.get(agent, ()):
                entry = index.permissions[address]
                near.add(entry.target)
                if not {"execute", "network"}.isdisjoint(entry.permission.scopes):
                    near.update(index.components_in[components[entry.target].boundary])
            addresses = set(near)
            for cid in near:
                addresses.update(index.flows_out.get(cid, ()))
                addresses.update(index.flows_in.get(cid, ()))
            found = self._secrets[agent] = any(
                has(components[c].kind, Trait.secrets) for c in near
            ) or any(d in self.hot_data for a in addresses for d in index.data_of(a))
        return found

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
            held = rule.holds(finding)
            if held is None:
                continue
            if held.moves:
                steps[rule.axis] += rule.step
            factors.append(held.factor)
            if held.assumption is not None:
                assumptions.append(held.assumption)
        severity = rated(model, steps["likelihood"], steps["impact"])
        return Rating(severity, tuple(factors), tuple(assumptions))
