"""The IDE coding agent of ide-agent.yaml, written with the tmcode Python API.

Loading this file runs it: a Python model is code, trusted as the repository's code is.
"""

from tmcode import (
    LLM,
    Agent,
    Boundary,
    DataAsset,
    ExternalContent,
    ExternalService,
    Flow,
    McpServer,
    Model,
    Permission,
    Store,
    System,
    Tool,
    User,
)

model = Model(
    tmcode=1,
    system=System(name="IDE coding agent", owner="developer-experience", lifecycle="development"),
    boundaries={
        "internet": Boundary(trust="untrusted"),
        "vendor": Boundary(trust="partner"),
        "laptop": Boundary(name="Developer workstation", trust="internal"),
        "forge": Boundary(name="Code hosting organisation", trust="internal"),
    },
    data={
        "source-code": DataAsset(classification="confidential", tags=["ip"]),
        "forge-token": DataAsset(classification="restricted", tags=["credentials", "secret"]),
    },
    components={
        "developer": User(boundary="laptop", audience="developers", authenticated=True),
        "public-issues": ExternalContent(
            boundary="internet",
            content="tickets",
            description="Issues and comments anyone on the internet can write.",
        ),
        "model": LLM(boundary="vendor", hosting="vendor_api"),
        "agent": Agent(
            boundary="laptop",
            model="model",
            autonomy="autonomous",
            users="single",
            identity="user_delegated",
            tools={
                "forge-mcp": Permission(scopes=["read", "write", "send"], credential="api_key"),
                "terminal": Permission(scopes=["execute", "network"]),
                "workspace": Permission(scopes=["read", "write"]),
            },
        ),
        "forge-mcp": McpServer(
            boundary="laptop",
            transport="stdio",
            source="community",
            tools=["list_issues", "get_file", "create_pull_request"],
        ),
        "forge-api": ExternalService(boundary="forge"),
        "terminal": Tool(boundary="laptop", interprets=["shell"], open_ended=True),
        "workspace": Store(kind="datastore", boundary="laptop", stores=["source-code", "forge-token"]),
    },
    flows=[
        Flow(from_="developer", to="agent", kind="prompt"),
        Flow(from_="agent", to="model", kind="prompt", data=["source-code"]),
        Flow(from_="model", to="agent", kind="output"),
        Flow(
            from_="forge-mcp",
            to="forge-api",
            kind="api",
            data=["source-code"],
            authenticated=True,
            encrypted=True,
        ),
        Flow(from_="forge-api", to="forge-mcp", kind="api", data=["source-code"]),
        Flow(from_="public-issues", to="forge-api", kind="ingest"),
    ],
)
