"""Typed, strict pydantic models for every element of the v1 model format."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal, Union, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError

from tmcode.model.enums import (
    ArtifactFormat,
    Audience,
    Autonomy,
    Check,
    Classification,
    Content,
    ControlStatus,
    Credential,
    DecisionArea,
    DecisionStatus,
    Exposure,
    FlowKind,
    Hosting,
    Identity,
    Interprets,
    Lifecycle,
    LoadedAs,
    McpAuth,
    MemoryScope,
    Origin,
    PromptContent,
    Renders,
    Scope,
    Source,
    Tenancy,
    Transport,
    Trust,
    Users,
    WritesTo,
)
from tmcode.model.address import flow_address
from tmcode.model.traits import BOX, CYLINDER, Glyph, Trait

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Text = Annotated[str, StringConstraints(min_length=1)]

# Hex digest length of each algorithm a `hash:` may name (the AI-BOM formats know them all).
DIGEST_LENGTHS = {
    "sha256": 64,
    "sha384": 96,
    "sha512": 128,
    "sha3-256": 64,
    "sha3-384": 96,
    "sha3-512": 128,
    "blake2b-256": 64,
    "blake2b-512": 128,
}
DIGEST_PATTERN = r"^(" + "|".join(DIGEST_LENGTHS) + r"):[0-9a-f]+$"
LICENSE_PATTERN = r"^[A-Za-z0-9(][A-Za-z0-9.+:() -]*$"


def _digest_length(value: str) -> str:
    """Refuse a digest whose length does not fit its algorithm."""
    algorithm, _, digest = value.partition(":")
    expected = DIGEST_LENGTHS[algorithm]
    if len(digest) != expected:
        raise PydanticCustomError(
            "digest_length",
            "a {algorithm} digest has {expected} hex digits, not {got}",
            {"algorithm": algorithm, "expected": expected, "got": len(digest)},
        )
    return value


Digest = Annotated[str, StringConstraints(pattern=DIGEST_PATTERN), AfterValidator(_digest_length)]
License = Annotated[str, StringConstraints(pattern=LICENSE_PATTERN)]
Address = Annotated[str, StringConstraints(pattern=r"^\S+$")]  # a URL or repository path


def attr(description: str, *, assumed: Any = None, default: Any = None) -> Any:
    """Declare an optional attribute; ``assumed`` is the value rules use while it is unset."""
    extra = {"x-tmcode-assumed": assumed} if assumed is not None else None
    return Field(default, description=description, json_schema_extra=extra)


class Strict(BaseModel):
    """Base of every model element: unknown keys are errors, names may be aliases."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, use_enum_values=False, defer_build=True
    )

    def assumed(self, name: str) -> Any:
        """Return the attribute's value, or its documented assumed value while it is unset."""
        value = getattr(self, name)
        if value is not None:
            return value
        extra = type(self).__pydantic_fields__[name].json_schema_extra
        return extra.get("x-tmcode-assumed") if isinstance(extra, dict) else None


class ControlRef(Strict):
    """A control declared on the system, a boundary, a component, a flow or a permission."""

    id: Id = Field(description="A control id from the catalog, e.g. `human_approval`.")
    status: ControlStatus = Field(
        ControlStatus.implemented,
        description="`planned` controls are reported but mitigate nothing.",
    )
    evidence: str | None = Field(None, description="A repository path or URL proving it.")
    covers: list[Id] | None = Field(
        None,
        min_length=1,
        description="Limits how far the control reaches: it counts only for findings about a "
        "component listed here by id, inside a boundary listed here, or of a kind listed here "
        "(ids win over kinds). Unset: everything the control's place reaches (docs/credit.md); "
        "an empty list is refused, since it would cover nothing.",
    )

    @model_validator(mode="before")
    @classmethod
    def _from_id(cls, value: Any) -> Any:
        return {"id": value} if isinstance(value, str) else value

    @model_serializer(mode="wrap")
    def _as_id(self, handler: Any) -> Any:
        if self.model_fields_set <= {"id"}:
            return self.id
        return handler(self)

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> JsonSchemaValue:
        as_object = handler(core_schema)
        return {
            "anyOf": [{"type": "string", "pattern": ID_PATTERN}, as_object],
            "description": "A control id, or `{id, status, evidence, covers}`.",
        }

    @property
    def implemented(self) -> bool:
        """True unless the control is only planned."""
        return self.status is ControlStatus.implemented


Controls = list[ControlRef]
Tags = list[Text]


