"""The closed vocabularies of the model format, with their orders where they have one.

Every member is declared as ``name = "value", "what it means"``; the meanings reach the JSON
Schema as ``markdownEnumDescriptions`` (shown by editors) and the generated reference.
"""

from __future__ import annotations

from enum import Enum
from functools import cache

from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


@cache
def _ranks(cls: type[Enum]) -> dict[str, int]:
    return {member.value: index for index, member in enumerate(cls)}


class _Described(str, Enum):
    """A string enum whose members may each carry a one-line meaning, shown in the schema."""

    description: str

    def __new__(cls, value: str, description: str = "") -> _Described:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        handler.resolve_ref_schema(schema)["markdownEnumDescriptions"] = [
            member.description for member in cls
        ]
        return schema


class _Ordered(_Described):
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

    untrusted = (
        "untrusted",
        "Anyone can write to it, attackers included: the internet, inbound mail, public issues. Taint starts here.",
    )
    partner = "partner", "Another organisation you have an agreement with but do not control."
    internal = "internal", "Your own systems and staff."
    privileged = (
        "privileged",
        "Administration, secrets and control planes: whoever holds it controls the rest.",
    )


class Classification(_Ordered):
    """How sensitive a data asset is, least first."""

    public = "public", "Meant to be published; disclosure does no harm."
    internal = "internal", "For staff only; disclosure embarrasses more than it harms."
    confidential = (
        "confidential",
        "Disclosure harms people or the business: customer records, source code, contracts.",
    )
    restricted = (
        "restricted",
        "Disclosure does severe or lasting harm: credentials, keys, health or payment data.",
    )


class Lifecycle(_Described):
    """Where a system is in its life."""

    design = "design", "Planned on paper; nothing runs yet."
    development = "development", "Being built; runs only in development and test environments."
    production = "production", "Serves real users with real data."
    retired = (
        "retired",
        "Switched off for users; whatever still runs or holds data should be removed.",
    )


class Source(_Described):
    """Who made a component."""

    first_party = "first_party", "Built by your own organisation."
    vendor = "vendor", "Bought from, or run by, a commercial supplier under contract."
    open_source = "open_source", "An open-source project with maintainers and releases."
    community = (
        "community",
        "Published by individuals with no organisation behind it: plugins, extensions, example servers.",
    )
    public_hub = (
        "public_hub",
        "Downloaded from a public hub where anyone can upload, such as a model or dataset hub.",
    )


class Exposure(_Described):
    """Who can reach a component over the network."""

    localhost = "localhost", "Only processes on the same machine."
    internal = "internal", "Only from inside your private network."
    internet = "internet", "Anyone on the internet."


class Audience(_Described):
    """Who a user component stands for."""

    public = "public", "Anyone: anonymous visitors and the general public."
    customers = "customers", "Your customers, each with their own account and data."
    employees = "employees", "Staff of your organisation."
    operators = "operators", "People who run or administer the system."
    developers = (
        "developers",
        "People who build the system and use it from their development tools.",
    )


class Renders(_Described):
    """What a user interface renders from model output."""

    text = "text", "Plain text, shown as written."
    markdown = "markdown", "Markdown, formatted for display."
    html = "html", "HTML, interpreted by the browser."
    images = "images", "Images, fetched from the URLs the output names."
    links = "links", "Clickable links."


class Content(_Described):
    """What kind of outside content a component is."""

    web = "web", "Web pages."
    email = "email", "Email messages."
    documents = "documents", "Uploaded or shared documents and files."
    tickets = "tickets", "Issues, tickets and their comments."
    code = "code", "Source code, repositories and pull requests."
    chat = "chat", "Chat messages from people outside the system."
    feeds = "feeds", "Feeds and API data from third parties."
    other = "other", "Any other content written outside the system."


class Hosting(_Described):
    """Where an LLM runs."""

    vendor_api = (
        "vendor_api",
        "Called through a vendor's API: prompts and context leave your infrastructure.",
    )
    self_hosted = "self_hosted", "Runs on infrastructure you operate."


