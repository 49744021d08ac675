"""Monitoring over HTTP: observation batches in (checked whole), the game plan, costs, deliveries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from infrastructure.api.caller import request_fingerprint
from infrastructure.api.schemas import ObservationBatch
from infrastructure.monitoring.monitor import MonitorRunner
from tests.api.conftest import MODEL, VERSION, Api

PROBLEMS = "https://modelgov.dev/problems/"


# Observed after the model is registered (now, in each test), and not in the future.
def observation() -> dict[str, Any]:
    """An AUC figure observed a minute from now: after the model the test registers."""
    return {
        "metric": "auc", "value": 0.7, "version": 1, "environment": "production",
        "observed_at": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
    }  # fmt: skip


def _model_with_target(api: Api) -> None:
    assert api.post("/v1/models", MODEL, role="ml_engineer").status_code == 201  # type: ignore[attr-defined]
    assert api.post("/v1/models/churn/versions", VERSION, role="ml_engineer").status_code == 201  # type: ignore[attr-defined]
    target = {"dimension": "accuracy", "metric": "auc", "comparator": ">=", "threshold": 0.8,
              "severity": "critical"}  # fmt: skip
    assert api.post("/v1/models/churn/targets", target, role="data_scientist").status_code == 200  # type: ignore[attr-defined]


def _monitor(api: Api) -> MonitorRunner:
    client: TestClient = api.client
    monitor: MonitorRunner = client.app.state.monitor  # type: ignore[attr-defined]
    return monitor


def test_a_batch_is_accepted_stored_and_judged(api: Api) -> None:
    _model_with_target(api)
    batch = {"observations": [observation(), {**observation(), "value": 0.9}]}

    response: Any = api.post("/v1/models/churn/metrics", batch, role="devops_engineer")

    assert (response.status_code, response.json()) == (202, {"model": "churn", "accepted": 2})
    monitor = _monitor(api)
    assert [o.value for o in monitor.observations.after(0, limit=10)] == [0.7, 0.9]
    monitor.catch_up()  # version 1 never served in production: refused by the rules, logged
    assert any("never served in production" in r for r in monitor.totals.refused)


def test_a_retried_batch_with_its_idempotency_key_is_stored_once(api: Api) -> None:
    _model_with_target(api)
    batch = {"observations": [observation()]}
    for _ in range(2):
        response: Any = api.post(
            "/v1/models/churn/metrics", batch, role="ml_engineer", **{"Idempotency-Key": "b-1"}
        )
        assert response.status_code == 202
    assert response.headers["Idempotent-Replayed"] == "true"
    assert len(_monitor(api).observations.after(0, limit=10)) == 1


def test_values_posted_together_are_judged_in_time_order_as_if_each_came_alone(
    api: Api,
) -> None:
    _model_with_target(api)
    approval = api.post("/v1/models/churn/versions/1/approvals", {}, role="data_scientist")
    activation = api.post("/v1/models/churn/activations",
                          {"version": 1, "environment": "production"}, role="devops_engineer")  # fmt: skip
    assert (approval.status_code, activation.status_code) == (200, 200)  # type: ignore[attr-defined]
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=10)

    def post(*values: tuple[int, float]) -> None:
        batch = {"observations": [
            {**observation(), "value": value, "observed_at": (start + timedelta(seconds=s)).isoformat()}
            for s, value in values
        ]}  # fmt: skip
        response: Any = api.post("/v1/models/churn/metrics", batch, role="devops_engineer")
        assert response.status_code == 202
        _monitor(api).catch_up()

    post((0, 0.5))  # B-1 opens
    post((4, 0.5), (1, 0.9), (3, 0.9), (2, 0.5))  # several at once, out of order

    events = api.get("/v1/models/churn/events").json()["items"]  # type: ignore[attr-defined]
    assert [
        (e["event"], e["details"]["breach_id"], e["details"]["observed_value"],
         (datetime.fromisoformat(e["effective_at"]) - start).seconds)
        for e in events if e["event"] in ("BreachOpened", "BreachClosed")
    ] == [
        ("BreachOpened", "B-1", 0.5, 0), ("BreachClosed", "B-1", 0.9, 1),
        ("BreachOpened", "B-2", 0.5, 2), ("BreachClosed", "B-2", 0.9, 3),
        ("BreachOpened", "B-3", 0.5, 4),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"version": 9}, "observations[1].version"),
        ({"environment": "moon"}, "observations[1].environment"),
        ({"observed_at": "2099-01-01T00:00:00Z"}, "observations[1].observed_at"),
    ],
)
def test_one_bad_entry_refuses_the_whole_batch(api: Api, entry: dict[str, Any], field: str) -> None:
    _model_with_target(api)
    batch = {"observations": [observation(), {**observation(), **entry}]}

    response: Any = api.post("/v1/models/churn/metrics", batch, role="ml_engineer")

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in response.json()["detail"]
    assert _monitor(api).observations.after(0, limit=10) == []


def test_malformed_observations_name_the_field(api: Api) -> None:
    _model_with_target(api)
    batch = {"observations": [{**observation(), "value": "high", "group": "female"}]}
    response: Any = api.post("/v1/models/churn/metrics", batch, role="ml_engineer")
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"body.observations.0.value", "body.observations.0.group"}


@pytest.mark.parametrize(
    ("entry", "errors"),
    [
        (5, [("body.observations.1", "model_attributes_type")]),
        (None, [("body.observations.1", "model_attributes_type")]),
        ({"extra": 1}, [("body.observations.1.extra", "extra_forbidden")]),
        ({"metric": None}, [("body.observations.1.metric", "string_type")]),
        ({"observed_at": "2026-01-01T00:00:00"}, [("body.observations.1.observed_at", "timezone_aware")]),
        ({"version": 0, "environment": "Prod!", "metric": ""},
         [("body.observations.1.metric", "string_too_short"),
          ("body.observations.1.version", "greater_than_equal"),
          ("body.observations.1.environment", "string_pattern_mismatch")]),
        ({"sample_count": 1.5}, [("body.observations.1.sample_count", "int_from_float")]),
    ],
)  # fmt: skip
def test_a_malformed_entry_is_named_with_each_of_its_fields_in_order(
    api: Api, entry: Any, errors: list[tuple[str, str]]
) -> None:
    """As when the entries were models (they are parsed as dicts): the same answer, word for word."""
    _model_with_target(api)
    bad = {**observation(), **entry} if isinstance(entry, dict) else entry
    response: Any = api.post(
        "/v1/models/churn/metrics", {"observations": [observation(), bad]}, role="ml_engineer"
    )
    assert (response.status_code, response.json()["type"]) == (422, PROBLEMS + "invalid_request")
    assert [(e["field"], e["type"]) for e in response.json()["errors"]] == errors
    if entry in (5, None):
        message = "Input should be a valid dictionary or object to extract fields from"
        assert response.json()["errors"][0]["message"] == message


def test_a_batch_is_fingerprinted_with_its_optional_fields_null_when_left_out() -> None:
    """An Idempotency-Key's request hash is of the parsed body: left-out `group` and
    `sample_count` are None in it, as they were when entries were models (stored hashes match)."""
    entry = {"metric": "auc", "value": 1, "version": "2", "environment": "production",
             "observed_at": "2026-11-01T09:30:00+01:00"}  # fmt: skip
    parsed = ObservationBatch.model_validate({"observations": [entry]})
    assert parsed.model_dump(mode="json") == {"observations": [{
        "metric": "auc", "value": 1.0, "version": 2, "environment": "production",
        "observed_at": "2026-11-01T08:30:00Z", "group": None, "sample_count": None,
    }]}  # fmt: skip
    assert request_fingerprint("POST", "/v1/models/churn/metrics", parsed) == (
        "7ee086e23f7411bbd7782c97760ff51356ce51e1389df0656e4e753e8d432d6f"
    )


def test_unknown_model_and_oversized_batches_are_refused(api: Api) -> None:
    response: Any = api.post("/v1/models/nope/metrics", {"observations": [observation()]},
                             role="ml_engineer")  # fmt: skip
    assert response.status_code == 404
    too_many = {"observations": [observation()] * 10_001}
    response = api.post("/v1/models/nope/metrics", too_many, role="ml_engineer")
    assert response.status_code == 422
    assert "at most 10000" in response.text
    too_big = b" " * (4 * 1024 * 1024 + 1)  # over the 4 MiB an observation batch may take
    response = api.client.post(
        "/v1/models/nope/metrics", content=too_big, headers=api.headers("ml_engineer")
    )
    assert response.status_code == 413


def test_the_game_plan_round_trips_and_bad_plans_are_refused(api: Api) -> None:
    _model_with_target(api)
    plan = {"notifications": [{"url": "https://hooks.example/ml", "events": ["BreachOpened"],
                               "min_severity": "warning"}],
            "responses": [{"dimension": "accuracy", "environment": "production",
                           "min_severity": "critical", "action": "roll_back"}]}  # fmt: skip
    response: Any = api.post("/v1/models/churn/game-plan", {"game_plan": plan, "reason": "ops"},
                             role="compliance_officer")  # fmt: skip
    assert response.status_code == 200
    assert api.get("/v1/models/churn/game-plan").json() == plan  # type: ignore[attr-defined]

    bad = {"game_plan": {"notifications": [{"url": "https://x.example", "events": ["Nope"]}]},
           "reason": "typo"}  # fmt: skip
    response = api.post("/v1/models/churn/game-plan", bad, role="compliance_officer")
    assert response.status_code == 422
    assert "game_plan.notifications[0].events[0]" in response.json()["detail"]
    no_reason = {"game_plan": plan}
    response = api.post("/v1/models/churn/game-plan", no_reason, role="ml_engineer")
    assert response.status_code == 422
    assert "reason" in response.json()["detail"]


def test_costs_show_back_per_month_and_business_unit(api: Api) -> None:
    _model_with_target(api)
    budget = {"dimension": "cost", "metric": "monthly_cost_eur", "comparator": "<=",
              "threshold": 1000, "unit": "EUR"}  # fmt: skip
    api.post("/v1/models/churn/targets", budget, role="data_scientist")
    for unit, amount in (("Retail", "600.00"), ("Cards", "500.00")):
        cost = {"period": "2026-01", "amount": amount, "currency": "EUR", "business_unit": unit}
        assert api.post("/v1/models/churn/costs", cost, role="business_owner").status_code == 200  # type: ignore[attr-defined]

    months = api.get("/v1/models/churn/costs").json()["months"]  # type: ignore[attr-defined]
    assert [(m["business_unit"], m["amount"], m["month_total"], m["over_budget"])
            for m in months] == [("Cards", "500.00", "1100.00", True),
                                 ("Retail", "600.00", "1100.00", True)]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("targets", {"dimension": "accuracy", "metric": "auc", "comparator": ">=",
                     "threshold": 0.8, "window": "moving_average:0"}, "body.window"),
        ("targets", {"dimension": "accuracy", "metric": "auc", "comparator": ">=",
                     "threshold": 0.8, "window": "moving_average_minutes:0"}, "body.window"),
        # Refused at the edge, where it is turned into UTC (and falls before year 1).
        ("metrics", {"observations": [{**observation(), "observed_at": "0001-01-01T00:00:00+05:00"}]},
         "body.observations.0.observed_at"),
        ("metrics", {"observations": [{**observation(), "observed_at": "2020-01-01T00:00:00Z"}]},
         "observations[0].observed_at"),
        ("game-plan", {"game_plan": {"notifications": [{"url": "http://hooks.example/x"}]},
                       "reason": "plain http"}, "game_plan.notifications[0].url"),
    ],
)  # fmt: skip
def test_inputs_that_would_break_monitoring_are_refused(
    api: Api, path: str, body: dict[str, Any], field: str
) -> None:
    _model_with_target(api)
    role = {"targets": "data_scientist", "metrics": "ml_engineer"}.get(path, "compliance_officer")
    response: Any = api.post(f"/v1/models/churn/{path}", body, role=role)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in response.text
