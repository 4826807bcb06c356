"""MCP client configurations and registry entries: the servers a repository wires in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tmcode.discover.facts import AgentFact, Origin, Secret, ServerFact, Unknown
from tmcode.discover.read import Document, is_list, is_mapping
from tmcode.discover.read import items as _items

# Names of settings that hold credentials (environment variables, headers, inputs).
SECRET_NAME = re.compile(
    r"(?i)(token|secret|passw(or)?d|api[_-]?key|apikey|auth|credential|private[_-]?key|"
    r"(^|_)pat($|_)|access[_-]?key|session|cookie|bearer)"
)
# Values that point elsewhere instead of holding the secret: ${VAR}, ${env:VAR}, ${input:id},
# $VAR, {env:VAR}, =Env.VAR (Microsoft Agent Framework).
REFERENCE = re.compile(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\{env:[^}]*\}|^=\s*Env\.")
PLACEHOLDER = re.compile(
    r"(?i)^(<[^>]*>|your[-_ ].*|x{3,}|\*{3,}|changeme|change-me|todo|placeholder|\.\.\.|"
    r"replace[-_ ]?me.*|example.*|dummy.*|test|none|null|)$"
)
# Well-known token shapes: a value like these is a secret whatever its setting is called.
TOKEN_SHAPE = re.compile(
    r"^(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|sk-[A-Za-z0-9_-]{16,}|"
    r"xox[abposr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{30,}|glpat-[A-Za-z0-9_-]{20,})"
)
LAUNCHERS = {"npx", "bunx", "pnpx", "uvx", "pipx", "docker", "podman", "pnpm", "yarn", "uv", "deno"}
_NPM_PINNED = re.compile(r"^(@[^/@\s]+/)?[^@\s]+@v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
_PY_PINNED = re.compile(r"^[A-Za-z0-9._\[\],-]+(==\d[^\s,;]*|@\d+\.\d+\.\d+\S*)$")
_DOCKER_VALUE_OPTIONS = {
    "-e", "--env", "-v", "--volume", "-p", "--publish", "--name", "--network", "-w", "--workdir",
    "--env-file", "--mount", "-u", "--user", "--entrypoint", "--platform", "-l", "--label",
}  # fmt: skip

# Where each MCP client keeps a project's servers, and which key holds them.
CLIENT_FILES: dict[str, tuple[str, str]] = {
    ".mcp.json": ("claude-code", "mcpServers"),
    ".vscode/mcp.json": ("vscode", "servers"),
    ".cursor/mcp.json": ("cursor", "mcpServers"),
    ".gemini/settings.json": ("gemini-cli", "mcpServers"),
    ".codex/config.toml": ("codex", "mcp_servers"),
    ".continue/config.yaml": ("continue", "mcpServers"),
    ".windsurf/mcp_config.json": ("windsurf", "mcpServers"),
}
BY_NAME: dict[str, tuple[str, str]] = {
    "claude_desktop_config.json": ("claude-desktop", "mcpServers"),
    "mcp_config.json": ("windsurf", "mcpServers"),
}


def client_of(relative: str) -> tuple[str, str] | None:
    """The client and servers key of a config file, by its repository path."""
    if relative in CLIENT_FILES:
        return CLIENT_FILES[relative]
    name = relative.rsplit("/", 1)[-1]
    if relative.startswith(".continue/mcpServers/") and name.endswith((".yaml", ".yml", ".json")):
        return ("continue", "mcpServers")
    return BY_NAME.get(name)


def is_inline_secret(name: str, value: Any) -> bool:
    """True when ``value`` is a credential written into the file itself."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    if re.match(r"(?i)^(bearer|token|basic)\s+", text):
        text = text.split(None, 1)[1].strip() if " " in text else ""
    if not text or REFERENCE.search(text) or PLACEHOLDER.match(text):
        return False
    return bool(TOKEN_SHAPE.match(text)) or bool(SECRET_NAME.search(name))