class PromptContent(_Described):
    """What a system prompt may contain that should not be there."""

    secrets = "secrets", "Secrets such as keys or signing material."
    credentials = "credentials", "Passwords, tokens or API keys."
    authz_rules = "authz_rules", "Access-control rules the model is trusted to enforce."
    internal_endpoints = "internal_endpoints", "Internal hostnames, URLs or network details."
    business_rules = (
        "business_rules",
        "Business rules, prices or limits the model is trusted to apply.",
    )
    pii = "pii", "Personal data about identifiable people."


class Autonomy(_Described):
    """How much an agent acts without a person."""

    suggest = "suggest", "Proposes actions; a person carries them out."
    supervised = "supervised", "Acts itself, with a person watching or approving some actions."
    autonomous = "autonomous", "Acts on its own with no person in the loop."


class Users(_Described):
    """Whether an agent serves one user or many."""

    single = "single", "One user, such as a personal assistant or a developer's coding agent."
    multiple = (
        "multiple",
        "Many users share the agent, so one user's input can affect another's session.",
    )


class Identity(_Described):
    """Whose identity an agent acts under."""

    user_delegated = (
        "user_delegated",
        "The identity of the user it acts for, with that user's rights.",
    )
    service_account = (
        "service_account",
        "Its own service identity, with rights granted to the agent.",
    )
    shared = "shared", "One identity shared by every user, or with other services."


class Interprets(_Described):
    """What a tool, MCP server or service interprets from its arguments or its inputs."""

    shell = "shell", "Shell commands."
    sql = "sql", "SQL statements."
    code = "code", "Code it runs or evaluates."
    url = "url", "URLs it fetches."
    path = "path", "File-system paths it opens."
    html = "html", "HTML it renders or passes to a browser."


class LoadedAs(_Described):
    """What something later runs or obeys from a store's files, with no one reviewing them."""

    instructions = (
        "instructions",
        "Instruction or rules files agents read at the start of a session: AGENTS.md, "
        "CLAUDE.md, .cursor/rules, copilot-instructions.md.",
    )
    client_config = (
        "client_config",
        "Agent or MCP client configuration loaded on start (.cursor/mcp.json, "
        ".vscode/settings.json): it can start servers or approve tools.",
    )
    ci_workflow = (
        "ci_workflow",
        "CI workflow definitions that run on the next push, with the repository's secrets.",
    )
    build_script = (
        "build_script",
        "Scripts tools run on their own: git hooks, package install scripts, build files.",
    )


class Transport(_Described):
    """How an MCP client reaches the server."""

    stdio = "stdio", "Standard input and output: the client starts the server as a local process."
    http = "http", "HTTP, over the network."


class McpAuth(_Described):
    """How an MCP server authenticates its clients."""

    none = "none", "It does not: any client that reaches it is served."
    static_token = "static_token", "A fixed shared token or API key."
    oauth = "oauth", "OAuth access tokens issued to each client."
    mtls = "mtls", "Mutual TLS with client certificates."


class Check(_Described):
    """What a guardrail checks."""

    prompt_injection = "prompt_injection", "Instructions hidden in content to take over the model."
    jailbreak = "jailbreak", "Attempts by the user to get around the model's rules."
    pii = "pii", "Personal data."
    secrets = "secrets", "Secrets and credentials."
    toxicity = "toxicity", "Abusive, hateful or harmful language."
    topic = "topic", "Requests or answers outside the allowed topics."


class DecisionArea(_Described):
    """What a predictive model decides about."""

    security = "security", "Security decisions: fraud, malware, intrusion or abuse detection."
    safety = "safety", "Decisions that affect people's physical safety."
    financial = "financial", "Money: credit, pricing, payments, insurance."
    content = "content", "Content moderation and ranking."
    other = "other", "Anything else."


class Tenancy(_Described):
    """Whether a store serves one tenant or many."""

    single = "single", "One tenant: all of its data belongs to the same customer or team."
    multi = "multi", "Many tenants share it, kept apart only by the system's own checks."


