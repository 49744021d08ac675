"""Behaviour at the edges: problems, ETag/If-Match, Idempotency-Key, caps, attribution, concurrency."""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from eventsourcing.persistence import OperationalError
from fastapi.testclient import TestClient

from infrastructure.api.app import create_app
from infrastructure.db import fault_points
from infrastructure.settings import Settings
from tests.api.conftest import MODEL, PRINCIPAL_OF, VERSION, Api
from tests.ledger_tampering import as_dba


def _model_with_version(api: Api) -> None:
    assert api.post("/v1/models", MODEL, role="ml_engineer").status_code == 201
    assert api.post("/v1/models/churn/versions", VERSION, role="ml_engineer").status_code == 201


def _event_count(api: Api) -> int:
    return len(api.get("/v1/models/churn/events", limit=500).json()["items"])


def test_a_refused_activation_is_409_listing_every_unmet_gate(api: Api) -> None:
    _model_with_version(api)
    refused = api.post("/v1/models/churn/activations", {"version": 1, "environment": "production"},
                       role="devops_engineer")  # fmt: skip
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"].endswith("/activation_refused")
    assert [g["gate"] for g in problem["unmet_gates"]] == ["data_scientist_release_approval"]
    assert _event_count(api) == 2


def test_validation_errors_are_422_with_field_paths(api: Api) -> None:
    response = api.post("/v1/models", {**MODEL, "risk_tier": "extreme", "stakeholders": [{}]},
                        role="ml_engineer")  # fmt: skip
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert "body.risk_tier" in fields
    assert "body.stakeholders.0.name" in fields


def test_unknown_models_and_versions_are_404(api: Api) -> None:
    assert api.get("/v1/models/nope").json()["type"].endswith("/model_not_found")
    _model_with_version(api)
    missing = api.get("/v1/models/churn/versions/9")
    assert missing.status_code == 404
    assert missing.json()["type"].endswith("/version_not_found")
    assert api.get("/v1/models/churn/state", version=99).status_code == 404