def launched_package(command: str | None, args: tuple[str, ...]) -> tuple[str | None, bool | None]:
    """The package a launcher fetches at start, and whether its version is pinned exactly."""
    if not command:
        return None, None
    launcher = command.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".exe")
    if launcher not in LAUNCHERS:
        return None, None
    rest = list(args)
    if launcher in ("pnpm", "yarn") and rest[:1] == ["dlx"]:
        rest = rest[1:]
    elif launcher in ("pnpm", "yarn", "deno"):
        return None, None
    if launcher == "uv" and rest[:2] == ["tool", "run"]:
        rest = rest[2:]
    elif launcher == "uv":
        return None, None
    if launcher in ("docker", "podman"):
        if "run" not in rest:
            return None, None
        rest = rest[rest.index("run") + 1 :]
        skip = False
        for token in rest:
            if skip:
                skip = False
            elif token in _DOCKER_VALUE_OPTIONS:
                skip = True
            elif not token.startswith("-"):
                return token, "@sha256:" in token
        return None, None
    if launcher == "pipx" and rest[:1] == ["run"]:
        rest = rest[1:]
    package = None
    for index, token in enumerate(rest):
        if token in ("--from", "--package", "-p") and index + 1 < len(rest):
            package = rest[index + 1]
            break
        if token.startswith(("--from=", "--package=")):
            package = token.split("=", 1)[1]
            break
        if not token.startswith("-"):
            package = token
            break
    if package is None:
        return None, None
    pinned = (
        _NPM_PINNED.match(package)
        if launcher in ("npx", "bunx", "pnpx", "pnpm", "yarn")
        else (_PY_PINNED.match(package))
    )
    return package, bool(pinned)


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if is_list(value) else ()


def server_fact(
    doc: Document, name: str, entry: Any, client: str, loc: tuple[Any, ...], prompted: set[str]
) -> ServerFact | Unknown:
    """One server entry of a client config (any of the clients' spellings)."""
    origin = Origin(doc.relative, doc.line(*loc))
    if not is_mapping(entry):
        return Unknown(f"MCP server `{name}` is not a mapping", origin)
    url = next(
        (entry[k] for k in ("url", "serverUrl", "httpUrl") if isinstance(entry.get(k), str)), None
    )
    command = entry.get("command") if isinstance(entry.get("command"), str) else None
    kind = entry.get("type") or entry.get("transport")
    if is_mapping(kind):
        kind = kind.get("type")
    if isinstance(kind, str) and kind:
        transport = kind
    elif "httpUrl" in entry:
        transport = "streamable-http"
    elif url:
        transport = "http"
    elif command:
        transport = "stdio"
    else:
        return Unknown(f"MCP server `{name}` names neither a command nor a URL", origin)
    args = _strings(entry.get("args"))
    package, pinned = launched_package(command, args)
    secrets: list[Secret] = []
    auth_header = False
    for key in ("env", "headers", "http_headers", "env_http_headers"):
        values = entry.get(key)
        if not is_mapping(values):
            continue
        for var, value in values.items():
            where = Origin(doc.relative, doc.line(*loc, key, var))
            header_auth = key != "env" and str(var).lower() in (
                "authorization",
                "x-api-key",
                "api-key",
            )
            auth_header = auth_header or header_auth
            if key == "env_http_headers":
                secrets.append(Secret(str(var), False, where))  # the value names an env variable
            elif is_inline_secret(str(var), value) or (
                header_auth and is_inline_secret("auth", value)
            ):
                secrets.append(Secret(str(var), True, where))
            elif SECRET_NAME.search(str(var)) or header_auth:
                secrets.append(Secret(str(var), False, where))
    for token_key in ("bearer_token_env_var", "bearer_token"):
        if token_key in entry:
            auth_header = True
            where = Origin(doc.relative, doc.line(*loc, token_key))
            secrets.append(Secret(token_key, token_key == "bearer_token", where))
    used_inputs = {m for m in re.findall(r"\$\{input:([^}]+)\}", repr(dict(entry)))}
    for input_id in sorted(used_inputs & prompted):
        secrets.append(Secret(input_id, False, origin))
    for index, arg in enumerate(args):
        if TOKEN_SHAPE.match(arg) or (index and is_inline_secret(args[index - 1].lstrip("-"), arg)):
            secrets.append(
                Secret(f"args[{index}]", True, Origin(doc.relative, doc.line(*loc, "args", index)))
            )
    trusted = entry.get("trust") is True
    include = entry.get("includeTools", entry.get("enabled_tools"))
    exclude = entry.get("excludeTools", entry.get("disabled_tools"))
    return ServerFact(
        name=str(name),
        client=client,
        transport=transport,
        origin=origin,
        command=command,
        args=args,
        url=url,
        package=package,
        pinned=pinned,
        secrets=tuple(secrets),
        auth_header=auth_header,
        trusted=trusted,
        allowed_tools=_strings(include) if is_list(include) else None,
        excluded_tools=_strings(exclude),
    )


