"""The format of one threat file in the catalog."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

THREAT_ID_PATTERN = r"^[A-Z]{2,5}-[0-9]{3}$"
REFERENCE_PATTERN = (
    r"^(owasp-llm:LLM(0[1-9]|10):202[56]|owasp-mcp:MCP(0[1-9]|10):2025"
    r"|owasp-asi:ASI(0[1-9]|10):2026|owasp-agentic:T([1-9]|1[0-7])|cosai-mcp:MCP-T([1-9]|1[0-2])"
    r"|nist-aml:NISTAML\.[0-9]{2,3}|atlas:AML\.T[0-9]{4}(\.[0-9]{3})?|cwe:CWE-[0-9]+)$"
)
Reference = Annotated[str, StringConstraints(pattern=REFERENCE_PATTERN)]
Prose = Annotated[str, StringConstraints(min_length=20)]

Likelihood = Literal["low", "medium", "high"]
Impact = Literal["low", "medium", "high", "critical"]
Modifier = Literal[
    "sensitive_data",
    "consequential_scopes",
    "throwaway",
    "insiders_only",
    "internet_exposed",
    "autonomous",
    "suggest_only",
    "supervised",
    "delegated_credential",
    "contained",
    "public_audience",
]
TargetType = Literal["component", "permission", "flow", "system", "repository"]
# Where a set's controls are looked for (docs/credit.md): the finding's target, the component(s)
# it is about (`subject`: a permission's target component, a flow's two ends), what its output
# goes to (`receiver`: e.g. the UI that renders it), the evidence, the evidence other than the
# target (`path`), the system.
Place = Literal["target", "subject", "receiver", "evidence", "path", "system"]
_EVERYWHERE: list[Place] = ["target", "evidence", "system"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeverityModel(_Strict):
    """Default likelihood and impact, and the model facts that raise or lower them."""

    likelihood: Likelihood
    impact: Impact
    modifiers: list[Modifier] = Field(default_factory=list)


class ControlSet(_Strict):
    """Controls that together mitigate the threat (all of them), and where they count."""

    all: list[str] = Field(min_length=1)
    on: list[Place] = Field(default_factory=_EVERYWHERE.copy)
    when: dict[str, Any] | None = Field(
        None,
        description="A condition on the finding's target (the threat's condition language): "
        "the set blocks the harm only where it holds, and is not offered elsewhere.",
    )


class Docs(_Strict):
    """The fixed prose sections of a threat's documentation, in our own words."""

    what_it_detects: Prose
    why_it_matters: Prose
    example: Prose
    mitigations: Prose
    limitations: Prose


class Threat(_Strict):
    """One threat: where it applies, when, how bad, what mitigates it, and its references."""

    id: Annotated[str, StringConstraints(pattern=THREAT_ID_PATTERN)]
    title: Annotated[str, StringConstraints(min_length=5)]
    status: Literal["stable", "preview", "deprecated"] = "stable"
    since: str = "0.1.0"
    target: TargetType
    kinds: list[str] = Field(
        default_factory=list,
        description="Component kinds (component targets), target kinds (permission "
        "targets) or flow kinds (flow targets) the threat applies to; empty means all.",
    )
    when: dict[str, Any]
    message: Annotated[str, StringConstraints(min_length=5)]
    severity: SeverityModel
    mitigations: list[ControlSet] = Field(
        default_factory=list,
        description="Control sets that mitigate it; required except for repository (drift) "
        "threats, which are settled by changing the model or the config.",
    )
    references: list[Reference] = Field(min_length=1)
    maestro: list[str] = Field(default_factory=list)
    docs: Docs

    @model_validator(mode="after")
    def _mitigations_unless_drift(self) -> Threat:
        if not self.mitigations and self.target != "repository":
            raise ValueError("`mitigations` needs at least one control set")
        return self

    @field_validator("references")
    @classmethod
    def _unique_references(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a reference is listed twice")
        return value

    @property
    def area(self) -> str:
        """The id's prefix, which names the threat's area."""
        return self.id.split("-", 1)[0]
