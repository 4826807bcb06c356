"""What a repository's agent configuration says, as plain values with the place each was read."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a fact was written: a repository-relative file and a line."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True, slots=True)
class Secret:
    """A credential a config passes to a server: written inline, or taken from elsewhere."""

    name: str
    inline: bool  # the value itself is in the file
    origin: Origin


@dataclass(frozen=True, slots=True)
class ServerFact:
    """One MCP server a client config, a registry entry or an agent definition declares."""

    name: str
    client: str  # which tool reads the file: claude-code, vscode, cursor, gemini-cli, ...
    transport: str  # stdio, http, sse, streamable-http, ws or unknown
    origin: Origin
    command: str | None = None
    args: tuple[str, ...] = ()
    url: str | None = None
    package: str | None = None  # the package a launcher (npx, uvx, docker ...) fetches
    pinned: bool | None = None  # None: nothing is fetched, so nothing to pin
    secrets: tuple[Secret, ...] = ()
    auth_header: bool = False  # an Authorization (or similar) header is sent
    trusted: bool = False  # the client skips confirmations for its tools (gemini `trust`)
    allowed_tools: tuple[str, ...] | None = None
    excluded_tools: tuple[str, ...] = ()
    approval: str | None = None  # per-server approval policy where the config states one


@dataclass(frozen=True, slots=True)
class AgentFact:
    """An agent a declarative definition, a client config or a CI workflow declares."""

    name: str
    framework: str  # claude-code, vscode, microsoft-agent-framework, google-adk, crewai, ...
    origin: Origin
    model: str | None = None
    servers: tuple[str, ...] = ()  # names of ServerFacts it uses
    tools: tuple[str, ...] = ()  # other tools named in the definition
    sub_agents: tuple[str, ...] = ()
    approval: str | None = None  # as the definition says: never, always, on-request ...
    sandbox: str | None = None


@dataclass(frozen=True, slots=True)
class WorkflowFact:
    """A CI workflow that runs an AI agent."""

    name: str
    origin: Origin
    agent_step: str  # the action or command that runs the agent
    outsider_triggers: tuple[str, ...]  # events people outside the team can cause
    write_permissions: tuple[str, ...]  # `permissions:` scopes at write level
    secrets: tuple[str, ...]  # secrets handed to the job
    allowed_tools: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Unknown:
    """Something read but not understood: listed, never silently dropped."""

    what: str
    origin: Origin


@dataclass(slots=True)
class Discovery:
    """Everything read from one repository."""

    root: str
    files: list[str] = field(default_factory=list)
    servers: list[ServerFact] = field(default_factory=list)
    agents: list[AgentFact] = field(default_factory=list)
    workflows: list[WorkflowFact] = field(default_factory=list)
    unknown: list[Unknown] = field(default_factory=list)

    def path_of(self, relative: str) -> str:
        """A config file's path as the user named the repository (``.mcp.json``, ``repo/.mcp.json``)."""
        return os.path.normpath(os.path.join(self.root, relative))

    def inventory(self) -> dict[str, object]:
        """What was read, as plain data for the JSON report."""
        return {
            "root": self.root,
            "files": list(self.files),
            "mcp_servers": [f"{s.client}:{s.name}" for s in self.servers],
            "agents": [f"{a.framework}:{a.name}" for a in self.agents],
            "workflows": [w.name for w in self.workflows],
            "not_understood": [f"{u.origin}: {u.what}" for u in self.unknown],
        }
