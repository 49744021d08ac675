"""A save's events and receipts commit together or not at all (on PostgreSQL, in one round trip)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent

from application.governance import Governance
from application.receipts import Receipt
from infrastructure.db import fault_points
from infrastructure.db.sql import SqlRunner

TOPIC = "tests/Saved"


def _event(originator: uuid.UUID, revision: int) -> StoredEvent:
    return StoredEvent(originator_id=originator, originator_version=revision, topic=TOPIC,
                       state=b"{}")  # fmt: skip


def _stored(sql: SqlRunner, originator: uuid.UUID) -> int:
    events = "modelgov_events" if sql.database.kind == "postgres" else "stored_events"
    identifier = str(originator) if sql.database.kind == "postgres" else originator.hex
    rows = sql.execute(f"SELECT count(*) FROM {events} WHERE originator_id = ?", (identifier,))
    return int(rows[0][0])


@pytest.fixture
def first() -> Iterator[uuid.UUID]:
    yield uuid.uuid4()


def test_a_save_that_conflicts_records_neither_its_events_nor_its_receipt(
    app: Governance, sql: SqlRunner, first: uuid.UUID
) -> None:
    app.recorder.insert_events([_event(first, 1)])
    other, receipt = uuid.uuid4(), Receipt(command_id=uuid.uuid4().hex)
    with pytest.raises(IntegrityError):
        app.recorder.insert_events([_event(other, 1), _event(first, 1)], receipts=[receipt])
    assert app.recorder.committed_receipts([receipt.command_id]) == set()  # type: ignore[attr-defined]
    assert _stored(sql, other) == 0
    # The connection went back to the pool idle: the next save commits.
    app.recorder.insert_events([_event(other, 1)], receipts=[receipt])
    assert app.recorder.committed_receipts([receipt.command_id]) == {receipt.command_id}  # type: ignore[attr-defined]


def test_a_save_retried_after_failing_before_its_commit_is_recorded_once(
    app: Governance, sql: SqlRunner, first: uuid.UUID
) -> None:
    failures: list[str] = []

    def fail_once() -> None:
        if not failures:
            failures.append("failed")
            raise OperationalError("the store failed before the commit (test)")

    receipt = Receipt(command_id=uuid.uuid4().hex, principal="p", key="k", request_hash="h")
    with fault_points.armed("before_commit", fail_once):
        try:  # PostgreSQL's recorder retries by itself; SQLite's leaves it to its caller
            app.recorder.insert_events([_event(first, 1)], receipts=[receipt])
        except OperationalError:
            assert _stored(sql, first) == 0
            app.recorder.insert_events([_event(first, 1)], receipts=[receipt])
    assert failures == ["failed"]
    assert _stored(sql, first) == 1
    rows = sql.execute("SELECT count(*) FROM modelgov_receipts WHERE command_id = ?",
                       (receipt.command_id,))  # fmt: skip
    assert rows[0][0] == 1
