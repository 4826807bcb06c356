"""Drift: where the model and the repository's agent configuration disagree, as findings.

Each check is named by a catalog threat with ``target: repository`` and ``when: {drift: NAME}``;
the checks here are the only names such a threat may use (the catalog loader refuses others).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tmcode.discover.facts import Discovery, Origin
from tmcode.model.elements import Agent, ComponentBase, McpServer, Model
from tmcode.model.load import LoadedModel

REMOTE = {"http", "sse", "streamable-http", "ws", "websocket"}


@dataclass(frozen=True, slots=True)
class Drift:
    """One disagreement: the finding's target address, where to point, and what it says."""

    target: str
    origin: Origin  # a config file's line, or the model's for claims about the repository
    message: str
    elements: tuple[str, ...] = ()
    in_model: bool = False  # origin is a line of the model file, not of a config


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def _code_paths(component: ComponentBase) -> list[str]:
    code = component.code
    return [code] if isinstance(code, str) else list(code or [])


class _Match:
    """Which model component stands for a discovered element (by id, name or `code:` path)."""

    def __init__(self, model: Model) -> None:
        self.by_name: dict[tuple[str, str], str] = {}
        self.by_file: dict[tuple[str, str], list[str]] = {}
        for cid, component in model.components.items():
            group = (
                "server"
                if isinstance(component, McpServer)
                else "agent"
                if isinstance(component, Agent)
                else ""
            )
            if not group:
                continue
            for label in (cid, component.name or ""):
                if label:
                    self.by_name.setdefault((group, _norm(label)), cid)
            for path in _code_paths(component):
                self.by_file.setdefault((group, path.lstrip("./")), []).append(cid)

    def find(self, group: str, name: str, origin: Origin) -> str | None:
        hit = self.by_name.get((group, _norm(name)))
        if hit is None:
            named = self.by_file.get((group, origin.file), [])
            hit = named[0] if len(named) == 1 else None
        return hit


def _target(origin: Origin, name: str) -> str:
    return f"repo:{origin.file}#{name}"


def server_not_modelled(loaded: LoadedModel, found: Discovery) -> Iterator[Drift]:
    """An MCP server a config wires in that no `mcp_server` component stands for."""
    match = _Match(loaded.model)
    for server in found.servers:
        if match.find("server", server.name, server.origin) is None:
            how = server.url or " ".join([server.command or "", *server.args]).strip()
            yield Drift(
                _target(server.origin, server.name),
                server.origin,
                f"{server.client} config wires in MCP server `{server.name}` ({how[:120]}) that the "
                "model does not describe",
            )


def agent_not_modelled(loaded: LoadedModel, found: Discovery) -> Iterator[Drift]:
    """A declared agent or an agent-running workflow that no `agent` component stands for."""
    match = _Match(loaded.model)
    client_configs = {s.client for s in found.servers}
    for agent in found.agents:
        if agent.framework in client_configs and agent.name == agent.framework:
            continue  # an MCP client: its servers are checked one by one
        if match.find("agent", agent.name, agent.origin) is None:
            yield Drift(
                _target(agent.origin, agent.name),
                agent.origin,
                f"{agent.framework} defines agent `{agent.name}` that the model does not describe",
            )
    for flow in found.workflows:
        if match.find("agent", flow.name, flow.origin) is None:
            outsiders = (
                f"; outsiders can trigger it ({', '.join(flow.outsider_triggers)})"
                if flow.outsider_triggers
                else ""
            )
            yield Drift(
                _target(flow.origin, flow.name),
                flow.origin,
                f"workflow runs an agent (`{flow.agent_step}`) that the model does not describe{outsiders}",
            )


