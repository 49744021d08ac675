"""No personal data in plain text at rest: after real flows through the API, the database's raw bytes
(the SQLite file with its -wal; on PostgreSQL, `pg_dump --data-only` of the schema) hold no e-mail
address, name, comment or justification, while every read still answers with them."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from infrastructure.api.app import create_app
from infrastructure.api.tokens import TokenStore
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.errors import ReadModelUnreadableError
from infrastructure.ledger.keys import write_key_pair
from infrastructure.projections.queries import EVERY_MODEL, catalog_page
from infrastructure.settings import Settings
from tests.api.conftest import PRINCIPAL_OF, VERSION, Api, api_over, serving
from tests.reports.conftest import seal_at
from tests.webhook_doubles import Receiver

NAME = "churn"
EMAIL = "ann.lee@bank.example"
STAKEHOLDER = "Ann Leeworth"
OWNER = "Jo Parkinson"
COMMENT = "Holdout lift checked with Ann on the quarterly sample"
JUSTIFICATION = "Accepted: the age gap follows the product's eligibility rules"
REASONS = {
    "registration": "Requested by Ann Leeworth for the retention programme",
    "target": "Floor agreed with Jo Parkinson in the model risk committee",
    "activation": "Go-live approved in the change board, ticket owner Ann Leeworth",
    "deactivation": "Switched off at Jo Parkinson's request pending review",
}
SECRETS = (EMAIL, STAKEHOLDER, OWNER, COMMENT, JUSTIFICATION, *REASONS.values())
PROJECTION_TABLES = (
    "modelgov_catalog", "modelgov_catalog_active", "modelgov_versions", "modelgov_approvals",
    "modelgov_usage_windows", "modelgov_target_history", "modelgov_model_state",
    "modelgov_version_state", "modelgov_compliance", "modelgov_incidents", "modelgov_queue_items",
)  # fmt: skip
MODEL = {
    "name": NAME,
    "description": "Predicts churn",
    "owner": OWNER,
    "business_objective": "Keep customers",
    "risk_tier": "low",
    "stakeholders": [{"name": STAKEHOLDER, "email": EMAIL, "role": "business_owner"}],
    "reason": REASONS["registration"],
}


@pytest.fixture
def api(backend: Settings) -> Iterator[Api]:
    with api_over(backend) as found:
        yield found


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code < 300, response.text
    found: dict[str, Any] = response.json()
    return found


def stored_bytes(settings: Settings) -> bytes:
    """Everything the database holds, as bytes: the SQLite file and its -wal (and -shm) as they
    are on disk; PostgreSQL's data as `pg_dump` writes it (every table's rows as text without it)."""
    db = settings.database
    if db.kind == "sqlite":
        path = Path(db.path)
        assert path.with_name(path.name + "-wal").exists(), "the store is expected in WAL mode"
        return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))
    pg_dump = shutil.which("pg_dump")
    if pg_dump is not None:
        dumped = subprocess.run(
            [pg_dump, "--data-only", f"--schema={db.schema}", "-h", db.host, "-p", str(db.port),
             "-U", db.user, db.dbname],
            capture_output=True, check=True, env={**os.environ, "PGPASSWORD": db.password},
        )  # fmt: skip
        return dumped.stdout
    with psycopg.connect(
        host=db.host, port=db.port, user=db.user, password=db.password, dbname=db.dbname
    ) as connection:
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (db.schema,),
        ).fetchall()
        return b"".join(
            str(row[0]).encode()
            for (table,) in tables
            for row in connection.execute(f'SELECT t::text FROM {db.schema}."{table}" t')
        )


def assert_none_in_plain_text(settings: Settings, values: tuple[str, ...]) -> None:
    raw = stored_bytes(settings)
    assert NAME.encode() in raw  # the dump is of the right store, and readable as it is
    # pg_dump writes bytea columns in hex: a value stored there in plain text would show so.
    found = [v for v in values if v.encode() in raw or v.encode().hex().encode() in raw]
    assert found == [], f"in plain text at rest: {found}"


def projected_text(settings: Settings) -> str:
    sql = SqlRunner(settings.database)
    try:
        return "".join(str(sql.execute(f"SELECT * FROM {table}")) for table in PROJECTION_TABLES)
    finally:
        sql.close()


def full_flow(api: Api) -> None:
    """A model with a stakeholder, an approval with a comment, a target, an activation, a bias
    flag resolved with a justification, a deactivation; every projection caught up."""
    base = f"/v1/models/{NAME}"
    ok(api.post("/v1/models", MODEL, role="ml_engineer"))
    ok(api.post(f"{base}/versions", VERSION, role="ml_engineer"))
    ok(api.post(f"{base}/versions/1/approvals", {"reason": COMMENT}, role="data_scientist"))
    ok(api.post(f"{base}/targets", {
        "dimension": "accuracy", "metric": "auc", "comparator": ">=", "threshold": 0.8,
        "reason": REASONS["target"],
    }, role="data_scientist"))  # fmt: skip
    ok(api.post(f"{base}/activations", {
        "version": 1, "environment": "production", "reason": REASONS["activation"],
    }, role="devops_engineer"))  # fmt: skip
    flag = ok(api.post(f"{base}/bias-flags", {
        "version": 1, "attribute": "age_band", "metric": "demographic_parity_difference",
        "value": 0.3, "threshold": 0.1, "reason": "seen in the monthly fairness review",
    }, role="data_scientist"))["result"]  # fmt: skip
    ok(api.post(f"{base}/bias-flags/{flag}/resolution", {
        "resolution": "accept_risk", "justification": JUSTIFICATION,
    }, role="compliance_officer"))  # fmt: skip
    ok(api.post(f"{base}/deactivations", {
        "version": 1, "environment": "production", "reason": REASONS["deactivation"],
    }, role="devops_engineer"))  # fmt: skip
    api.client.app.state.projections.catch_up()


def test_a_full_flow_leaves_no_personal_data_in_plain_text_while_reads_and_reports_show_it(
    api: Api, backend: Settings
) -> None:
    full_flow(api)
    ledger = api.client.app.state.ledger
    write_key_pair(ledger.settings.signing_key_file, passphrase=None)
    seal_at(ledger, datetime.now(UTC))
    report = api.get(f"/v1/reports/models/{NAME}", format="json").text
    assert COMMENT in report and JUSTIFICATION in report
    assert api.get("/v1/reports/portfolio", role="compliance_officer").status_code == 200
    # Reads open what the projections sealed: the same answers as in plain text.
    document = api.get(f"/v1/models/{NAME}").text
    assert EMAIL in document and STAKEHOLDER in document and JUSTIFICATION in document
    assert COMMENT in api.get(f"/v1/models/{NAME}/versions/1").text

    assert_none_in_plain_text(backend, SECRETS)
    # Who did what is personal too: no principal's id in the read models.
    projected = projected_text(backend)
    assert [p for p in PRINCIPAL_OF.values() if p in projected] == []


def test_the_catalog_filters_on_the_sealed_owner_and_shows_it_opened(
    api: Api, backend: Settings
) -> None:
    ok(api.post("/v1/models", MODEL, role="ml_engineer"))
    ok(api.post("/v1/models", {**MODEL, "name": "other", "owner": "Retail"}, role="ml_engineer"))

    listed = ok(api.get("/v1/models", owner=OWNER))["items"]
    assert [(m["name"], m["owner"]) for m in listed] == [(NAME, OWNER)]
    everyone = ok(api.get("/v1/models"))["items"]
    assert [(m["name"], m["owner"]) for m in everyone] == [(NAME, OWNER), ("other", "Retail")]
    assert ok(api.get("/v1/models", owner="Jo"))["items"] == []  # equality, as before
    assert_none_in_plain_text(backend, (OWNER,))


def test_a_rebuild_of_the_projections_writes_the_same_sealed_rows(
    api: Api, backend: Settings
) -> None:
    full_flow(api)
    runner = api.client.app.state.projections
    sql = runner.sql
    before = {table: sorted(sql.execute(f"SELECT * FROM {table}")) for table in PROJECTION_TABLES}
    runner.rebuild()
    assert {t: sorted(sql.execute(f"SELECT * FROM {t}")) for t in PROJECTION_TABLES} == before
    assert_none_in_plain_text(backend, SECRETS)


def test_an_idempotent_retry_carrying_an_email_leaves_it_nowhere_in_plain_text(
    api: Api, backend: Settings
) -> None:
    key = {"Idempotency-Key": "register-churn-1"}
    first = api.post("/v1/models", MODEL, role="ml_engineer", **key)
    again = api.post("/v1/models", MODEL, role="ml_engineer", **key)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    api.client.app.state.projections.catch_up()

    assert_none_in_plain_text(backend, SECRETS)
    sql = SqlRunner(backend.database)
    keyed = sql.execute("SELECT principal FROM modelgov_receipts WHERE idempotency_key IS NOT NULL")
    sql.close()
    assert len(keyed) == 1 and PRINCIPAL_OF["ml_engineer"] not in keyed[0][0]  # sealed, not plain


def test_a_webhook_route_and_its_queued_deliveries_leave_no_personal_data_in_plain_text(
    backend: Settings,
) -> None:
    receiver = Receiver(failures=100)  # every attempt fails: the outbox keeps the deliveries due
    server, url = receiver.serve()
    local = backend.model_copy(update={"webhook_allow_hosts": (("127.0.0.1", None),)})  # receiver
    try:
        with api_over(local) as api:
            ok(api.post("/v1/models", MODEL, role="ml_engineer"))
            ok(api.post(f"/v1/models/{NAME}/game-plan", {
                "game_plan": {"notifications": [{"url": url, "events": ["*"]}]},
                "reason": f"Notify the retention team ({EMAIL})",
            }, role="compliance_officer"))  # fmt: skip
            ok(api.post(f"/v1/models/{NAME}/versions", VERSION, role="ml_engineer"))
            ok(api.post(f"/v1/models/{NAME}/versions/1/approvals", {"reason": COMMENT},
                        role="data_scientist"))  # fmt: skip
            state = api.client.app.state
            state.outbox.catch_up()
            assert state.deliverer.deliver_due() >= 3  # each of the three events attempted, failed
    finally:
        server.shutdown()
    assert any(COMMENT.encode() in body for _, body in receiver.requests)  # sent, not kept


def test_read_models_left_in_plain_text_by_an_older_modelgov_say_to_rebuild_and_a_rebuild_seals_them(
    api: Api, backend: Settings
) -> None:
    ok(api.post("/v1/models", MODEL, role="ml_engineer"))
    runner = api.client.app.state.projections
    runner.catch_up()
    runner.sql.execute("UPDATE modelgov_catalog SET owner = ?", (OWNER,))  # as written before

    with pytest.raises(ReadModelUnreadableError, match="projections rebuild"):
        catalog_page(runner.sql, cipher=runner.cipher, kept=EVERY_MODEL, after=None, limit=10)
    refused = api.get("/v1/models")  # over HTTP: the server's state, told as it is
    assert refused.status_code == 503
    assert refused.json()["type"].endswith("/read_model_unreadable")
    assert "projections rebuild" in refused.json()["detail"]
    runner.rebuild()
    assert [m["owner"] for m in ok(api.get("/v1/models", owner=OWNER))["items"]] == [OWNER]


class Captured(logging.Handler):
    """Every line logged to the loggers it is attached to, formatted."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_the_logs_of_a_served_flow_show_query_names_but_no_personal_data(
    backend: Settings,
) -> None:
    open_governance(backend).close()  # the store, with its tokens table
    sql = SqlRunner(backend.database)
    token = TokenStore(sql).create(principal="eng-logs", role="ml_engineer")
    sql.close()
    captured = Captured()
    loggers = [logging.getLogger(name) for name in ("uvicorn.access", "uvicorn.error", "modelgov")]
    with serving(create_app(backend), log_level="info") as base:
        for logger in loggers:  # after uvicorn configured its logging
            logger.addHandler(captured)

        def call(path: str, body: dict[str, Any] | None = None) -> int:
            request = urllib.request.Request(
                base + path, method="POST" if body else "GET",
                data=json.dumps(body).encode() if body else None,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )  # fmt: skip
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)

        try:
            assert call("/v1/models", MODEL) == 201
            assert call(f"/v1/models?owner={urllib.parse.quote(OWNER)}&limit=5") == 200
            assert call(f"/v1/models?owner={urllib.parse.quote_plus(EMAIL)}") == 200
        finally:
            for logger in loggers:
                logger.removeHandler(captured)
    logged = "\n".join(captured.lines)
    assert "/v1/models?owner=***&limit=***" in logged  # the request is logged, not its values
    spellings = {urllib.parse.quote(s) for s in SECRETS} | {
        urllib.parse.quote_plus(s) for s in SECRETS
    }
    assert [s for s in (*SECRETS, *spellings) if s in logged] == []
