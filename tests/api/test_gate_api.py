"""GET /v1/models/{name}/versions/{number}/gate: what `modelgov gate` asks a server."""

from __future__ import annotations

from tests.api.conftest import MODEL, Api
from tests.factories import card

PROBLEMS = "https://modelgov.dev/problems/"


def test_the_gate_lists_every_refusal_then_allows_what_the_activation_allows(api: Api) -> None:
    assert api.post("/v1/models", MODEL, role="ml_engineer").status_code == 201
    assert (
        api.post("/v1/models/churn/versions", {"card": card()}, role="ml_engineer").status_code
        == 201
    )
    gate = "/v1/models/churn/versions/1/gate"

    moon = api.get(gate, environment="moon", role="devops_engineer").json()
    assert moon["allowed"] is False
    assert moon["unmet_gates"][0]["gate"] == "environment_allowed"

    before = api.get(gate, environment="production", role="devops_engineer").json()
    refusal = api.post(
        "/v1/models/churn/activations", {"version": 1, "environment": "production"},
        role="devops_engineer",
    )  # fmt: skip
    assert refusal.status_code == 409
    assert before["unmet_gates"] == refusal.json()["unmet_gates"]
    assert before["allowed"] is False and before["unmet_gates"]

    approval = api.post("/v1/models/churn/versions/1/approvals", {}, role="data_scientist")
    assert approval.status_code in (200, 201), approval.text
    after = api.get(gate, environment="production", role="devops_engineer").json()
    assert after == {
        "model": "churn", "version": 1, "environment": "production",
        "allowed": True, "unmet_gates": [],
    }  # fmt: skip


def test_an_unknown_version_or_a_malformed_environment_is_a_problem(api: Api) -> None:
    assert api.post("/v1/models", MODEL, role="ml_engineer").status_code == 201
    missing = api.get("/v1/models/churn/versions/9/gate", environment="production")
    assert missing.status_code == 404
    assert missing.json()["type"] == PROBLEMS + "version_not_found"
    bad = api.get("/v1/models/churn/versions/1/gate", environment="Prod Env")
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert api.get("/v1/models/churn/versions/1/gate").status_code == 422  # environment required
