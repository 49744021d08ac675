"""GET /metrics over a real store (SQLite and PostgreSQL): requests by route template and status,
problems by type, events appended, the backlogs of every background job read from the store, the
leases; only for the operators' roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.commands import ChangeGamePlan
from domain.instants import sortable_utc_text
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.leases import LEASES, MONITOR, Lease
from infrastructure.ledger.keys import write_key_pair
from infrastructure.settings import Settings
from tests.api.conftest import MODEL, VERSION, Api, api_over
from tests.api.metrics_scrape import Samples, labelled, samples_of, value
from tests.factories import by

OPERATOR = "itops_engineer"


def scrape(api: Api) -> Samples:
    response: Any = api.client.get("/metrics", headers=api.headers(OPERATOR))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return samples_of(response.text)


def observation(value: float) -> dict[str, Any]:
    return {
        "metric": "auc", "value": value, "version": 1, "environment": "production",
        "observed_at": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
    }  # fmt: skip


def test_a_scrape_counts_requests_by_route_template_and_status_problems_by_type_and_events(
    backend: Settings,
) -> None:
    with api_over(backend, project=False) as api:
        assert api.post("/v1/models", MODEL, role="ml_engineer").status_code == 201
        for _ in range(2):
            assert (
                api.post("/v1/models/churn/versions", VERSION, role="ml_engineer").status_code
                == 201
            )
        refused: Any = api.post(
            "/v1/models/churn/activations", {"version": 1, "environment": "production"},
            role="devops_engineer",
        )  # fmt: skip
        assert refused.status_code == 409
        assert (
            api.client.get("/v1/models/no-such-model", headers=api.headers("auditor")).status_code
            == 404
        )
        assert api.client.get("/no/such/path").status_code == 404

        found = scrape(api)

    requests = "modelgov_http_requests_total"
    assert value(found, requests, method="POST", route="/v1/models", status="201") == 1
    assert (
        value(found, requests, method="POST", route="/v1/models/{name}/versions", status="201") == 2
    )
    assert (
        value(found, requests, method="POST", route="/v1/models/{name}/activations", status="409")
        == 1
    )
    assert value(found, requests, method="GET", route="/v1/models/{name}", status="404") == 1
    assert value(found, requests, method="GET", route="unmatched", status="404") == 1
    # Never the path a client sent: one series per route, not per model.
    assert not any("churn" in str(labels) for labels in labelled(found, requests))
    latency = "modelgov_http_request_duration_seconds_count"
    assert (
        value(found, latency, method="POST", route="/v1/models/{name}/versions", status="201") == 2
    )
    problems = "modelgov_http_problems_total"
    assert value(found, problems, type="activation_refused", status="409") == 1
    assert value(found, problems, type="model_not_found", status="404") == 1
    appended = labelled(found, "modelgov_events_appended_total")
    assert (
        sum(appended.values()) == 3
    )  # the model and its two versions; the refusal recorded nothing
    assert {dict(labels)["type"] for labels in appended} == {"Registered", "VersionRegistered"}


def test_the_backlogs_are_read_from_the_store_and_fall_to_zero_once_each_job_caught_up(
    backend: Settings,
) -> None:
    with api_over(backend, project=False) as api:  # no follower: the read models fall behind
        state = api.client.app.state
        assert api.post("/v1/models", MODEL, role="ml_engineer").status_code == 201
        assert api.post("/v1/models/churn/versions", VERSION, role="ml_engineer").status_code == 201
        batch = {"observations": [observation(0.7), observation(0.9), observation(0.8)]}
        assert (
            api.post("/v1/models/churn/metrics", batch, role="devops_engineer").status_code == 202
        )
        head = state.services.governance.recorder.max_notification_id()

        behind = scrape(api)
        assert value(behind, "modelgov_store_up") == 1
        assert value(behind, "modelgov_store_head_position") == head
        assert value(behind, "modelgov_projections_lag_events") == head
        assert value(behind, "modelgov_sealer_lag_events") == head  # no head signed yet
        assert value(behind, "modelgov_monitoring_lag", input="observations") == 3
        assert value(behind, "modelgov_monitoring_lag", input="events") == head
        assert value(behind, "modelgov_webhook_outbox_lag_events") == head

        state.projections.catch_up()
        write_key_pair(state.ledger.settings.signing_key_file, passphrase=None)
        seal_until_caught_up(state.ledger)
        state.monitor.catch_up()
        state.outbox.catch_up()
        caught_up = scrape(api)

    for gauge in ("modelgov_projections_lag_events", "modelgov_sealer_lag_events",
                  "modelgov_webhook_outbox_lag_events"):  # fmt: skip
        assert value(caught_up, gauge) == 0, gauge
    assert value(caught_up, "modelgov_monitoring_lag", input="observations") == 0
    assert value(caught_up, "modelgov_monitoring_lag", input="events") == 0


def test_the_webhook_queue_its_lag_and_its_failures_are_counted(backend: Settings) -> None:
    once = backend.model_copy(update={"webhook_max_attempts": 2})
    with api_over(once) as api:
        state = api.client.app.state
        assert api.post("/v1/models", MODEL, role="ml_engineer").status_code == 201
        # A plan recorded before routes were checked when set: its delivery is refused (blocked).
        state.services.governance.handle(
            ChangeGamePlan(
                name="churn", game_plan={"notifications": [{"url": "https://10.0.0.1/h"}]}
            ),
            by=by("co", "an old plan", at=datetime.now(UTC)),
        )
        state.outbox.catch_up()
        queued = scrape(api)
        assert state.deliverer.deliver_due() == 1
        retrying = scrape(api)
        state.deliverer.sql.execute(
            "UPDATE modelgov_webhook_outbox SET next_attempt_at = '' WHERE status = 'pending'"
        )  # due again now, not after the backoff
        assert state.deliverer.deliver_due() == 1
        given_up = scrape(api)

    assert value(queued, "modelgov_webhook_queue_depth") == 1
    assert value(queued, "modelgov_webhook_deliveries_failed") == 0
    assert value(queued, "modelgov_webhook_delivery_lag_seconds") > 0
    assert value(retrying, "modelgov_webhook_attempts_total", result="blocked address") == 1
    assert value(retrying, "modelgov_webhook_queue_depth") == 1
    assert value(given_up, "modelgov_webhook_attempts_total", result="blocked address") == 2
    assert value(given_up, "modelgov_webhook_queue_depth") == 0
    assert value(given_up, "modelgov_webhook_deliveries_failed") == 1
    assert value(given_up, "modelgov_webhook_delivery_lag_seconds") == 0


def test_each_lease_shows_its_holder_while_unexpired(backend: Settings) -> None:
    with api_over(backend, project=False) as api:
        sql = api.client.app.state.monitor.sql
        lease = Lease(sql, MONITOR)
        assert lease.take()  # the monitoring lease, taken as `serve` takes it
        past = sortable_utc_text(datetime.now(UTC) - timedelta(minutes=1))
        sql.execute(
            f"INSERT INTO {LEASES} (name, holder, expires_at) VALUES ('sealer', 'gone:1', ?)",
            (past,),
        )
        found = scrape(api)

    assert value(found, "modelgov_lease_held", name="monitor", holder=lease.holder) == 1
    assert value(found, "modelgov_lease_held", name="sealer", holder="gone:1") == 0


@pytest.mark.parametrize(
    ("role", "status", "problem"),
    [(None, 401, "authentication_required"), ("auditor", 403, "role_not_allowed"),
     ("ml_engineer", 403, "role_not_allowed")],
)  # fmt: skip
def test_metrics_are_refused_without_a_token_or_to_a_role_that_does_not_run_the_service(
    api: Api, role: str | None, status: int, problem: str
) -> None:
    response: Any = api.client.get("/metrics", headers=api.headers(role))

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith(problem)


@pytest.mark.parametrize("role", ["devops_engineer", "itops_engineer", "admin", "metrics_scraper"])
def test_the_operators_roles_read_the_metrics(api: Api, role: str) -> None:
    response: Any = api.client.get("/metrics", headers=api.headers(role))

    assert response.status_code == 200
    assert "modelgov_store_up 1.0" in response.text


def test_a_scrape_only_token_reads_the_metrics_and_nothing_else(api: Api) -> None:
    """Prometheus' own token (`metrics_scraper`): a scrape, and no model, feed, report, admission
    answer, posted figure or command; each refusal a 403 naming the role, nothing recorded."""
    seed = api.post("/v1/models", MODEL, role="ml_engineer")
    assert seed.status_code == 201, seed.text  # type: ignore[attr-defined]
    scraper = api.headers("metrics_scraper")
    assert api.client.get("/metrics", headers=scraper).status_code == 200
    refused = [
        api.client.get("/v1/models/churn", headers=scraper),
        api.client.get("/v1/events", headers=scraper),
        api.client.get("/v1/reports/models/churn", headers=scraper),
        api.client.get(
            "/v1/admission",
            params={"artifact_sha256": "0" * 64, "environment": "production"},
            headers=scraper,
        ),
        api.client.post("/v1/models/churn/metrics", json={"observations": []}, headers=scraper),
        api.client.post(
            "/v1/models/churn/targets",
            json={
                "dimension": "accuracy",
                "metric": "auc",
                "comparator": ">=",
                "threshold": 0.8,
                "severity": "critical",
                "reason": "tried",
            },
            headers=scraper,
        ),
    ]
    for answer in refused:
        assert answer.status_code == 403, (answer.request.url, answer.text)
        assert answer.json()["type"].endswith("role_not_allowed")
        assert "'metrics_scraper'" in answer.json()["detail"]
    state = api.client.get("/v1/models/churn", headers=api.headers("auditor"))
    assert state.headers["ETag"] == '"1"'  # registered, and nothing since


def test_a_scrape_has_the_commands_body_limit_not_the_observation_batches(api: Api) -> None:
    body = b"x" * (100 * 1024)  # over the commands' 64 KiB, under a batch's 4 MiB

    scrape_response: Any = api.client.request(
        "GET", "/metrics", content=body, headers=api.headers(OPERATOR)
    )
    batch_response: Any = api.client.post(
        "/v1/models/churn/metrics", content=body, headers=api.headers("devops_engineer")
    )

    assert scrape_response.status_code == 413
    assert batch_response.status_code != 413  # a batch this size is read (and found not JSON)


def test_a_scrape_says_the_store_is_down_instead_of_failing_when_it_cannot_be_read(
    backend: Settings,
) -> None:
    with api_over(backend, project=False) as api:
        assert (
            api.client.get("/v1/models/absent", headers=api.headers("auditor")).status_code == 404
        )
        api.client.app.state.monitor.sql.execute(f"DROP TABLE {LEASES}")  # a read that fails

        found = scrape(api)

    assert value(found, "modelgov_store_up") == 0
    assert value(found, "modelgov_projections_lag_events") is None  # no gauge rather than a guess
    # The counts kept by the process still answer.
    requests = "modelgov_http_requests_total"
    assert value(found, requests, method="GET", route="/v1/models/{name}", status="404") == 1
