"""Legal holds and retention through the API: a clear 4xx for a second hold, a release with none,
or a policy that keeps less than the law asks; the model's read view shows the hold."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import MODEL, Api

HOLD = "/v1/models/churn/legal-hold"
RELEASE = "/v1/models/churn/legal-hold/release"
PROBLEMS = "https://modelgov.dev/problems/"


def _registered(api: Api) -> None:
    assert api.post("/v1/models", MODEL, role="ml_engineer").status_code == 201  # type: ignore[attr-defined]


def _model(api: Api) -> dict[str, Any]:
    return api.get("/v1/models/churn").json()  # type: ignore[attr-defined, no-any-return]


def test_a_hold_is_placed_once_shown_on_the_model_and_released_once(api: Api) -> None:
    _registered(api)
    placed = api.post(HOLD, {"matter": "CASE-7", "reason": "regulator's inquiry"},
                      role="compliance_officer")  # fmt: skip
    assert placed.status_code == 200, placed.text  # type: ignore[attr-defined]
    hold = _model(api)["legal_hold"]
    assert hold["matter"] == "CASE-7" and hold["role"] == "compliance_officer"
    assert hold["reason"] == "regulator's inquiry" and hold["placed_at"].endswith("Z")

    again = api.post(HOLD, {"reason": "again"}, role="compliance_officer")
    assert again.status_code == 409  # type: ignore[attr-defined]
    assert again.json()["type"] == PROBLEMS + "legal_hold_already_placed"  # type: ignore[attr-defined]
    assert again.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]

    released = api.post(RELEASE, {"reason": "inquiry closed"}, role="compliance_officer")
    assert released.status_code == 200  # type: ignore[attr-defined]
    assert _model(api)["legal_hold"] is None
    twice = api.post(RELEASE, {"reason": "again"}, role="compliance_officer")
    assert twice.status_code == 409  # type: ignore[attr-defined]
    assert twice.json()["type"] == PROBLEMS + "no_legal_hold"  # type: ignore[attr-defined]


def test_a_hold_without_a_reason_is_refused_and_records_nothing(api: Api) -> None:
    _registered(api)
    refused = api.post(HOLD, {"matter": "CASE-7"}, role="compliance_officer")
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert _model(api)["legal_hold"] is None


def test_a_policy_keeping_observations_less_than_six_months_is_refused(api: Api) -> None:
    _registered(api)
    policy = {"required_gates": ["data_scientist_release_approval"]}
    short = {"risk_tier": "low", "reason": "save space",
             "policy": {**policy, "observation_retention_months": 3}}  # fmt: skip
    refused = api.post("/v1/models/churn/policy", short, role="compliance_officer")
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "observation_retention_months" in refused.text  # type: ignore[attr-defined]
    assert _model(api)["policy"]["observation_retention_months"] == 6  # the tier's, unchanged

    longer = {"risk_tier": "low", "reason": "litigation-prone market",
              "policy": {**policy, "observation_retention_months": 36}}  # fmt: skip
    assert api.post("/v1/models/churn/policy", longer, role="compliance_officer").status_code == 200  # type: ignore[attr-defined]
    stated = _model(api)["policy"]
    assert stated["observation_retention_months"] == 36
    assert (stated["log_retention_months"], stated["documentation_retention_years"]) == (6, 10)
