"""Read, never run, the agent configuration a repository holds: MCP clients, agents, workflows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from tmcode.discover.agents import adk_agent, crewai_agents, maf_agent, workflow
from tmcode.discover.facts import AgentFact, Discovery, Origin, ServerFact, Unknown, WorkflowFact
from tmcode.discover.mcp import client_config, client_of, registry_entry
from tmcode.discover.read import (
    Document,
    is_mapping,
    parse_json,
    parse_toml,
    parse_yaml,
    read_text,
    walk,
)
from tmcode.errors import TmcodeError, UsageError

__all__ = ["Discovery", "discover_repository"]


# Words one of the agent definition formats must contain; other YAML files are not parsed.
_AGENT_MARKERS = re.compile(r"(?m)^kind:\s*Prompt\b|^agent_class:|^\s+role:")


def _parse(path: Path, relative: str, generic: bool) -> Document | None:
    text = read_text(path, relative)
    if generic and not _AGENT_MARKERS.search(text):
        return None
    if relative.endswith(".toml"):
        return parse_toml(text, relative)
    if relative.endswith(".json"):
        return parse_json(text, relative)
    return parse_yaml(text, relative)


def _looks_like_agent_yaml(name: str) -> bool:
    return name.endswith((".yaml", ".yml"))


def discover_repository(root: Path) -> Discovery:
    """Every agent configuration fact under ``root``; files that fail to parse are listed."""
    if not root.is_dir():
        raise UsageError(f"{root} is not a directory; name the repository to read")
    found = Discovery(root=str(root))
    for path, regular in walk(root):
        relative = path.relative_to(root).as_posix()
        name = path.name
        client = client_of(relative)
        is_workflow = relative.startswith(".github/workflows/") and name.endswith((".yml", ".yaml"))
        candidate = (
            client is not None
            or is_workflow
            or name == "server.json"
            or (_looks_like_agent_yaml(name) and not relative.startswith(".github/"))
        )
        if not candidate:
            continue
        if not regular:
            if client or is_workflow or name == "server.json":
                found.unknown.append(
                    Unknown("not read: a symbolic link or special file", Origin(relative))
                )
            continue
        known = client is not None or is_workflow or name == "server.json"
        try:
            by_name = name in ("agents.yaml", "agents.yml", "root_agent.yaml", "root_agent.yml")
            doc = _parse(path, relative, generic=not (known or by_name))
        except TmcodeError as exc:
            if known:
                for problem in exc.problems:
                    found.unknown.append(
                        Unknown(
                            f"could not be read: {problem.message}", Origin(relative, problem.line)
                        )
                    )
                found.files.append(relative)
            continue  # an unrelated YAML file that does not parse is not ours to report
        if doc is None:
            continue
        facts = list(_facts(doc, client, is_workflow, name))
        if facts:
            found.files.append(relative)
        for fact in facts:
            if isinstance(fact, ServerFact):
                found.servers.append(fact)
            elif isinstance(fact, AgentFact):
                found.agents.append(fact)
            elif isinstance(fact, WorkflowFact):
                found.workflows.append(fact)
            else:
                found.unknown.append(fact)
    return found


def _facts(
    doc: Document, client: tuple[str, str] | None, is_workflow: bool, name: str
) -> Iterator[AgentFact | ServerFact | WorkflowFact | Unknown]:
    data = doc.data
    if client is not None:
        yield from client_config(doc, *client)
    elif is_workflow:
        yield from workflow(doc)
    elif name == "server.json":
        yield from registry_entry(doc)
    elif (
        is_mapping(data)
        and data.get("kind") == "Prompt"
        and ("instructions" in data or "model" in data)
    ):
        yield from maf_agent(doc)
    elif (
        is_mapping(data) and "agent_class" in data or name in ("root_agent.yaml", "root_agent.yml")
    ):
        if is_mapping(data):
            yield from adk_agent(doc)
    elif name in ("agents.yaml", "agents.yml") and is_mapping(data):
        yield from crewai_agents(doc)
