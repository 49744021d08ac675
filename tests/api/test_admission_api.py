"""The admission check over HTTP: allowed only for the exact artifact of the version active and
approved in that environment now; denied with the reason otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import MODEL, Api
from tests.factories import card

V1, V2, UNKNOWN = "11" * 32, "22" * 32, "99" * 32


def ok(response: Any) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def check(api: Api, digest: str, environment: str, *, role: str = "devops_engineer") -> Any:
    return ok(api.get("/v1/admission", artifact_sha256=digest, environment=environment, role=role))


@pytest.fixture
def serving(api: Api) -> Api:
    """churn v1 (artifact 11..) active and approved in production; v2 (22..) registered only."""
    ok(api.post("/v1/models", MODEL, role="ml_engineer"))
    for digest in (V1, V2):
        ok(api.post("/v1/models/churn/versions", {"card": card(artifact_sha256=digest)},
                    role="ml_engineer"))  # fmt: skip
    ok(api.post("/v1/models/churn/versions/1/approvals", {}, role="data_scientist"))
    ok(api.post("/v1/models/churn/activations", {"version": 1, "environment": "production"},
                role="devops_engineer"))  # fmt: skip
    return api


def test_the_active_approved_artifact_is_allowed_where_it_serves(serving: Api) -> None:
    assert check(serving, V1, "production") == {
        "allowed": True, "model": "churn", "version": 1,
        "reason": "version 1 of model 'churn' is active in production and approved",
    }  # fmt: skip
    assert check(serving, V1.upper(), "production")["allowed"] is True  # hex in either case


def test_an_unknown_artifact_is_denied(serving: Api) -> None:
    answer = check(serving, UNKNOWN, "production")
    assert answer["allowed"] is False and answer["model"] is None
    assert "no registered version of any model" in answer["reason"]


def test_a_known_artifact_not_active_there_is_denied_naming_what_is(serving: Api) -> None:
    answer = check(serving, V2, "production")
    assert (answer["allowed"], answer["model"], answer["version"]) == (False, "churn", 2)
    assert "not active in production (version 1 is)" in answer["reason"]
    assert "(nothing is)" in check(serving, V1, "staging")["reason"]


def test_an_open_bias_flag_denies_the_active_version_until_it_is_resolved(serving: Api) -> None:
    flag = {"version": 1, "attribute": "age", "metric": "dpd", "value": 0.3, "threshold": 0.1}
    ok(serving.post("/v1/models/churn/bias-flags", flag, role="data_scientist"))
    answer = check(serving, V1, "production")
    assert answer["allowed"] is False and "open bias flag" in answer["reason"]


def test_a_deactivated_version_is_denied(serving: Api) -> None:
    ok(serving.post("/v1/models/churn/deactivations",
                    {"version": 1, "environment": "production", "reason": "done"},
                    role="devops_engineer"))  # fmt: skip
    answer = check(serving, V1, "production")
    assert answer["allowed"] is False and "nothing is" in answer["reason"]


def test_a_stricter_policy_denies_a_version_it_no_longer_counts_as_approved(serving: Api) -> None:
    policy = {"risk_tier": "regulated", "reason": "now regulated"}
    ok(serving.post("/v1/models/churn/policy", policy, role="compliance_officer"))
    answer = check(serving, V1, "production")
    assert answer["allowed"] is False and "not approved now" in answer["reason"]


@pytest.mark.parametrize("role", ["auditor", "devops_engineer", "ml_engineer", "business_owner"])
def test_any_token_may_ask(serving: Api, role: str) -> None:
    assert check(serving, V1, "production", role=role)["allowed"] is True


def test_a_malformed_question_is_a_422_and_no_token_a_401(serving: Api) -> None:
    for params in ({"artifact_sha256": "abc", "environment": "production"},
                   {"artifact_sha256": V1, "environment": "Prod uction"},
                   {"artifact_sha256": V1}):  # fmt: skip
        answer = serving.get("/v1/admission", **params)
        assert answer.status_code == 422, answer.text  # type: ignore[attr-defined]
    anonymous = serving.get(
        "/v1/admission", artifact_sha256=V1, environment="production", role=None
    )
    assert anonymous.status_code == 401  # type: ignore[attr-defined]


def test_an_artifact_two_models_share_is_denied_when_either_may_not_serve(serving: Api) -> None:
    """The server asking does not say which model it serves: one denial denies (fails closed)."""
    twin = {**MODEL, "name": "churn-twin"}
    ok(serving.post("/v1/models", twin, role="ml_engineer"))
    ok(serving.post("/v1/models/churn-twin/versions", {"card": card(artifact_sha256=V1)},
                    role="ml_engineer"))  # fmt: skip
    ok(serving.post("/v1/models/churn-twin/versions/1/approvals", {}, role="data_scientist"))
    ok(serving.post("/v1/models/churn-twin/activations",
                    {"version": 1, "environment": "production"}, role="devops_engineer"))  # fmt: skip
    assert check(serving, V1, "production")["allowed"] is True  # both may serve
    flag = {"version": 1, "attribute": "age", "metric": "dpd", "value": 0.3, "threshold": 0.1}
    ok(serving.post("/v1/models/churn-twin/bias-flags", flag, role="data_scientist"))
    answer = check(serving, V1, "production")
    assert (answer["allowed"], answer["model"]) == (False, "churn-twin")
    assert "open bias flag" in answer["reason"]


def test_a_policy_that_no_longer_allows_the_environment_denies_what_serves_there(
    serving: Api,
) -> None:
    policy = {"risk_tier": "low", "reason": "production moves to the new platform",
              "policy": {"required_gates": ["data_scientist_release_approval"],
                         "environments": ["staging"]}}  # fmt: skip
    ok(serving.post("/v1/models/churn/policy", policy, role="compliance_officer"))
    answer = check(serving, V1, "production")
    assert answer["allowed"] is False
    assert "no longer allows production (only: staging)" in answer["reason"]
