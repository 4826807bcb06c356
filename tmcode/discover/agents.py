"""Declarative agent definitions and CI workflows that run agents."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tmcode.discover.facts import AgentFact, Origin, ServerFact, Unknown, WorkflowFact
from tmcode.discover.read import Document, is_list, is_mapping
from tmcode.discover.read import items as _items

# Events whose text people outside the team can write (comments, issues, fork pull requests).
OUTSIDER_EVENTS = (
    "issue_comment",
    "issues",
    "pull_request_target",
    "pull_request_review_comment",
    "pull_request_review",
    "discussion",
    "discussion_comment",
)
# Actions and commands that run a coding agent in CI.
AGENT_ACTIONS = re.compile(
    r"(?i)^(anthropics/claude-code(-base)?-action|openai/codex-action|"
    r"google-github-actions/run-gemini-cli|github/copilot[\w-]*|[\w.-]+/(aider|opencode|goose)[\w-]*)@"
)
AGENT_COMMANDS = re.compile(
    r"(?m)(^|[\s;&|(])(claude|codex|gemini|aider|opencode|goose)\s+(-p\b|--print\b|exec\b|run\b|--message\b|-m\b)"
)
_SECRET_USE = re.compile(r"\$\{\{\s*secrets\.([A-Za-z0-9_]+)\s*\}\}")
_ALLOWED_TOOLS = re.compile(r"--allowed-?tools[= ]+[\"']?([^\"'\n]+)", re.I)


def maf_agent(doc: Document) -> Iterator[AgentFact | ServerFact | Unknown]:
    """A Microsoft Agent Framework declarative agent (`kind: Prompt`)."""
    data = doc.data
    name = str(data.get("name") or doc.relative.rsplit("/", 1)[-1].split(".")[0])
    model = data.get("model")
    model_id = str(model.get("id")) if is_mapping(model) and model.get("id") else None
    servers: list[str] = []
    tools: list[str] = []
    approvals: set[str] = set()
    for index, tool in enumerate(_items(data.get("tools"))):
        loc = ("tools", index)
        if not is_mapping(tool):
            yield Unknown("a tool entry is not a mapping", Origin(doc.relative, doc.line(*loc)))
            continue
        kind = str(tool.get("kind") or "")
        tool_name = str(tool.get("name") or tool.get("id") or f"{kind}-{index + 1}")
        if kind == "mcp":
            approval = tool.get("approvalMode")
            mode = str(approval.get("kind")) if is_mapping(approval) else None
            if mode:
                approvals.add(mode)
            allowed = tool.get("allowedTools")
            servers.append(tool_name)
            yield ServerFact(
                name=tool_name,
                client="microsoft-agent-framework",
                transport="http" if tool.get("url") else "unknown",
                origin=Origin(doc.relative, doc.line(*loc)),
                url=str(tool.get("url")) if tool.get("url") else None,
                allowed_tools=tuple(str(t) for t in allowed) if is_list(allowed) else None,
                approval=mode,
            )
        elif kind in ("function", "code_interpreter", "file_search", "openapi", "web_search"):
            tools.append(f"{kind}:{tool_name}" if kind == "function" else kind)
        else:
            yield Unknown(f"tool kind `{kind}`", Origin(doc.relative, doc.line(*loc)))
    yield AgentFact(
        name=name,
        framework="microsoft-agent-framework",
        origin=Origin(doc.relative, doc.line("name") or 1),
        model=model_id,
        servers=tuple(servers),
        tools=tuple(tools),
        approval="always"
        if approvals == {"always"}
        else ("never" if "never" in approvals else None),
    )


def adk_agent(doc: Document) -> Iterator[AgentFact | Unknown]:
    """A Google ADK agent config (`root_agent.yaml` and the configs it names)."""
    data = doc.data
    tools = []
    for index, tool in enumerate(_items(data.get("tools"))):
        if is_mapping(tool) and tool.get("name"):
            tools.append(str(tool["name"]))
        elif isinstance(tool, str):
            tools.append(tool)
        else:
            yield Unknown(
                "a tool entry without a name", Origin(doc.relative, doc.line("tools", index))
            )
    subs = []
    for sub in _items(data.get("sub_agents")):
        if is_mapping(sub):
            ref = sub.get("config_path") or sub.get("name") or sub.get("code")
            if ref:
                subs.append(str(ref).rsplit("/", 1)[-1].removesuffix(".yaml").removesuffix(".yml"))
    yield AgentFact(
        name=str(data.get("name") or "root_agent"),
        framework="google-adk",
        origin=Origin(doc.relative, doc.line("name") or 1),
        model=str(data["model"]) if isinstance(data.get("model"), str) else None,
        tools=tuple(tools),
        sub_agents=tuple(subs),
    )


def crewai_agents(doc: Document) -> Iterator[AgentFact]:
    """CrewAI's `agents.yaml`: a map of agent name to role, goal and backstory."""
    for name, entry in doc.data.items():
        if is_mapping(entry) and "role" in entry:
            llm = entry.get("llm")
            tools = entry.get("tools")
            yield AgentFact(
                name=str(name),
                framework="crewai",
                origin=Origin(doc.relative, doc.line(name)),
                model=str(llm) if isinstance(llm, str) else None,
                tools=tuple(str(t) for t in tools) if is_list(tools) else (),
                approval="never" if entry.get("allow_delegation") is True else None,
            )