class System(Strict):
    """The system the model describes."""

    name: Text = Field(description="Human-readable name of the system.")
    id: Id | None = Field(None, description="Stable id; defaults to none.")
    description: str | None = None
    owner: str | None = Field(None, description="Team or person accountable for the system.")
    lifecycle: Lifecycle | None = attr("Where the system is in its life.", assumed="production")
    controls: Controls = Field(default_factory=list, description="System-wide controls.")
    tags: Tags = Field(default_factory=list)
    version: str | None = Field(None, description="The system's release or version.")
    provider: str | None = Field(None, description="The organisation that makes the system.")
    intended_use: str | None = Field(
        None, description="What the system is for and where it may be used."
    )
    infrastructure: list[Text] = Field(
        default_factory=list,
        description="Software and hardware the system runs on, e.g. `Kubernetes 1.31 on AWS`.",
    )
    compliance: list[Text] = Field(
        default_factory=list,
        description="Standards and regulations the system claims to meet, e.g. `EU AI Act`.",
    )
    security_policy: Address | None = Field(
        None,
        description="Path or URL of the security policy, saying how to report a vulnerability.",
    )


class Boundary(Strict):
    """A trust boundary: components inside it share its trust unless they set their own."""

    trust: Trust = Field(description="untrusted < partner < internal < privileged.")
    name: str | None = None
    description: str | None = None
    parent: Id | None = Field(None, description="The boundary this one is nested in.")
    kind: str | None = Field(None, description="Free text: vpc, tenant, sandbox, vendor...")
    ephemeral: StrictBool | None = attr(
        "Whether everything inside is destroyed after each job or session (a per-task "
        "container or VM): nothing written there outlives it.",
        assumed=False,
    )
    controls: Controls = Field(
        default_factory=list,
        description="Controls of the boundary itself: they count for every component inside "
        "it, nested boundaries included (limit one with `covers`).",
    )


class DataAsset(Strict):
    """A kind of data the system handles."""

    classification: Classification = Field(
        description="public < internal < confidential < restricted."
    )
    tags: list[Id] = Field(
        default_factory=list,
        description="pii, phi, pci, secret, credentials, ip, financial, or your own.",
    )
    name: str | None = None
    description: str | None = None


class Permission(Strict):
    """What one agent may do with one tool, server, store or other component."""

    scopes: list[Scope] = Field(min_length=1, description="What the agent may do; non-empty.")
    credential: Credential | None = attr("Which credential the calls use.")
    controls: Controls = Field(default_factory=list)
    description: str | None = None


class ComponentBase(Strict):
    """Attributes every component kind has."""

    KIND_GROUP: ClassVar[str] = "component"
    # Every component class declares both, for all its kinds or kind by kind (tmcode.model.kinds).
    TRAITS: ClassVar[frozenset[Trait] | dict[str, frozenset[Trait]]]
    GLYPH: ClassVar[Glyph | dict[str, Glyph]]

    kind: str
    boundary: Id = Field(description="The trust boundary the component sits in.")
    name: str | None = None
    description: str | None = None
    owner: str | None = None
    tags: Tags = Field(default_factory=list)
    trust: Trust | None = attr("Overrides the trust of the component's boundary.")
    controls: Controls = Field(default_factory=list)
    source: Source | None = attr("Who made it.", assumed="first_party")
    version: str | None = None
    exposure: Exposure | None = attr("Who can reach it over the network.", assumed="internal")
    code: str | list[str] | None = Field(
        None, description="Path or paths in the repository that implement it."
    )

    @model_validator(mode="after")
    def _kind_is_always_set(self) -> ComponentBase:
        # A defaulted kind must still be written out, or the dump would not load back.
        self.__pydantic_fields_set__.add("kind")
        return self


class User(ComponentBase):
    """A person or group of people using the system."""

    TRAITS = frozenset({Trait.human, Trait.no_permission})
    GLYPH = Glyph("ellipse", ('(["', '"])'))

    kind: Literal["user"] = "user"
    audience: Audience | None = attr("Who the users are.", assumed="public")
    authenticated: StrictBool | None = attr("Whether users sign in.", assumed=False)
    entitled_to: list[Id] = Field(
        default_factory=list,
        description="Data asset ids these users may see: each user their own records, or "
        "their own tenant's share. Answers carrying only this data to them are not disclosure.",
    )
    writes_to: WritesTo | None = attr(
        "Who reads back what these users write: `own_tenant` when stores keep it to the "
        "writer's own tenant, so it is not outsider content (counted only while each store "
        "they write into declares `tenant_isolation`).",
        assumed="shared",
    )


