"""The card fraud scoring service of fraud-scoring.yaml, built with the Python API."""

from tmcode import Boundary, DataAsset, Dataset, Flow, MlModel, Model, ModelArtifact, PlainComponent, System, User

model = Model(
    tmcode=1,
    system=System(
        id="fraud-scoring",
        name="Card fraud scoring",
        owner="risk-engineering",
        lifecycle="production",
        controls=["audit_logging", "monitoring_alerting", "aibom"],
    ),
    boundaries={"internet": Boundary(trust="untrusted"), "payments": Boundary(trust="privileged")},
    data={
        "transactions": DataAsset(classification="restricted", tags=["pci", "financial"]),
        "scores": DataAsset(classification="confidential"),
    },
    components={
        "cardholder": User(boundary="internet", audience="customers", authenticated=False),
        "gateway": PlainComponent(kind="service", boundary="payments", exposure="internet"),
        "scorer": MlModel(boundary="payments", decision="financial"),
        "model-file": ModelArtifact(boundary="payments", format="joblib"),
        "history": Dataset(boundary="payments", origin="internal", contains=["transactions"]),
        "analyst": User(boundary="payments", audience="operators", authenticated=True),
    },
    flows=[
        Flow(from_="cardholder", to="gateway", kind="api", data=["transactions"], encrypted=True),
        Flow(from_="gateway", to="scorer", kind="api", data=["transactions"]),
        Flow(from_="scorer", to="gateway", kind="output", data=["scores"]),
        Flow(from_="model-file", to="scorer", kind="artifact"),
        Flow(from_="history", to="scorer", kind="training_data", data=["transactions"]),
        Flow(from_="scorer", to="analyst", kind="output", data=["scores"]),
    ],
)