def workflow(doc: Document) -> Iterator[WorkflowFact]:
    """A GitHub Actions workflow, when one of its steps runs an AI agent."""
    data = doc.data
    if not is_mapping(data):
        return
    triggers = data.get("on", data.get(True))  # YAML 1.1 readers turn `on` into True
    if isinstance(triggers, str):
        events = [triggers]
    elif is_list(triggers):
        events = [str(t) for t in triggers]
    elif is_mapping(triggers):
        events = [str(t) for t in triggers]
    else:
        events = []
    outsider = tuple(e for e in events if e in OUTSIDER_EVENTS)
    top_permissions = data.get("permissions")
    jobs = data.get("jobs")
    for job_id, job in jobs.items() if is_mapping(jobs) else ():
        if not is_mapping(job):
            continue
        permissions = job.get("permissions", top_permissions)
        writes = _write_scopes(permissions)
        for index, step in enumerate(_items(job.get("steps"))):
            if not is_mapping(step):
                continue
            uses = step.get("uses") if isinstance(step.get("uses"), str) else ""
            run = step.get("run") if isinstance(step.get("run"), str) else ""
            if not (AGENT_ACTIONS.match(uses) or AGENT_COMMANDS.search(run)):
                continue
            text = repr(dict(step)) + repr(job.get("env")) + repr(data.get("env"))
            allowed = _ALLOWED_TOOLS.search(text)
            with_ = step.get("with") if is_mapping(step.get("with")) else {}
            listed = with_.get("allowed_tools") or with_.get("allowed-tools")
            tools = (
                tuple(t.strip() for t in str(listed).replace("\n", ",").split(",") if t.strip())
                if listed
                else tuple(t.strip() for t in allowed.group(1).split(",") if t.strip())
                if allowed
                else None
            )
            yield WorkflowFact(
                name=f"{doc.relative.rsplit('/', 1)[-1].rsplit('.', 1)[0]}-{job_id}",
                origin=Origin(doc.relative, doc.line("jobs", job_id, "steps", index)),
                agent_step=uses.split("@", 1)[0] if uses else run.strip().splitlines()[0][:80],
                outsider_triggers=outsider,
                write_permissions=writes,
                secrets=tuple(sorted(set(_SECRET_USE.findall(text)))),
                allowed_tools=tools,
            )


def _write_scopes(permissions: Any) -> tuple[str, ...]:
    if permissions is None:
        return ("unset (the repository's default token permissions)",)
    if permissions == "write-all":
        return ("all",)
    if is_mapping(permissions):
        return tuple(sorted(str(k) for k, v in permissions.items() if v == "write"))
    return ()