class UI(ComponentBase):
    """A user interface that shows model output."""

    TRAITS = frozenset({Trait.ui, Trait.no_permission})
    GLYPH = Glyph("tab")

    kind: Literal["ui"] = "ui"
    renders: list[Renders] | None = attr("What it renders.", assumed=["markdown"])


class ExternalContent(ComponentBase):
    """Content written outside the system: web pages, mail, tickets, documents."""

    TRAITS = frozenset({Trait.outside_content, Trait.outsider, Trait.no_permission})
    GLYPH = Glyph("note", ('>"', '"]'))

    kind: Literal["external_content"] = "external_content"
    content: Content | None = attr("What kind of content it is.", assumed="other")


class ExternalService(ComponentBase):
    """A third-party API or SaaS."""

    TRAITS = frozenset()
    GLYPH = Glyph("component")

    kind: Literal["external_service"] = "external_service"


class RemoteAgent(ComponentBase):
    """Another organisation's agent, reached by an agent protocol."""

    TRAITS = frozenset({Trait.outsider, Trait.ai})
    GLYPH = Glyph("doubleoctagon", ('{{"', '"}}'))

    kind: Literal["remote_agent"] = "remote_agent"


class Supplied(ComponentBase):
    """A model or dataset as an AI bill of materials lists it: supplier, licence, exact file."""

    provider: str | None = Field(None, description="The organisation that supplies it.")
    license: License | None = Field(
        None,
        description="An SPDX licence expression, e.g. `Apache-2.0`, or "
        "`LicenseRef-<name>` for other terms.",
    )
    hash: Digest | None = Field(
        None,
        description="Digest of the exact file in use: `sha256:<hex>` (or sha384, sha512, "
        "sha3-256, sha3-384, sha3-512, blake2b-256, blake2b-512).",
    )
    url: Address | None = Field(
        None, description="Where it is published: a model card, dataset page or download."
    )
    released: dt.date | None = Field(None, description="When this version was released.")


class SystemPrompt(Strict):
    """What a system prompt holds."""

    contains: list[PromptContent] = Field(default_factory=list)


class LLM(Supplied):
    """A large language model."""

    TRAITS = frozenset({Trait.model, Trait.generates, Trait.ai_asset, Trait.ai})
    GLYPH = Glyph("hexagon", ('{{"', '"}}'))

    kind: Literal["llm"] = "llm"
    hosting: Hosting | None = attr("Where it runs.", assumed="vendor_api")
    model: str | None = Field(None, description="The model name or version.")
    system_prompt: SystemPrompt | None = None
    trained_on: list[Id] = Field(default_factory=list, description="Dataset ids.")
    artifact: Id | None = Field(None, description="The model_artifact it loads.")
    returns_logprobs: StrictBool | None = attr("Whether it returns logprobs.", assumed=False)
    proprietary: StrictBool | None = attr("Whether its weights are an asset.", assumed=False)
    training: str | None = Field(None, description="How its weights were produced.")


class Agent(ComponentBase):
    """An agent: an LLM driving tools in a loop."""

    TRAITS = frozenset({Trait.generates, Trait.ai_asset, Trait.ai})
    GLYPH = Glyph("octagon", ('[["', '"]]'))

    kind: Literal["agent"] = "agent"
    model: Id = Field(description="The llm component the agent uses.")
    autonomy: Autonomy | None = attr("How much it acts alone.", assumed="autonomous")
    users: Users | None = attr("Whether it serves one user or many.", assumed="multiple")
    identity: Identity | None = attr("Whose identity it acts under.", assumed="shared")
    tools: dict[Id, Permission] = Field(
        default_factory=dict, description="Component id -> permission."
    )


class Tool(ComponentBase):
    """A tool an agent can call."""

    TRAITS = frozenset({Trait.callable_tool, Trait.ai})
    GLYPH = Glyph("cds", ('[/"', '"/]'))

    kind: Literal["tool"] = "tool"
    interprets: list[Interprets] = Field(
        default_factory=list, description="What it interprets from its arguments."
    )
    open_ended: StrictBool | None = attr("Raw shell, raw SQL, arbitrary HTTP.", assumed=False)