def client_config(
    doc: Document, client: str, key: str
) -> Iterator[ServerFact | AgentFact | Unknown]:
    """The servers of one client config, and the client itself as an agent that uses them."""
    data = doc.data
    if not is_mapping(data):
        yield Unknown("the file is not a mapping", Origin(doc.relative, 1))
        return
    servers = data.get(key)
    loc: tuple[Any, ...] = (key,)
    if servers is None and key == "mcpServers" and client == "claude-code":
        # A plugin's .mcp.json may list servers at the top level.
        servers, loc = data, ()
    if servers is None and client == "vscode" and is_mapping(data.get("mcp")):
        servers, loc = data["mcp"].get("servers"), ("mcp", "servers")
    prompted = {
        str(i.get("id"))
        for i in _items(data.get("inputs"))
        if is_mapping(i) and i.get("type") == "promptString"
    }
    names: list[str] = []
    if is_mapping(servers):
        entries = [(str(n), e, (*loc, n)) for n, e in servers.items()]
    elif is_list(servers):  # Continue: a list of {name, ...}
        entries = [
            (
                str(e.get("name") or f"server-{i + 1}") if is_mapping(e) else f"server-{i + 1}",
                e,
                (*loc, i),
            )
            for i, e in enumerate(servers)
        ]
    elif servers is None and client == "continue" and "name" in data:
        entries = [(str(data["name"]), data, ())]
    else:
        if servers is not None:
            yield Unknown(
                f"`{key}` is neither a mapping nor a list", Origin(doc.relative, doc.line(key))
            )
        entries = []
    for name, entry, where in entries:
        fact = server_fact(doc, name, entry, client, where, prompted)
        if isinstance(fact, ServerFact):
            names.append(fact.name)
        yield fact
    if client == "codex":
        approval = data.get("approval_policy")
        sandbox = data.get("sandbox_mode")
    else:
        approval = sandbox = None
    if names or approval or sandbox:
        yield AgentFact(
            name=client,
            framework=client,
            origin=Origin(doc.relative, 1),
            servers=tuple(names),
            approval=str(approval) if approval else None,
            sandbox=str(sandbox) if sandbox else None,
        )


def registry_entry(doc: Document) -> Iterator[ServerFact | Unknown]:
    """An MCP registry ``server.json``: its packages and remotes, each a way to run the server."""
    data = doc.data
    if not (is_mapping(data) and ("packages" in data or "remotes" in data)):
        return
    name = str(data.get("name") or "server")
    short = name.rsplit("/", 1)[-1]
    for index, package in enumerate(_items(data.get("packages"))):
        loc = ("packages", index)
        if not is_mapping(package):
            yield Unknown("a package entry is not a mapping", Origin(doc.relative, doc.line(*loc)))
            continue
        version = package.get("version")
        identifier = str(package.get("identifier") or "")
        transport = package.get("transport")
        secrets = tuple(
            Secret(
                str(v.get("name")),
                False,
                Origin(doc.relative, doc.line(*loc, "environmentVariables", i)),
            )
            for i, v in enumerate(_items(package.get("environmentVariables")))
            if is_mapping(v) and v.get("isSecret") is True
        )
        pinned = isinstance(version, str) and bool(re.match(r"^v?\d+\.\d+\.\d+", version))
        yield ServerFact(
            name=short if index == 0 else f"{short}-{index + 1}",
            client="registry",
            transport=str(transport.get("type")) if is_mapping(transport) else "stdio",
            origin=Origin(doc.relative, doc.line(*loc)),
            package=f"{identifier}@{version}" if version else identifier or None,
            pinned=pinned or bool(package.get("fileSha256")),
            secrets=secrets,
        )
    for index, remote in enumerate(_items(data.get("remotes"))):
        loc = ("remotes", index)
        if not is_mapping(remote):
            yield Unknown("a remote entry is not a mapping", Origin(doc.relative, doc.line(*loc)))
            continue
        headers = [h for h in _items(remote.get("headers")) if is_mapping(h)]
        yield ServerFact(
            name=f"{short}-remote" if index == 0 else f"{short}-remote-{index + 1}",
            client="registry",
            transport=str(remote.get("type") or "http"),
            origin=Origin(doc.relative, doc.line(*loc)),
            url=str(remote.get("url")) if remote.get("url") else None,
            secrets=tuple(
                Secret(str(h.get("name")), False, Origin(doc.relative, doc.line(*loc, "headers")))
                for h in headers
                if h.get("isSecret") is True
            ),
            auth_header=any(str(h.get("name", "")).lower() == "authorization" for h in headers),
        )
