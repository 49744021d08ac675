"""Receipts beside the events: answers kept before receipts are carried over, sealed."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from domain.commands import ReportCost
from infrastructure.api.app import create_app
from infrastructure.api.caller import request_fingerprint
from infrastructure.api.command_schemas import request_schema
from infrastructure.api.tokens import TokenStore
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.settings import Settings
from tests.factories import seed_app_model

COST = {"period": "2026-10", "amount": "7.00", "currency": "EUR", "business_unit": "Retail"}
ANSWER = '{"model": "churn", "model_version": 4, "result": null, "note": "ann.lee@bank.example"}'


def test_answers_kept_before_receipts_are_replayed_sealed_and_the_old_table_is_dropped(
    backend: Settings, tmp_path: Path
) -> None:
    app = open_governance(backend)
    seed_app_model(app)
    app.close()
    sql = SqlRunner(backend.database)
    token = TokenStore(sql).create(principal="bo-1", role="business_owner")
    body = request_schema(ReportCost, from_path=frozenset({"name"}))(**COST)
    fingerprint = request_fingerprint("POST", "/v1/models/churn/costs", body)
    sql.execute(
        "CREATE TABLE modelgov_idempotency (principal TEXT NOT NULL, idempotency_key TEXT NOT NULL, "
        "request_hash TEXT NOT NULL, status INTEGER, body TEXT, etag TEXT, created_at TEXT NOT NULL, "
        "PRIMARY KEY (principal, idempotency_key))"
    )
    sql.execute_many(
        "INSERT INTO modelgov_idempotency VALUES (?, ?, ?, ?, ?, ?, ?)",
        [("bo-1", "answered", fingerprint, 200, ANSWER, '"4"', "2026-12-01T00:00:00+00:00"),
         ("bo-1", "in-flight", fingerprint, None, None, None, "2026-12-01T00:00:00+00:00")],
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(backend)) as client:
        answered = client.post("/v1/models/churn/costs", json=COST,
                               headers=headers | {"Idempotency-Key": "answered"})  # fmt: skip
        abandoned = client.post("/v1/models/churn/costs", json=COST,
                                headers=headers | {"Idempotency-Key": "in-flight"})  # fmt: skip
    assert answered.headers["idempotent-replayed"] == "true" and answered.text == ANSWER
    assert abandoned.status_code == 200 and "idempotent-replayed" not in abandoned.headers
    tables = (
        "SELECT name FROM sqlite_master WHERE name = 'modelgov_idempotency'"
        if backend.database.kind == "sqlite"
        else "SELECT tablename FROM pg_tables WHERE tablename = 'modelgov_idempotency' "
        f"AND schemaname = '{backend.database.schema}'"
    )
    assert sql.execute(tables) == []
    stored = sql.execute("SELECT body FROM modelgov_receipts WHERE idempotency_key = 'answered'")
    assert b"ann.lee" not in bytes(stored[0][0])
    sql.close()
