"""A draft model from what a repository's configs declare, every fact with its source line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from tmcode.discover.facts import AgentFact, Discovery, Origin, ServerFact, WorkflowFact
from tmcode.interchange import safe_id

SETTLE = "SETTLE:"  # marks a guess a person must confirm or correct
_REMOTE_TRANSPORTS = {"http", "sse", "streamable-http", "ws", "websocket"}
# Codex approval policies, and the autonomy each leaves the agent.
_APPROVAL_AUTONOMY = {
    "untrusted": "supervised",
    "on-request": "supervised",
    "on-failure": "autonomous",
    "never": "autonomous",
    "always": "supervised",
}


def _scalar(value: Any) -> str:
    """A YAML scalar or flow collection that reads back as ``value`` and nothing else."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=False, width=10_000)
    return text.removesuffix("\n...\n").strip()


def _comment(text: str) -> str:
    """A comment that stays one comment, whatever a file name holds."""
    return "# " + re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]", "?", text)


def _from(origin: Origin) -> str:
    return f"from {origin}"


@dataclass
class _Entry:
    """One key of the draft: its value, and the comment saying where it came from."""

    key: str
    value: Any = None
    note: str = ""
    children: list[_Entry] = field(default_factory=list)

    def lines(self, indent: int) -> list[str]:
        pad = "  " * indent
        note = f"  {_comment(self.note)}" if self.note else ""
        if self.children:
            out = [f"{pad}{_scalar(self.key)}:{note}"]
            for child in self.children:
                out += child.lines(indent + 1)
            return out
        return [f"{pad}{_scalar(self.key)}: {_scalar(self.value)}{note}"]