def fact_contradicts(loaded: LoadedModel, found: Discovery) -> Iterator[Drift]:
    """A modelled server whose transport, auth, pinning or approval the config contradicts."""
    model = loaded.model
    match = _Match(model)
    for server in found.servers:
        sid = match.find("server", server.name, server.origin)
        if sid is None:
            continue
        component = model.components[sid]
        assert isinstance(component, McpServer)
        said: list[str] = []
        remote = server.transport in REMOTE
        if component.transport is not None and (component.transport.value == "http") != remote:
            said.append(
                f"transport: the model says `{component.transport.value}`, the config `{server.transport}`"
            )
        if remote and component.auth is not None:
            if component.auth.value == "none" and server.auth_header:
                said.append("auth: the model says `none`, the config sends an auth header")
            elif (
                component.auth.value != "none"
                and not server.auth_header
                and component.auth.value != "mtls"
            ):
                said.append(
                    f"auth: the model says `{component.auth.value}`, the config sends no credential"
                )
        if component.tools and server.allowed_tools:
            unlisted = sorted(set(server.allowed_tools) - set(component.tools))
            if unlisted:
                said.append(
                    "tools: the config allows "
                    + ", ".join(f"`{t}`" for t in unlisted[:10])
                    + " that the model's `tools:` does not list"
                )
        pinned_claim = (
            component.version is not None
            or "version_pinning" in loaded.index.controls_on(sid).implemented
        )
        if pinned_claim and server.pinned is False:
            said.append(
                f"pinning: the model says the version is pinned, the config launches `{server.package}`"
            )
        for address in loaded.index.permissions_to_target.get(sid, ()):
            approval = "human_approval" in loaded.index.controls_on(address).implemented
            if approval and (server.trusted or server.approval == "never"):
                said.append(
                    f"approval: `{address}` declares human_approval, the config runs its tools "
                    "without confirmation"
                )
        if said:
            yield Drift(
                _target(server.origin, server.name),
                server.origin,
                f"model component `{sid}` disagrees with the config: " + "; ".join(said),
                elements=(sid,),
            )


def inline_secret(loaded: LoadedModel, found: Discovery) -> Iterator[Drift]:
    """A credential written into a config file instead of taken from the environment or a prompt."""
    for server in found.servers:
        for secret in server.secrets:
            if secret.inline:
                yield Drift(
                    _target(secret.origin, f"{server.name}/{secret.name}"),
                    secret.origin,
                    f"`{secret.name}` of MCP server `{server.name}` is a secret written into the file",
                )


def unpinned_package(loaded: LoadedModel, found: Discovery) -> Iterator[Drift]:
    """A server started from a package fetched at launch without an exact version."""
    for server in found.servers:
        if server.pinned is False:
            yield Drift(
                _target(server.origin, server.name),
                server.origin,
                f"MCP server `{server.name}` runs `{server.package}` fetched at launch without an "
                "exact version (or image digest)",
            )


def _repository_path(root: Path, written: str) -> str | None:
    """Why ``written`` is not an existing path inside ``root``, or None when it is."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", written) or written.startswith("mailto:"):
        return None  # a URL: not a repository path
    if os.path.isabs(written):
        return "is an absolute path, not a repository path"
    real_root = os.path.realpath(root)
    candidate = os.path.realpath(os.path.join(real_root, written.split("#", 1)[0]))
    if os.path.commonpath([real_root, candidate]) != real_root:
        return "leads outside the repository"
    if not os.path.lexists(candidate):
        return "does not exist in the repository"
    return None


def _path_drift(
    loaded: LoadedModel, found: Discovery, address: str, path: str, target: str, claim: str
) -> Drift | None:
    """A drift at ``address`` when ``path``, which the model claims, is no repository path."""
    why = _repository_path(Path(found.root), path)
    if why is None:
        return None
    where = loaded.location(address)
    return Drift(
        target, Origin(where.file, where.line), f"{claim}, which {why}", (address,), in_model=True
    )


def evidence_missing(loaded: LoadedModel, found: Discovery) -> Iterator[Drift]:
    """A control whose `evidence:` repository path does not exist."""
    for address, control in loaded.index.declared_controls():
        if control.evidence is not None:
            drift = _path_drift(
                loaded,
                found,
                address,
                control.evidence,
                f"{address}#{control.id}",
                f"control `{control.id}` on `{address}` cites evidence `{control.evidence}`",
            )
            if drift is not None:
                yield drift


def code_missing(loaded: LoadedModel, found: Discovery) -> Iterator[Drift]:
    """A component whose `code:` repository path does not exist."""
    for cid, component in loaded.model.components.items():
        for path in _code_paths(component):
            drift = _path_drift(
                loaded, found, cid, path, f"{cid}#code:{path}", f"`code:` path `{path}` of `{cid}`"
            )
            if drift is not None:
                yield drift


CHECKS: dict[str, Callable[[LoadedModel, Discovery], Iterator[Drift]]] = {
    "server_not_modelled": server_not_modelled,
    "agent_not_modelled": agent_not_modelled,
    "fact_contradicts": fact_contradicts,
    "inline_secret": inline_secret,
    "unpinned_package": unpinned_package,
    "evidence_missing": evidence_missing,
    "code_missing": code_missing,
}
