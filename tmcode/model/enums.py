"""The closed vocabularies of the model format, with their orders where they have one."""

from __future__ import annotations

from enum import Enum
from functools import cache


@cache
def _ranks(cls: type[Enum]) -> dict[str, int]:
    return {member.value: index for index, member in enumerate(cls)}


class _Ordered(str, Enum):
    """A string enum whose members compare by their declared order."""

    @property
    def rank(self) -> int:
        """Position in declaration order, lowest first."""
        return _ranks(type(self))[str.__str__(self)]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self.rank >= other.rank

    __hash__ = str.__hash__

    def __str__(self) -> str:
        return str(self.value)


class Trust(_Ordered):
    """How far a boundary or component is trusted, lowest first."""

    untrusted = "untrusted"
    partner = "partner"
    internal = "internal"
    privileged = "privileged"


class Classification(_Ordered):
    """How sensitive a data asset is, least first."""

    public = "public"
    internal = "internal"
    confidential = "confidential"
    restricted = "restricted"


class Lifecycle(str, Enum):
    """Where a system is in its life."""

    design = "design"
    development = "development"
    production = "production"
    retired = "retired"


class Source(str, Enum):
    """Who made a component."""

    first_party = "first_party"
    vendor = "vendor"
    open_source = "open_source"
    community = "community"
    public_hub = "public_hub"


class Exposure(str, Enum):
    """Who can reach a component over the network."""

    localhost = "localhost"
    internal = "internal"
    internet = "internet"


class Audience(str, Enum):
    """Who a user component stands for."""

    public = "public"
    customers = "customers"
    employees = "employees"
    operators = "operators"
    developers = "developers"


class Renders(str, Enum):
    """What a user interface renders from model output."""

    text = "text"
    markdown = "markdown"
    html = "html"
    images = "images"
    links = "links"


class Content(str, Enum):
    """What kind of outside content a component is."""

    web = "web"
    email = "email"
    documents = "documents"
    tickets = "tickets"
    code = "code"
    chat = "chat"
    feeds = "feeds"
    other = "other"


class Hosting(str, Enum):
    """Where an LLM runs."""

    vendor_api = "vendor_api"
    self_hosted = "self_hosted"


class PromptContent(str, Enum):
    """What a system prompt may contain that should not be there."""

    secrets = "secrets"
    credentials = "credentials"
    authz_rules = "authz_rules"
    internal_endpoints = "internal_endpoints"
    business_rules = "business_rules"
    pii = "pii"


class Autonomy(str, Enum):
    """How much an agent acts without a person."""

    suggest = "suggest"
    supervised = "supervised"
    autonomous = "autonomous"


class Users(str, Enum):
    """Whether an agent serves one user or many."""

    single = "single"
    multiple = "multiple"


class Identity(str, Enum):
    """Whose identity an agent acts under."""

    user_delegated = "user_delegated"
    service_account = "service_account"
    shared = "shared"


class Interprets(str, Enum):
    """What a tool interprets from its arguments."""

    shell = "shell"
    sql = "sql"
    code = "code"
    url = "url"
    path = "path"
    html = "html"


class Transport(str, Enum):
    """How an MCP client reaches the server."""

    stdio = "stdio"
    http = "http"


class McpAuth(str, Enum):
    """How an MCP server authenticates its clients."""

    none = "none"
    static_token = "static_token"
    oauth = "oauth"
    mtls = "mtls"


class Check(str, Enum):
    """What a guardrail checks."""

    prompt_injection = "prompt_injection"
    jailbreak = "jailbreak"
    pii = "pii"
    secrets = "secrets"
    toxicity = "toxicity"
    topic = "topic"


class DecisionArea(str, Enum):
    """What a predictive model decides about."""

    security = "security"
    safety = "safety"
    financial = "financial"
    content = "content"
    other = "other"


class Tenancy(str, Enum):
    """Whether a store serves one tenant or many."""

    single = "single"
    multi = "multi"


class MemoryScope(str, Enum):
    """Whose memory a memory component keeps."""

    session = "session"
    user = "user"
    shared = "shared"


class Origin(str, Enum):
    """Where a dataset comes from."""

    internal = "internal"
    public = "public"
    scraped = "scraped"
    vendor = "vendor"
    user_feedback = "user_feedback"
    synthetic = "synthetic"


class ArtifactFormat(str, Enum):
    """How model weights are serialised."""

    safetensors = "safetensors"
    gguf = "gguf"
    onnx = "onnx"
    pickle = "pickle"
    pytorch = "pytorch"
    joblib = "joblib"
    keras = "keras"
    other = "other"


class Scope(str, Enum):
    """What an agent may do with a tool."""

    read = "read"
    write = "write"
    delete = "delete"
    execute = "execute"
    network = "network"
    send = "send"
    spend = "spend"
    admin = "admin"
    memory_write = "memory_write"
    spawn = "spawn"


class Credential(str, Enum):
    """Which credential a permission uses."""

    user_delegated = "user_delegated"
    service_account = "service_account"
    api_key = "api_key"
    none = "none"


class FlowKind(str, Enum):
    """What a data flow carries."""

    prompt = "prompt"
    context = "context"
    retrieval = "retrieval"
    ingest = "ingest"
    tool_call = "tool_call"
    tool_result = "tool_result"
    memory_read = "memory_read"
    memory_write = "memory_write"
    agent_message = "agent_message"
    output = "output"
    training_data = "training_data"
    artifact = "artifact"
    deploy = "deploy"
    log = "log"
    api = "api"
    file = "file"


class ControlStatus(str, Enum):
    """Whether a declared control is in place."""

    implemented = "implemented"
    planned = "planned"


class DecisionStatus(str, Enum):
    """What a risk decision says about a finding."""

    accepted = "accepted"
    false_positive = "false_positive"