def test_a_stale_if_match_is_412_and_records_nothing(api: Api) -> None:
    _model_with_version(api)
    etag = api.get("/v1/models/churn").headers["etag"]
    assert etag == '"2"'
    stale = api.post(
        "/v1/models/churn/versions/1/approvals", {}, role="data_scientist", **{"If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert stale.json()["current_revision"] == stale.json()["current_version"] == 2
    assert _event_count(api) == 2
    fresh = api.post(
        "/v1/models/churn/versions/1/approvals", {}, role="data_scientist", **{"If-Match": etag}
    )
    assert fresh.status_code == 200
    assert fresh.headers["etag"] == '"3"'
    assert (
        api.post(
            "/v1/models/churn/costs", {}, role="business_owner", **{"If-Match": "3"}
        ).status_code
        == 400
    )


def test_a_retry_with_the_same_idempotency_key_returns_the_original_and_records_nothing(
    api: Api,
) -> None:
    _model_with_version(api)
    body = {"period": "2026-10", "amount": "99.00", "currency": "EUR", "business_unit": "Retail"}
    first = api.post(
        "/v1/models/churn/costs", body, role="business_owner", **{"Idempotency-Key": "k-1"}
    )
    again = api.post(
        "/v1/models/churn/costs", body, role="business_owner", **{"Idempotency-Key": "k-1"}
    )
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert _event_count(api) == 3
    other = api.post("/v1/models/churn/costs", {**body, "amount": "100.00"}, role="business_owner",
                     **{"Idempotency-Key": "k-1"})  # fmt: skip
    assert other.status_code == 422
    assert other.json()["type"].endswith("/idempotency_key_reused")
    assert _event_count(api) == 3


def test_a_retried_refusal_is_answered_the_same_way(api: Api) -> None:
    _model_with_version(api)
    body = {"version": 1, "environment": "production"}
    first = api.post(
        "/v1/models/churn/activations", body, role="devops_engineer", **{"Idempotency-Key": "a"}
    )
    again = api.post(
        "/v1/models/churn/activations", body, role="devops_engineer", **{"Idempotency-Key": "a"}
    )
    assert first.status_code == again.status_code == 409
    assert again.json() == first.json()


def test_bodies_and_pages_are_capped(api: Api) -> None:
    huge = {**MODEL, "description": "x" * 70_000}
    too_large = api.post("/v1/models", huge, role="ml_engineer")
    assert too_large.status_code == 413
    assert too_large.json()["type"].endswith("/payload_too_large")
    assert api.get("/v1/models", limit=101).status_code == 422
    assert api.get("/v1/events", limit=501).status_code == 422


def test_the_principal_and_role_come_from_the_token_never_the_body(api: Api) -> None:
    forged = api.post(
        "/v1/models", {**MODEL, "actor": "mallory", "role": "admin"}, role="ml_engineer"
    )
    assert forged.status_code == 422
    assert api.post("/v1/models", MODEL, role="ml_engineer").status_code == 201
    registered = api.get("/v1/models/churn/events").json()["items"][0]
    assert (registered["actor"], registered["role"]) == (PRINCIPAL_OF["ml_engineer"], "ml_engineer")


def test_the_request_id_is_recorded_as_the_correlation_id(api: Api) -> None:
    assert (
        api.post("/v1/models", MODEL, role="ml_engineer", **{"X-Request-ID": "req-42"}).status_code
        == 201
    )
    assert api.get("/v1/models/churn/events").json()["items"][0]["correlation_id"] == "req-42"


def test_concurrent_commands_without_if_match_are_all_recorded(api: Api) -> None:
    _model_with_version(api)
    results: list[int] = []

    def report(index: int) -> None:
        body = {
            "period": "2026-10",
            "amount": f"{index}.00",
            "currency": "EUR",
            "business_unit": "Retail",
        }
        results.append(api.post("/v1/models/churn/costs", body, role="business_owner").status_code)

    threads = [threading.Thread(target=report, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200] * 8
    assert _event_count(api) == 2 + 8


def test_state_replays_by_version_and_refuses_two_selectors(api: Api) -> None:
    _model_with_version(api)
    first = api.get("/v1/models/churn/state", version=1).json()
    assert first["model_revision"] == 1 and first["versions"] == []
    both = api.get("/v1/models/churn/state", version=1, at="2026-01-01T00:00:00Z")
    assert both.status_code == 422


def test_the_global_feed_pages_in_commit_order(api: Api) -> None:
    _model_with_version(api)
    page: Any = api.get("/v1/events", limit=1).json()
    assert [item["event"] for item in page["items"]] == ["Registered"]
    rest = api.get("/v1/events", cursor=page["next_cursor"]).json()
    assert [item["event"] for item in rest["items"]] == ["VersionRegistered"]
    assert rest["items"][0]["model"] == "churn" and rest["next_cursor"] is None
    assert api.get("/v1/events", cursor=rest["resume_cursor"]).json()["items"] == []


def test_the_deprecated_after_still_pages_the_feed_and_says_so(api: Api) -> None:
    _model_with_version(api)
    first = api.get("/v1/events", limit=1).json()["items"][0]
    rest: Any = api.get("/v1/events", after=first["position"])
    assert rest.headers["Deprecation"] == "true" and "?after=" in rest.headers["Warning"]
    assert [item["event"] for item in rest.json()["items"]] == ["VersionRegistered"]
    both = api.get("/v1/events", after=0, cursor=rest.json()["resume_cursor"])
    assert both.status_code == 422


def test_health_and_readiness(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz").json()
    leases = ready.pop("leases")
    assert ready.pop("process") == f"{socket.gethostname()}:{os.getpid()}"
    assert ready == {"status": "ready", "sealer": "off", "projection_lag": 0}
    # Nothing here seals, judges or delivers; the projections' lease is this process's, soon.
    assert {job: leases[job] for job in ("sealer", "monitor", "webhooks")} == dict.fromkeys(
        ("sealer", "monitor", "webhooks")
    )
    assert set(leases) == {"sealer", "projections", "monitor", "webhooks"}


def test_readiness_is_503_not_500_when_the_store_cannot_say_how_far_the_read_models_are(
    api: Api,
) -> None:
    api.client.app.state.sql.execute("DROP TABLE modelgov_projection_tracking")  # a read fails

    answer = api.client.get("/readyz")

    assert answer.status_code == 503, answer.text
    body = answer.json()
    assert body["status"] == "unavailable"
    assert body["detail"].startswith("the event store does not answer: ")
    assert "projection_lag" not in body


def test_readiness_is_503_while_an_append_only_trigger_is_gone(api: Api, backend: Settings) -> None:
    """Dropped (or disabled) after the process opened the store, which checks them only then."""
    assert api.client.get("/readyz").status_code == 200
    as_dba(backend)  # the events' and the ledger's triggers dropped (SQLite) or disabled

    answer = api.client.get("/readyz")

    assert answer.status_code == 503, answer.text
    body = answer.json()
    assert body["status"] == "unavailable"
    state = "missing" if backend.database.kind == "sqlite" else "disabled"
    assert body["detail"].startswith(f"append-only trigger {state} on "), body["detail"]
    assert "modelgov db triggers install" in body["detail"]
    assert body["projection_lag"] == 0  # the rest is said as before


def test_a_server_that_monitors_but_does_not_seal_still_runs_the_projections(
    backend: Settings,
) -> None:
    with TestClient(create_app(backend, monitor=True)) as client:
        ready = client.get("/readyz").json()
    assert ready["sealer"] == "off"
    assert ready["projection_lag"] == 0
    assert ready["monitoring_lag"] == {"observations": 0, "events": 0}


def test_a_revoked_token_is_refused(api: Api) -> None:
    tokens = api.client.app.state.services.tokens
    record = next(r for r in tokens.list() if r.role == "auditor")
    tokens.revoke(record.token_id)
    assert api.get("/v1/models").status_code == 401


def test_a_chunked_body_over_the_cap_is_413_too(api: Api) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(70):
            yield b" " * 1024

    response = api.client.post(
        "/v1/models", content=chunks(),
        headers=api.headers("ml_engineer", **{"Content-Type": "application/json"}),
    )  # fmt: skip
    assert response.status_code == 413
    assert response.json()["type"].endswith("/payload_too_large")


@pytest.mark.parametrize("key", ["x" * 256, "", "has space"])
def test_a_malformed_idempotency_key_is_refused_before_anything_runs(api: Api, key: str) -> None:
    response = api.client.post(
        "/v1/models", content=json.dumps(MODEL).encode(),
        headers=api.headers("ml_engineer", **{"Content-Type": "application/json"})
        | {"Idempotency-Key": key},
    )  # fmt: skip
    assert response.status_code == 422
    assert api.get("/v1/models/churn").status_code == 404


def test_a_weak_etag_never_matches(api: Api) -> None:
    _model_with_version(api)
    weak = api.post(
        "/v1/models/churn/versions/1/approvals", {}, role="data_scientist", **{"If-Match": 'W/"2"'}
    )
    assert weak.status_code == 400
    assert _event_count(api) == 2


def test_a_stale_answer_is_not_replayed_for_the_same_key(api: Api) -> None:
    _model_with_version(api)
    stale = api.post("/v1/models/churn/versions/1/approvals", {}, role="data_scientist",
                     **{"If-Match": '"1"', "Idempotency-Key": "approve-1"})  # fmt: skip
    assert stale.status_code == 412
    fresh = api.post("/v1/models/churn/versions/1/approvals", {}, role="data_scientist",
                     **{"If-Match": '"1"', "Idempotency-Key": "approve-1"})  # fmt: skip
    assert fresh.status_code == 412 and "idempotent-replayed" not in fresh.headers


# Replaces the test of the 2-minute takeover of an abandoned "in flight" claim: a key's answer now
# commits with the command's events, so no claim is ever left behind (tests/faults kills real
# servers at these points).
def test_a_failed_commit_leaves_its_key_free_and_a_found_commit_leaves_it_answered(
    api: Api,
) -> None:
    _model_with_version(api)
    body = {"period": "2026-10", "amount": "5.00", "currency": "EUR", "business_unit": "Retail"}
    post = lambda: api.post(  # noqa: E731
        "/v1/models/churn/costs", body, role="business_owner", **{"Idempotency-Key": "k"}
    )
    with fault_points.armed("before_commit", _store_fails):
        failed = post()
    assert failed.status_code == 503
    assert failed.json()["type"].endswith("/not_recorded")
    assert "nothing of it was recorded" in failed.json()["detail"]
    assert _event_count(api) == 2
    retried = post()
    assert retried.status_code == 200 and "idempotent-replayed" not in retried.headers
    assert _event_count(api) == 3
    with fault_points.armed("after_commit", _store_fails):
        # The store failed after committing: the receipt shows the commit, the answer is a success.
        committed = api.post("/v1/models/churn/costs", {**body, "amount": "6.00"},
                             role="business_owner", **{"Idempotency-Key": "k2"})  # fmt: skip
    assert committed.status_code == 200
    again = api.post("/v1/models/churn/costs", {**body, "amount": "6.00"}, role="business_owner",
                     **{"Idempotency-Key": "k2"})  # fmt: skip
    assert again.headers["idempotent-replayed"] == "true" and again.json() == committed.json()
    assert _event_count(api) == 4


def _store_fails() -> None:
    raise OperationalError("the database went away (a test's fault)")


def test_the_model_list_filters_and_pages_from_the_catalog(api: Api) -> None:
    for name, tier in (("alpha", "low"), ("beta", "high"), ("gamma", "low")):
        assert (
            api.post(
                "/v1/models", {**MODEL, "name": name, "risk_tier": tier}, role="ml_engineer"
            ).status_code
            == 201
        )
    assert api.post("/v1/models/alpha/versions", VERSION, role="ml_engineer").status_code == 201
    low: Any = api.get("/v1/models", risk_tier="low").json()
    assert [m["name"] for m in low["items"]] == ["alpha", "gamma"]
    assert [m["status"] for m in low["items"]] == ["inactive", "draft"]
    first: Any = api.get("/v1/models", limit=2).json()
    assert [m["name"] for m in first["items"]] == ["alpha", "beta"]
    rest: Any = api.get("/v1/models", limit=2, cursor=first["next_cursor"]).json()
    assert [m["name"] for m in rest["items"]] == ["gamma"] and rest["next_cursor"] is None
    assert [m["name"] for m in api.get("/v1/models", status="draft").json()["items"]] == [
        "beta",
        "gamma",
    ]


def test_a_revision_written_in_other_digits_is_a_bad_query_not_a_failure(api: Api) -> None:
    _model_with_version(api)
    superscript = api.get("/v1/models/churn/diff", **{"from": "²"})
    assert superscript.status_code == 422
    assert superscript.json()["type"].endswith("/bad_query")