class McpServer(ComponentBase):
    """A Model Context Protocol server."""

    TRAITS = frozenset({Trait.callable_tool, Trait.ai_asset, Trait.ai})
    GLYPH = Glyph("component", ('[/"', '"/]'))

    kind: Literal["mcp_server"] = "mcp_server"
    interprets: list[Interprets] = Field(
        default_factory=list,
        description="What it interprets from its arguments or from what flows into it.",
    )
    transport: Transport | None = attr("How clients reach it.", assumed="http")
    auth: McpAuth | None = attr("How it authenticates clients.", assumed="none")
    token_passthrough: StrictBool | None = attr(
        "Whether it forwards the client's token downstream.", assumed=False
    )
    tools: list[str] = Field(default_factory=list, description="Tool names, informational.")


class Guardrail(ComponentBase):
    """A filter on prompts or outputs."""

    TRAITS = frozenset({Trait.ai})
    GLYPH = Glyph("invhouse")

    kind: Literal["guardrail"] = "guardrail"
    checks: list[Check] = Field(default_factory=list)


class MlModel(Supplied):
    """A predictive (non-generative) model."""

    TRAITS = frozenset({Trait.model, Trait.ai_asset, Trait.ai})
    GLYPH = Glyph("hexagon")

    kind: Literal["ml_model"] = "ml_model"
    decision: DecisionArea | None = attr("What it decides about.", assumed="other")
    training: str | None = Field(None, description="How its weights were produced.")


class Store(ComponentBase):
    """A store of data: vector store, datastore, secret store, log sink or model registry."""

    TRAITS = {
        kind: frozenset({Trait.store, Trait.holds_data}) for kind in ("datastore", "log_sink")
    } | {
        "secret_store": frozenset({Trait.store, Trait.holds_data, Trait.secrets}),
        "vector_store": frozenset({Trait.store, Trait.holds_data, Trait.ai}),
        "model_registry": frozenset({Trait.store, Trait.holds_data, Trait.ai_asset, Trait.ai}),
    }
    GLYPH = CYLINDER

    kind: Literal["vector_store", "datastore", "secret_store", "log_sink", "model_registry"]
    stores: list[Id] = Field(default_factory=list, description="Data asset ids.")
    tenancy: Tenancy | None = attr("Whether it serves one tenant or many.", assumed="single")
    loaded_as: list[LoadedAs] = Field(
        default_factory=list,
        description="Files in it that something later runs or obeys unreviewed: agent "
        "instructions, client configs, CI workflows, build scripts.",
    )


class Memory(ComponentBase):
    """An agent's memory."""

    TRAITS = frozenset({Trait.store, Trait.ai})
    GLYPH = CYLINDER

    kind: Literal["memory"] = "memory"
    stores: list[Id] = Field(default_factory=list, description="Data asset ids.")
    persistent: StrictBool | None = attr("Whether it outlives a session.", assumed=True)
    scope: MemoryScope | None = attr("Whose memory it is.", assumed="shared")


class Retriever(ComponentBase):
    """A retriever that fetches context for a model."""

    TRAITS = frozenset({Trait.ai})
    GLYPH = Glyph("parallelogram", ('[\\"', '"\\]'))

    kind: Literal["retriever"] = "retriever"


class Dataset(Supplied):
    """A dataset used for training or evaluation."""

    TRAITS = frozenset({Trait.store, Trait.dataset, Trait.ai_asset, Trait.ai})
    GLYPH = Glyph("folder", ('[("', '")]'))

    kind: Literal["dataset"] = "dataset"
    origin: Origin | None = attr("Where it comes from.", assumed="public")
    contains: list[Id] = Field(default_factory=list, description="Data asset ids.")
    provenance: str | None = Field(
        None, description="Where its records come from and how they were collected or changed."
    )
    size: str | None = Field(None, description="How big it is: records, tokens or bytes.")


class ModelArtifact(Supplied):
    """Model weights as a file."""

    TRAITS = frozenset({Trait.model, Trait.ai_asset, Trait.ai})
    GLYPH = Glyph("box3d", ('[["', '"]]'))

    kind: Literal["model_artifact"] = "model_artifact"
    format: ArtifactFormat | None = attr("How the weights are serialised.", assumed="other")


class PlainComponent(ComponentBase):
    """A training pipeline or an ordinary service."""

    TRAITS = {"training_pipeline": frozenset({Trait.ai}), "service": frozenset()}
    GLYPH = {"training_pipeline": Glyph("rarrow"), "service": BOX}

    kind: Literal["training_pipeline", "service"]
    interprets: list[Interprets] = Field(
        default_factory=list,
        description="What it interprets from what flows into it: code it runs, URLs it opens.",
    )


