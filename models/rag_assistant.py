"""The internal knowledge assistant of rag-assistant.yaml, built with the Python API.

A Python model suits teams that generate parts of the model from code (service registries,
infrastructure definitions). Loading this file runs it: it is trusted as your code is.
"""

from tmcode import (
    LLM,
    UI,
    Boundary,
    DataAsset,
    Flow,
    Model,
    PlainComponent,
    Retriever,
    Store,
    System,
    User,
)

DOCUMENTS = ["hr-docs", "eng-docs"]

model = Model(
    tmcode=1,
    system=System(
        id="rag-assistant",
        name="Internal knowledge assistant",
        owner="knowledge-platform",
        lifecycle="production",
        controls=["audit_logging", "aibom"],
    ),
    boundaries={
        "corp": Boundary(name="Corporate network", trust="internal"),
        "gpu": Boundary(name="Inference cluster", trust="internal", parent="corp"),
        "saas": Boundary(name="Document SaaS", trust="partner"),
    },
    data={
        "hr-docs": DataAsset(classification="restricted", tags=["pii"]),
        "eng-docs": DataAsset(classification="confidential", tags=["ip"]),
        "answers": DataAsset(classification="internal"),
    },
    components={
        "employee": User(boundary="corp", audience="employees", authenticated=True),
        "web-ui": UI(boundary="corp", renders=["markdown", "links"]),
        "doc-connector": PlainComponent(kind="service", boundary="saas"),
        "indexer": PlainComponent(
            kind="service", boundary="corp", controls=["ingest_validation", "provenance_tracking"]
        ),
        "index": Store(
            kind="vector_store",
            boundary="corp",
            stores=DOCUMENTS,
            tenancy="single",
            controls=["encryption_at_rest"],
        ),
        "retriever": Retriever(boundary="corp", controls=["access_control"]),
        "answer-model": LLM(
            boundary="gpu",
            hosting="self_hosted",
            model="open-weights-70b",
            controls=["grounding_citations", "output_token_limit"],
        ),
    },
    flows=[
        Flow(from_="employee", to="web-ui", kind="prompt", authenticated=True, encrypted=True),
        Flow(from_="web-ui", to="retriever", kind="api", authenticated=True),
        Flow(from_="doc-connector", to="indexer", kind="ingest", data=DOCUMENTS),
        Flow(from_="indexer", to="index", kind="ingest", data=DOCUMENTS),
        Flow(from_="index", to="retriever", kind="retrieval", data=DOCUMENTS),
        Flow(from_="retriever", to="answer-model", kind="context", data=DOCUMENTS),
        Flow(from_="web-ui", to="answer-model", kind="prompt"),
        Flow(from_="answer-model", to="web-ui", kind="output", data=["answers"]),
    ],
)
