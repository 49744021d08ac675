"""A posted batch of observations and its Idempotency-Key answer commit together, or neither does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import OperationalError
from fastapi.testclient import TestClient

from infrastructure.api.app import create_app
from infrastructure.db import fault_points
from infrastructure.monitoring.monitor import MonitorRunner
from tests.faults.conftest import Store

METRICS = "/v1/models/churn/metrics"


def _batch() -> dict[str, Any]:
    observation = {"metric": "auc", "value": 0.7, "version": 1, "environment": "production",
                   "observed_at": datetime.now(UTC).isoformat()}  # fmt: skip
    return {"observations": [observation]}


def _store_fails() -> None:
    raise OperationalError("the database went away (a test's fault)")


def test_a_batch_and_its_key_commit_together_or_not_at_all(store: Store) -> None:
    batch = _batch()
    headers = store.headers("batch-1", token=store.token_for("devops_engineer"))
    with TestClient(create_app(store.settings)) as client:
        monitor: MonitorRunner = client.app.state.monitor  # type: ignore[attr-defined]
        with fault_points.armed("before_commit", _store_fails):
            failed = client.post(METRICS, json=batch, headers=headers)
        stored_after_failure = len(monitor.observations.after(0, limit=10))
        with fault_points.armed("after_commit", _store_fails):
            committed = client.post(METRICS, json=batch, headers=headers)
        replayed = client.post(METRICS, json=batch, headers=headers)
        stored = len(monitor.observations.after(0, limit=10))
    assert failed.status_code == 503 and "nothing of it was recorded" in failed.json()["detail"]
    assert stored_after_failure == 0
    assert committed.status_code == 202 and "idempotent-replayed" not in committed.headers
    assert replayed.headers["idempotent-replayed"] == "true" and replayed.json() == committed.json()
    assert stored == 1
