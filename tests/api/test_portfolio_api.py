"""The portfolio over HTTP: findings worst first, and exposure computed from the usage windows."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import MODEL, VERSION, Api


def test_compliance_lists_the_worst_models_first_and_exposure_counts_serving_time(api: Api) -> None:
    assert api.post("/v1/models", {**MODEL, "name": "quiet"}, role="ml_engineer").status_code == 201
    onboarded = "2025-12-30T00:00:00Z"  # the model's history is entered after the fact
    assert (
        api.post("/v1/models", {**MODEL, "effective_at": onboarded}, role="ml_engineer").status_code
        == 201
    )
    version = {**VERSION, "effective_at": onboarded}
    assert api.post("/v1/models/churn/versions", version, role="ml_engineer").status_code == 201
    approval = {"effective_at": onboarded}
    assert (
        api.post(
            "/v1/models/churn/versions/1/approvals", approval, role="data_scientist"
        ).status_code
        == 200
    )
    activation = {"version": 1, "environment": "production", "effective_at": "2026-01-01T00:00:00Z"}
    assert (
        api.post("/v1/models/churn/activations", activation, role="devops_engineer").status_code
        == 200
    )
    flag = {"version": 1, "attribute": "age", "metric": "dpd", "value": 0.3, "threshold": 0.1,
            "effective_at": "2026-01-02T00:00:00Z"}  # fmt: skip
    assert api.post("/v1/models/churn/bias-flags", flag, role="data_scientist").status_code == 200
    policy = {"risk_tier": "high", "reason": "now regulated"}
    assert api.post("/v1/models/churn/policy", policy, role="compliance_officer").status_code == 200

    portfolio: Any = api.get("/v1/portfolio/compliance").json()
    assert [m["model"] for m in portfolio["models"]] == ["churn", "quiet"]
    assert [f["finding"] for f in portfolio["models"][0]["findings"]] == [
        "active_version_missing_gates",
        "no_monitoring_data",  # no production figures since it went live
        "bias_flag_overdue",
        "targets_missing",
    ]
    assert portfolio["totals"] == {"models": 2, "with_findings": 1}

    exposure: Any = api.get("/v1/models/churn/exposure").json()
    [entry] = exposure["exposure"]
    assert entry["id"] == "BF-1" and entry["open"]
    assert (
        entry["served_seconds"]["production"] > 300 * 24 * 3600
    )  # open since January, still serving