class _Draft:
    def __init__(self, found: Discovery) -> None:
        self.found = found
        self.used: set[str] = set()
        self.boundaries: dict[str, _Entry] = {}
        self.data: list[_Entry] = []
        self.components: list[_Entry] = []
        self.flows: list[str] = []
        self.server_ids: dict[tuple[str, str], str] = {}

    def boundary(self, bid: str, trust: str, name: str, note: str) -> str:
        if bid not in self.boundaries:
            self.used.add(bid)
            self.boundaries[bid] = _Entry(
                bid, children=[_Entry("trust", trust, note), _Entry("name", name)]
            )
        return bid

    def new_id(self, raw: str) -> str:
        return safe_id(raw, self.used)

    def server(self, fact: ServerFact) -> str:
        key = (fact.client, fact.name)
        if key in self.server_ids:
            return self.server_ids[key]
        sid = self.new_id(fact.name)
        self.server_ids[key] = sid
        remote = fact.transport in _REMOTE_TRANSPORTS or (fact.url is not None and not fact.command)
        boundary = (
            self.boundary(
                "remote-services", "partner", "Remote MCP servers",
                f"{SETTLE} trust of the remote servers' operators",
            )
            if remote
            else self.boundary(
                "workstation", "internal", "Developer workstation",
                f"{SETTLE} where the MCP clients and their local servers run",
            )
        )  # fmt: skip
        children = [
            _Entry("kind", "mcp_server", _from(fact.origin)),
            _Entry("name", fact.name, "the name drift checks match"),
            _Entry("boundary", boundary),
            _Entry("transport", "http" if remote else "stdio", f"config says `{fact.transport}`"),
        ]
        if fact.url:
            children.append(_Entry("description", f"Remote MCP server at {fact.url}"))
        elif fact.command:
            launch = " ".join([fact.command, *fact.args])[:200]
            children.append(_Entry("description", f"Started with: {launch}"))
        if remote:
            if fact.auth_header:
                children.append(
                    _Entry(
                        "auth",
                        "static_token",
                        f"{SETTLE} a header carries a token; oauth if it is an OAuth bearer",
                    )
                )
            else:
                children.append(_Entry("auth", "none", f"{SETTLE} no auth header in the config"))
        if fact.package:
            children.append(
                _Entry(
                    "source",
                    "community",
                    f"{SETTLE} launched from package `{fact.package}`; vendor or first_party if it is",
                )
            )
            version = fact.package.rsplit("@", 1)[-1] if "@" in fact.package[1:] else None
            if "==" in fact.package:
                version = fact.package.split("==", 1)[1]
            if fact.pinned and version:
                children.append(_Entry("version", version, "pinned in the launch command"))
        controls = []
        if fact.pinned:
            controls.append("version_pinning")
        if fact.allowed_tools:
            children.append(
                _Entry("tools", list(fact.allowed_tools), "the tools the config allows")
            )
        if controls:
            children.append(_Entry("controls", controls, "declared by the config"))
        self.components.append(_Entry(sid, children=children))
        for secret in fact.secrets:
            how = (
                "written inline in the config"
                if secret.inline
                else "taken from the environment or a prompt"
            )
            self.secret(f"{sid}-credential", _from(secret.origin), f"`{secret.name}` {how}")
        return sid

    def secret(self, raw_id: str, note: str, description: str | None = None) -> None:
        """A data asset for a credential the configs hand over: restricted, tagged secret."""
        children = [
            _Entry("classification", "restricted", note),
            _Entry("tags", ["credentials", "secret"]),
        ]
        if description:
            children.append(_Entry("description", description))
        self.data.append(_Entry(self.new_id(raw_id), children=children))

    def model_for(self, agent_id: str, model: str | None, origin: Origin) -> str:
        vendor = self.boundary(
            "model-vendor", "partner", "Model provider", f"{SETTLE} who hosts the model"
        )
        mid = self.new_id(f"{agent_id}-model")
        children = [
            _Entry("kind", "llm", _from(origin)),
            _Entry("boundary", vendor),
            _Entry("hosting", "vendor_api", f"{SETTLE} self_hosted if you run it"),
        ]
        if model:
            children.append(_Entry("model", model))
        self.components.append(_Entry(mid, children=children))
        return mid

    def agent(self, fact: AgentFact) -> None:
        aid = self.new_id(fact.name if fact.framework in fact.name else f"{fact.name}-agent")
        boundary = self.boundary(
            "workstation", "internal", "Developer workstation",
            f"{SETTLE} where the MCP clients and their local servers run",
        )  # fmt: skip
        model = self.model_for(aid, fact.model, fact.origin)
        autonomy = _APPROVAL_AUTONOMY.get(fact.approval or "", "supervised")
        children = [
            _Entry("kind", "agent", f"{fact.framework}, {_from(fact.origin)}"),
            _Entry("name", fact.name, "the name drift checks match"),
            _Entry("boundary", boundary),
            _Entry("model", model),
            _Entry(
                "autonomy", autonomy,
                f"approval policy `{fact.approval}`" if fact.approval else f"{SETTLE} how often a person approves its actions",
            ),
            _Entry("users", "single", f"{SETTLE} multiple if it serves several people"),
            _Entry("identity", "user_delegated", f"{SETTLE} whose credentials its tools use"),
        ]  # fmt: skip
        tools = []
        servers = {f.name: f for f in self.found.servers if f.client == fact.framework}
        for name in fact.servers:
            server = servers.get(name)
            if server is None:
                continue
            sid = self.server(server)
            permission = [_Entry("scopes", ["read"], f"{SETTLE} what this server's tools can do")]
            if server.approval == "always" or fact.approval in ("untrusted", "always"):
                permission.append(
                    _Entry("controls", ["human_approval"], "the config asks for approval")
                )
            elif server.trusted:
                permission.append(
                    _Entry(
                        "description", "The client is told to trust this server: no confirmation."
                    )
                )
            tools.append(_Entry(sid, children=permission))
        if fact.sandbox:
            children.append(
                _Entry("tags", [f"sandbox-{safe_id(fact.sandbox, set())}"], "sandbox mode")
            )
        if tools:
            children.append(_Entry("tools", children=tools))
        elif fact.tools or fact.sub_agents:
            listed = ", ".join([*fact.tools, *(f"sub-agent {s}" for s in fact.sub_agents)])[:300]
            children.append(
                _Entry("description", f"Declares {listed}; model each as a tool or agent.")
            )
        self.components.append(_Entry(aid, children=children))

    def workflow(self, fact: WorkflowFact) -> None:
        runner = self.boundary("ci-runner", "internal", "CI runner", f"{SETTLE} the runner's trust")
        aid = self.new_id(f"{fact.name}-agent")
        model = self.model_for(aid, None, fact.origin)
        repo = self.new_id("repository")
        forge = self.boundary("forge", "internal", "Code hosting", f"{SETTLE} trust of the forge")
        self.components.append(
            _Entry(
                repo,
                children=[
                    _Entry("kind", "external_service", _from(fact.origin)),
                    _Entry("boundary", forge),
                    _Entry("description", "The repository the workflow's token can act on."),
                ],
            )
        )
        scopes = ["read", "write"] if fact.write_permissions else ["read"]
        children = [
            _Entry("kind", "agent", f"runs `{fact.agent_step}`, {_from(fact.origin)}"),
            _Entry("name", fact.name, "the name drift checks match"),
            _Entry("boundary", runner),
            _Entry("model", model),
            _Entry("autonomy", "autonomous", "runs unattended in CI"),
            _Entry("users", "multiple" if fact.outsider_triggers else "single", "who can trigger it"),
            _Entry("identity", "service_account", "the workflow token"),
            _Entry(
                "tools",
                children=[
                    _Entry(
                        repo,
                        children=[
                            _Entry(
                                "scopes", scopes,
                                "write permissions: " + (", ".join(fact.write_permissions) or "none"),
                            ),
                            _Entry("credential", "service_account"),
                        ],
                    )
                ],
            ),
        ]  # fmt: skip
        if fact.allowed_tools is not None:
            children.append(
                _Entry(
                    "controls",
                    ["command_allowlist"],
                    "allowed tools: " + ", ".join(fact.allowed_tools)[:200],
                )
            )
        self.components.append(_Entry(aid, children=children))
        if fact.outsider_triggers:
            internet = self.boundary(
                "internet", "untrusted", "Internet", "anyone can write issues and comments"
            )
            cid = self.new_id(f"{fact.name}-trigger-text")
            self.components.append(
                _Entry(
                    cid,
                    children=[
                        _Entry(
                            "kind",
                            "external_content",
                            "triggers: " + ", ".join(fact.outsider_triggers),
                        ),
                        _Entry("boundary", internet),
                        _Entry("content", "tickets"),
                    ],
                )
            )
            self.flows.append(_scalar({"from": cid, "to": aid, "kind": "context"}))
        for secret in fact.secrets:
            note = f"secret `{secret}` handed to the job, {_from(fact.origin)}"
            self.secret(safe_id(secret.lower(), set()), note)

    def text(self, name: str) -> str:
        out = [
            _comment(
                f"Draft threat model written by `tmcode discover` from {len(self.found.files)} config file(s)."
            ),
            _comment(
                "Every fact says where it was read. Lines marked SETTLE are guesses a person must"
            ),
            _comment(
                "confirm or correct; then describe what the configs cannot say (users, data, flows)."
            ),
            _comment(
                "Nothing was executed: tool lists of local servers are unknown until you declare them."
            ),
        ]
        for unknown in self.found.unknown:
            out.append(_comment(f"not understood: {unknown.what} ({unknown.origin})"))
        out += [
            "tmcode: 1",
            "system:",
            f"  name: {_scalar(name)}",
            f"  lifecycle: development  {_comment(SETTLE + ' production once it is deployed')}",
        ]
        if not self.boundaries:
            self.boundary(
                "workstation",
                "internal",
                "Developer workstation",
                f"{SETTLE} nothing was discovered",
            )
        out.append("boundaries:")
        for entry in self.boundaries.values():
            out += entry.lines(1)
        if self.data:
            out.append("data:")
            for entry in self.data:
                out += entry.lines(1)
        if not self.components:
            out.append("components:")
            out.append(
                "  placeholder-user: {kind: user, boundary: workstation}  "
                + _comment(f"{SETTLE} no agent configuration was found")
            )
        else:
            out.append("components:")
            for entry in self.components:
                out += entry.lines(1)
        if self.flows:
            out.append("flows:")
            out += [f"  - {flow}" for flow in self.flows]
        return "\n".join(out) + "\n"


def draft_model(found: Discovery, name: str) -> str:
    """The draft model's YAML text: valid, commented, guesses marked for a person to settle."""
    draft = _Draft(found)
    for agent in found.agents:
        draft.agent(agent)
    for server in found.servers:
        draft.server(server)  # servers no agent names: still part of the system
    for flow in found.workflows:
        draft.workflow(flow)
    return draft.text(name)
