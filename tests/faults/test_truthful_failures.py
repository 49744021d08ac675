"""A 5xx says what was recorded, and is logged once with the request id; stored answers are sealed."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx2
import psycopg
import pytest
from fastapi.testclient import TestClient

from domain.commands import Activate
from infrastructure.api.app import create_app
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from tests.conftest import PG_URL
from tests.factories import by
from tests.faults.conftest import COSTS, Store, cost
from tests.faults.live import LiveServer


def _events_table(store: Store) -> str:
    return "stored_events" if store.settings.database.kind == "sqlite" else "modelgov_events"


def _errors_logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_an_unexpected_failure_is_logged_once_with_the_request_id_and_tells_what_was_recorded(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    sql = SqlRunner(store.settings.database)
    table = _events_table(store)
    # Without the projections' follower, whose own failure (it reads the events too) is logged
    # by its thread, not by a request.
    with TestClient(create_app(store.settings, project=False)) as client:
        sql.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
        caplog.clear()
        sent_id = store.headers() | {"X-Request-ID": "req-read-1"}
        read = client.get("/v1/models/churn/events", headers=sent_id)
        read_logs = _errors_logged(caplog)
        caplog.clear()
        command = client.post(COSTS, json=cost("4.00"), headers=store.headers("cost-4"))
        command_logs = _errors_logged(caplog)
        sql.execute(f"ALTER TABLE {table}_away RENAME TO {table}")
        retried = client.post(COSTS, json=cost("4.00"), headers=store.headers("cost-4"))
    sql.close()

    assert read.status_code == 500 and read.headers["x-request-id"] == "req-read-1"
    assert read.json()["request_id"] == "req-read-1"
    assert "this request only reads: nothing was recorded" in read.json()["detail"]
    assert len(read_logs) == 1 and "req-read-1" in read_logs[0].getMessage()

    assert command.status_code == 503
    assert command.json()["type"].endswith("/not_recorded")
    assert "nothing of it was recorded" in command.json()["detail"]
    rid = command.headers["x-request-id"]
    assert command.json()["request_id"] == rid and rid in command.json()["detail"]
    assert len(command_logs) == 1 and rid in command_logs[0].getMessage()

    assert retried.status_code == 200 and "idempotent-replayed" not in retried.headers
    assert store.cost_amounts() == ["4.00"]


def test_a_live_server_logs_an_unexpected_failure_once(store: Store, server: LiveServer) -> None:
    server.start()
    sql = SqlRunner(store.settings.database)
    table = _events_table(store)
    sql.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    failed = httpx2.get(
        f"{server.url}/v1/models/churn/events",
        headers=store.headers() | {"X-Request-ID": "req-live-1"},
        timeout=30,
    )
    sql.execute(f"ALTER TABLE {table}_away RENAME TO {table}")
    sql.close()
    server.stop()
    assert failed.status_code == 500 and failed.json()["request_id"] == "req-live-1"
    log = server.log.read_text()
    assert log.count("unexpected error on GET /v1/models/churn/events (request req-live-1)") == 1
    assert "Exception in ASGI application" not in log, log  # not a second time, by the server


def _activated(store: Store) -> None:
    app = open_governance(store.settings)
    app.handle(Activate(name="churn", version=1, environment="production"), by=by("ops"))
    app.close()


def test_a_stored_answer_holds_no_personal_data_in_plain_text(store: Store, tmp_path: Path) -> None:
    _activated(store)
    email = "li.wei.on.call@bank.example"
    breach = {"version": 1, "environment": "production", "dimension": "accuracy",
              "metric": email, "observed_value": 0.5}  # fmt: skip
    with TestClient(create_app(store.settings)) as client:
        headers = store.headers("breach-1", token=store.token_for("devops_engineer"))
        refused = client.post("/v1/models/churn/breaches", json=breach, headers=headers)
        replayed = client.post("/v1/models/churn/breaches", json=breach, headers=headers)
    assert email in refused.json()["detail"]  # the answer names it: it is stored, sealed
    assert replayed.headers["idempotent-replayed"] == "true" and replayed.json() == refused.json()
    assert email.encode() not in _raw_store(store)


def _raw_store(store: Store) -> bytes:
    """Every byte the store holds for receipts: the SQLite file and its WAL, or the table's dump."""
    db = store.settings.database
    if db.kind == "sqlite":
        files = [Path(db.path), Path(f"{db.path}-wal")]
        return b"".join(path.read_bytes() for path in files if path.exists())
    with psycopg.connect(PG_URL) as connection, connection.cursor() as cursor:
        copied = bytearray()
        with cursor.copy(f"COPY {db.schema}.modelgov_receipts TO STDOUT") as copy:
            for chunk in copy:
                copied += chunk
        return bytes(copied)