class WritesTo(_Described):
    """Who reads back what a group of users writes into the system."""

    own_tenant = (
        "own_tenant",
        "Only their own tenant (their own account, team or organisation): stores keep tenants "
        "apart, so it is not outsider content for anyone else.",
    )
    shared = "shared", "Other users or tenants can read it: it is outsider content."


class MemoryScope(_Described):
    """Whose memory a memory component keeps."""

    session = "session", "One conversation's; gone when the session ends."
    user = "user", "One user's, kept across that user's sessions."
    shared = "shared", "Everyone's: what one user writes, others may read."


class Origin(_Described):
    """Where a dataset comes from."""

    internal = "internal", "Collected and curated by your organisation."
    public = "public", "A published public dataset."
    scraped = "scraped", "Scraped from the web or other sources anyone can edit."
    vendor = "vendor", "Bought from, or supplied by, a third party."
    user_feedback = (
        "user_feedback",
        "Collected from users of the system: ratings, corrections, conversations.",
    )
    synthetic = "synthetic", "Generated by a model or a program."


class ArtifactFormat(_Described):
    """How model weights are serialised."""

    safetensors = "safetensors", "safetensors: tensors only, no code runs on load."
    gguf = "gguf", "GGUF: tensors and metadata, no code runs on load."
    onnx = "onnx", "ONNX: a computation graph of standard operators."
    pickle = "pickle", "Python pickle: loading can run arbitrary code."
    pytorch = "pytorch", "PyTorch checkpoint (.pt, .bin): pickle inside, loading can run code."
    joblib = "joblib", "joblib: pickle inside, loading can run code."
    keras = "keras", "Keras or HDF5: can hold layers whose code runs on load."
    other = "other", "Any other format."


class Scope(_Described):
    """What an agent may do with a tool."""

    read = "read", "Read data."
    write = "write", "Create or change data."
    delete = "delete", "Delete data."
    execute = "execute", "Run code or shell commands."
    network = "network", "Make arbitrary network requests (egress)."
    send = "send", "Send messages to people or systems: email, chat, comments, pull requests."
    spend = "spend", "Spend money or paid resources."
    admin = "admin", "Change permissions or configuration."
    memory_write = "memory_write", "Write to memory that later sessions read."
    spawn = "spawn", "Start other agents."


class Credential(_Described):
    """Which credential a permission uses."""

    user_delegated = (
        "user_delegated",
        "The user's own delegated credential, limited to that user's rights.",
    )
    service_account = (
        "service_account",
        "A service account's credential, with the agent's own rights.",
    )
    api_key = "api_key", "A static API key."
    none = "none", "No credential: the target accepts calls unauthenticated."


class FlowKind(_Described):
    """What a data flow carries."""

    prompt = "prompt", "A prompt or user message to a model or agent."
    context = "context", "Context added to a model's input: documents, history, instructions."
    retrieval = "retrieval", "Results fetched from a store or retriever."
    ingest = (
        "ingest",
        "Content written into a store, such as documents indexed into a vector store.",
    )
    tool_call = "tool_call", "An agent calling a tool."
    tool_result = "tool_result", "What a tool returns to the agent."
    memory_read = "memory_read", "Reading from memory."
    memory_write = "memory_write", "Writing to memory."
    agent_message = "agent_message", "A message between agents."
    output = "output", "Model or agent output to a user interface or another consumer."
    training_data = "training_data", "Data used to train or fine-tune a model."
    artifact = "artifact", "A model artifact moving between registry, pipeline and runtime."
    deploy = "deploy", "Deploying a model or component."
    log = "log", "Logs and telemetry."
    api = "api", "An ordinary API call."
    file = "file", "A file transfer."


class ControlStatus(_Described):
    """Whether a declared control is in place."""

    implemented = "implemented", "In place: it mitigates findings."
    planned = "planned", "Not yet in place: reported, but mitigates nothing."


class DecisionStatus(_Described):
    """What a risk decision says about a finding."""

    accepted = "accepted", "The risk is accepted until the decision's `expires` date."
    false_positive = "false_positive", "The finding does not apply to this system."