Component = Annotated[
    Union[
        User,
        UI,
        ExternalContent,
        ExternalService,
        RemoteAgent,
        LLM,
        Agent,
        Tool,
        McpServer,
        Guardrail,
        MlModel,
        Store,
        Memory,
        Retriever,
        Dataset,
        ModelArtifact,
        PlainComponent,
    ],
    Field(discriminator="kind"),
]

COMPONENT_CLASSES: tuple[type[ComponentBase], ...] = get_args(get_args(Component)[0])


def kinds_of(cls: type[ComponentBase]) -> tuple[str, ...]:
    """Return the ``kind`` values a component class accepts."""
    annotation = cls.model_fields["kind"].annotation
    return tuple(getattr(annotation, "__args__", ()))


KIND_CLASSES: dict[str, type[ComponentBase]] = {
    kind: cls for cls in COMPONENT_CLASSES for kind in kinds_of(cls)
}


class Flow(Strict):
    """A data flow from one component to another."""

    from_: Id = Field(alias="from", description="The component the data leaves.")
    to: Id = Field(description="The component the data reaches.")
    kind: FlowKind = Field(FlowKind.api, description="What the flow carries.")
    data: list[Id] = Field(default_factory=list, description="Data asset ids.")
    protocol: str | None = None
    authenticated: StrictBool | None = attr("Whether the sender is authenticated.", assumed=False)
    encrypted: StrictBool | None = attr("Whether the channel is encrypted.", assumed=False)
    controls: Controls = Field(default_factory=list)
    description: str | None = None
    id: Id | None = Field(None, description="Needed where two flows share from and to.")

    @property
    def address(self) -> str:
        """The flow's address: its id, or ``<from>-><to>``."""
        return self.id or flow_address(self.from_, self.to)


class RiskDecision(Strict):
    """A decision about a finding: accepted until a date, or a false positive."""

    threat: Text = Field(
        description="A catalog id, or an edition-qualified reference such as "
        "`owasp-llm:LLM10:2025` that matches every finding on the target carrying it."
    )
    target: Text = Field(description="The address of the finding's target.")
    status: DecisionStatus
    reason: Text = Field(description="Why; required and non-empty.")
    owner: str | None = None
    expires: dt.date | None = Field(None, description="Required for `accepted`.")
    ticket: str | None = None

    @model_validator(mode="after")
    def _accepted_expires(self) -> RiskDecision:
        if self.status is DecisionStatus.accepted and self.expires is None:
            raise ValueError("an accepted decision needs `expires` (a date such as 2027-06-30)")
        return self


def _format_version(value: Any) -> Any:
    """Refuse versions that equal 1 only by Python's rules: `true` and `1.0` are not 1."""
    if isinstance(value, (bool, float)):
        raise PydanticCustomError("literal_error", "Input should be 1", {"expected": "1"})
    return value


class Model(Strict):
    """A whole tmcode model: the system, its boundaries, data, components, flows, decisions."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        title="tmcode model",
        json_schema_extra={"description": "An AI system's threat model, tmcode format v1."},
    )

    schema_: str | None = Field(None, alias="$schema", description="Optional JSON Schema link.")
    tmcode: Annotated[Literal[1], BeforeValidator(_format_version)] = Field(
        description="Format version: 1."
    )
    system: System
    boundaries: dict[Id, Boundary] = Field(description="Trust boundaries by id.")
    data: dict[Id, DataAsset] = Field(default_factory=dict, description="Data assets by id.")
    components: dict[Id, Component] = Field(description="Components by id.")
    flows: list[Flow] = Field(default_factory=list)
    decisions: list[RiskDecision] = Field(default_factory=list)

    def effective_trust(self, component_id: str) -> Trust:
        """Return a component's own trust, or else its boundary's."""
        component = self.components[component_id]
        return component.trust or self.boundaries[component.boundary].trust

    def boundary_chain(self, boundary_id: str) -> list[str]:
        """Return the boundary and its ancestors, innermost first."""
        chain: list[str] = []
        seen: set[str] = set()
        current: str | None = boundary_id
        while current is not None and current not in seen and current in self.boundaries:
            chain.append(current)
            seen.add(current)
            current = self.boundaries[current].parent
        return chain

    def permissions(self) -> list[tuple[str, str, Permission]]:
        """Return every (agent id, target id, permission) in declaration order."""
        return [
            (agent_id, target_id, permission)
            for agent_id, component in self.components.items()
            if isinstance(component, Agent)
            for target_id, permission in component.tools.items()
        ]
