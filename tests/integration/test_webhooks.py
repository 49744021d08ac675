"""Webhooks to a real HTTP receiver on localhost: signed payloads, retries until delivered once
per event id, a receiver that never answers, and the API carrying on meanwhile."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable
from pathlib import Path

import psycopg
from fastapi.testclient import TestClient

from domain.commands import (
    Activate,
    ApproveRelease,
    ChangeGamePlan,
    OpenBreach,
    RegisterVersion,
    SetTarget,
)
from infrastructure.api.app import create_app
from infrastructure.api.tokens import TokenStore
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.settings import Settings
from infrastructure.webhooks.delivery import Deliverer
from infrastructure.webhooks.payloads import EVENT_ID_HEADER, SIGNATURE_HEADER, verify_signature
from tests.conftest import PG_URL, wait_until
from tests.factories import by, card, registration
from tests.webhook_doubles import NAME, Hooks, Receiver


def _deliver_until(deliverer: Deliverer, condition: Callable[[], bool]) -> bool:
    """Deliver what is due, again and again (retries come due), until `condition` holds."""

    def delivered() -> bool:
        deliverer.deliver_due()
        return condition()

    return wait_until(delivered, timeout=10)


def test_events_reach_the_receiver_signed_with_a_stable_event_id(
    hooks: Hooks, receiver: Receiver
) -> None:
    server, url = receiver.serve()
    hooks.subscribe(url)
    hooks.app.handle(RegisterVersion(name=NAME, card=card()), by=by("eng"))
    hooks.outbox.catch_up()

    assert hooks.deliverer().deliver_due() == 2  # the game plan change itself, then the version
    server.shutdown()
    types, revisions = [], []
    for headers, body in receiver.requests:
        assert verify_signature(hooks.secret, headers[SIGNATURE_HEADER], body)
        assert not verify_signature(b"another secret", headers[SIGNATURE_HEADER], body)
        payload = json.loads(body)
        assert payload["id"] == headers[EVENT_ID_HEADER]
        assert payload["effective_at"].endswith("Z") and payload["recorded_at"].endswith("Z")
        types.append(payload["type"])
        revisions.append(payload["model_revision"])
        assert (
            payload["model_version"] == payload["model_revision"]
        )  # its old name, for one release
    assert types == ["GamePlanChanged", "VersionRegistered"]
    assert revisions[1] == revisions[0] + 1
    assert "stakeholders" not in receiver.requests[0][1].decode()


def test_a_receiver_failing_twice_gets_each_event_delivered_once(
    hooks: Hooks, receiver: Receiver
) -> None:
    receiver.failures = 2
    server, url = receiver.serve()
    hooks.subscribe(url)
    deliverer = hooks.deliverer()

    assert _deliver_until(deliverer, lambda: sum(receiver.succeeded.values()) == 1)
    server.shutdown()
    [(event_id, answers)] = receiver.answered.items()
    assert answers == 3 and receiver.succeeded[event_id] == 1
    [delivery] = deliverer.deliveries(NAME)
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 3)
    assert delivery["delivered_at"].endswith("Z")  # stored and shown in UTC with `Z`
    attempts = hooks.sql.execute(
        "SELECT attempt, status_code FROM modelgov_webhook_deliveries ORDER BY attempt"
    )
    assert [tuple(row) for row in attempts] == [(1, 500), (2, 500), (3, 200)]


def test_a_delivery_that_keeps_failing_is_marked_failed_after_its_attempts(
    hooks: Hooks, receiver: Receiver
) -> None:
    receiver.failures = 100
    server, url = receiver.serve()
    hooks.subscribe(url)
    deliverer = hooks.deliverer(max_attempts=3)

    assert _deliver_until(deliverer, lambda: deliverer.deliveries(NAME)[0]["status"] == "failed")
    server.shutdown()
    assert deliverer.deliveries(NAME)[0]["attempts"] == 3
    assert deliverer.deliveries(NAME)[0]["last_error"] == "HTTP 500"
    assert deliverer.retries.delay(1) == 0.01 and deliverer.retries.delay(30) == 300.0


def test_a_receiver_that_never_answers_does_not_hold_up_the_api(
    backend: Settings, receiver: Receiver
) -> None:
    receiver.hang = threading.Event()
    server, url = receiver.serve()
    allowed = (("127.0.0.1", server.server_address[1]),)
    backend = backend.model_copy(update={"webhook_allow_hosts": allowed})
    open_governance(backend).close()  # creates the store's tables, tokens' included
    sql = SqlRunner(backend.database)
    token = TokenStore(sql).create(principal="co", role="compliance_officer")
    engineer = TokenStore(sql).create(principal="eng", role="ml_engineer")
    sql.close()
    with TestClient(create_app(backend, monitor=True)) as client:
        headers = {"Authorization": f"Bearer {engineer}"}
        body = dataclasses.asdict(registration(NAME, "low"))
        assert client.post("/v1/models", json=body, headers=headers).status_code == 201
        plan = {"game_plan": {"notifications": [{"url": url}]}, "reason": "notify"}
        response = client.post(
            f"/v1/models/{NAME}/game-plan", json=plan,
            headers={"Authorization": f"Bearer {token}"},
        )  # fmt: skip
        assert response.status_code == 200
        assert receiver.hanging.wait(10)  # a delivery is stuck in the receiver now

        for _ in range(3):
            registered = client.post(
                f"/v1/models/{NAME}/versions", json={"card": card()}, headers=headers
            )
            assert registered.status_code == 201
        assert receiver.hanging.is_set() and not receiver.hang.is_set()  # still stuck
    receiver.hang.set()
    server.shutdown()


def _queued(hooks: Hooks) -> list[tuple[str, str]]:
    rows = hooks.sql.execute(
        "SELECT event_type, url FROM modelgov_webhook_outbox ORDER BY position, url"
    )
    return [(str(kind), str(url)) for kind, url in rows]


def test_routes_pick_events_by_name_and_severity_and_each_url_gets_an_event_once(
    hooks: Hooks,
) -> None:
    ops, ml = "https://ops.example/hook", "https://ml.example/hook"
    hooks.app.handle(ChangeGamePlan(name=NAME, game_plan={"notifications": [
            {"url": ml, "events": ["BreachOpened"], "min_severity": "warning"},
            {"url": ml, "events": ["OnCallPaged"]},  # the same URL, another route
            {"url": ops, "events": ["*"], "min_severity": "critical"},
        ]}), by=by("co", "route the alerts"))  # fmt: skip
    version = hooks.app.handle(RegisterVersion(name=NAME, card=card()), by=by("eng")).value
    hooks.app.handle(ApproveRelease(name=NAME, version=version), by=by("ds", "ok"))
    hooks.app.handle(Activate(name=NAME, version=version, environment="production"), by=by("ops"))
    for severity, threshold in (("info", 0.9), ("critical", 0.8)):
        hooks.app.handle(
            SetTarget(
                name=NAME,
                dimension="accuracy",
                metric=f"auc_{severity}",
                comparator=">=",
                threshold=threshold,
                severity=severity,
            ),
            by=by("ds"),
        )
        hooks.app.handle(
            OpenBreach(
                name=NAME,
                version=version,
                environment="production",
                dimension="accuracy",
                metric=f"auc_{severity}",
                observed_value=0.5,
            ),
            by=by("ops"),
        )
    hooks.outbox.catch_up()

    # The info breach reaches no route; the critical one reaches both URLs, each once.
    assert _queued(hooks) == [("BreachOpened", ml), ("BreachOpened", ops)]


def test_a_hung_receiver_holds_one_delivery_while_another_receiver_gets_everything(
    hooks: Hooks,
) -> None:
    hung, healthy = Receiver(hang=threading.Event()), Receiver()
    (hung_server, hung_url), (server, url) = hung.serve(), healthy.serve()
    hooks.app.handle(
        ChangeGamePlan(name=NAME, game_plan={"notifications": [{"url": hung_url}, {"url": url}]}),
        by=by("co", "two receivers"),
    )
    for _ in range(5):
        hooks.app.handle(RegisterVersion(name=NAME, card=card()), by=by("eng"))
    hooks.outbox.catch_up()
    deliverer = hooks.deliverer(timeout=30.0)
    stop = threading.Event()
    running = threading.Thread(target=deliverer.run, args=(stop,), daemon=True)
    running.start()
    try:
        assert wait_until(lambda: sum(healthy.succeeded.values()) == 6, timeout=10)
        assert hung.hanging.is_set() and len(hung.requests) == 1  # one at a time per receiver
    finally:
        stop.set()
        assert hung.hang is not None
        hung.hang.set()
        running.join(10)
        deliverer.close()
        server.shutdown()
        hung_server.shutdown()


PERSON, COMMENT = "jane.doe@bank.example", "Jane asked for this after the March outage"


def _everything_stored(backend: Settings) -> bytes:
    """The store's raw bytes: the SQLite file and its write-ahead log, or every column of every
    table in the PostgreSQL schema (bytea as its bytes, the rest as text)."""
    if backend.database.kind == "sqlite":
        files = [Path(backend.database.path), Path(backend.database.path + "-wal")]
        return b"".join(file.read_bytes() for file in files if file.exists())
    stored = []
    with psycopg.connect(PG_URL) as connection:
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (backend.database.schema,),
        ).fetchall()
        for (table,) in tables:
            for row in connection.execute(f'SELECT * FROM {backend.database.schema}."{table}"'):
                stored += [v if isinstance(v, bytes) else str(v).encode() for v in row]
    return b"\n".join(stored)


def test_the_outbox_keeps_no_personal_data_in_clear_while_receivers_get_what_they_did(
    backend: Settings, hooks: Hooks, receiver: Receiver
) -> None:
    receiver.failures = 1  # a failed attempt on record too
    server, url = receiver.serve()
    hooks.app.handle(
        ChangeGamePlan(name=NAME, game_plan={"notifications": [{"url": url}]}),
        by=by(PERSON, COMMENT, role="compliance_officer"),
    )
    hooks.app.handle(
        RegisterVersion(name=NAME, card=card()), by=by(PERSON, COMMENT, role="ml_engineer")
    )
    hooks.outbox.catch_up()

    deliverer = hooks.deliverer(base_delay=0.0)
    deliverer.deliver_due()
    server.shutdown()

    assert [row["status"] for row in deliverer.deliveries(NAME)] == ["delivered", "delivered"]
    delivered = [json.loads(body) for _, body in receiver.requests]
    assert {(payload["actor"], payload["reason"]) for payload in delivered} == {(PERSON, COMMENT)}
    personal = [PERSON, COMMENT, "ann.lee@bank.example", "Ann Lee"]  # the last two: stakeholders
    stored = _everything_stored(backend)
    assert url.encode() in stored  # the outbox's rows are among what was read
    assert [text for text in personal if text.encode() in stored] == []
