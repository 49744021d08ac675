"""The event recorders, with commands' receipts written in the same transaction as their events.

`Application.save(..., receipts=[...])` hands its keyword arguments to the recorder's
`_insert_events`, inside the transaction that inserts the events (on PostgreSQL in the same
pipeline, the whole transaction in one round trip: infrastructure/db/one_round_trip.py). These
subclasses of the library's SQLite and PostgreSQL application recorders insert the receipts
there, so a command's events, its receipt and its Idempotency-Key answer commit together or not
at all (application/receipts.py says why).
They are chosen with the library's APPLICATION_RECORDER_TOPIC (see store.library_env).

Answer bodies arrive sealed (encrypted with the data key) and are stored as they come. The
receipts' table is created with modelgov's others (infrastructure/db/schema.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import (
    Cipher,
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from application.receipts import Receipt
from application.results import Answer, AnsweredRequest
from domain.instants import sortable_utc_text
from infrastructure.db.erasure_keys import PostgresErasureKeys, SQLiteErasureKeys
from infrastructure.db.fault_points import fault_point
from infrastructure.db.one_round_trip import OneRoundTripInserts
from infrastructure.errors import CommandFailedError

TABLE = "modelgov_receipts"
# How a principal is kept in a receipt: sealed, deterministically (see api/idempotency.py).
Pseudonym = Callable[[str], str]
COLUMNS = (
    "command_id", "principal", "idempotency_key", "request_hash", "status", "body", "etag",
    "recorded_at",
)  # fmt: skip
_SELECT_ANSWER = (
    "SELECT request_hash, status, body, etag FROM {table} "
    "WHERE principal = {mark} AND idempotency_key = {mark}"
)
# Where answers were kept before receipts, bodies in plain text (see adopt_legacy_answers).
LEGACY_TABLE = "modelgov_idempotency"
LEGACY_NOT_OWNED = (
    f"the answers to Idempotency-Keys the previous release kept in {LEGACY_TABLE} are not carried "
    "over yet, and only the tables' owner can: run `modelgov db init --owner-url URL` with the "
    "data key set (MODELGOV_CIPHER_KEY or its file), then start this again"
)
_SELECT_LEGACY = (
    "SELECT principal, idempotency_key, request_hash, status, body, etag FROM {table} "
    "WHERE status IS NOT NULL"
)


def insert_statement(*, table: str = TABLE, mark: str = "?") -> str:
    return f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({', '.join([mark] * len(COLUMNS))})"


def receipt_row(receipt: Receipt) -> tuple[Any, ...]:
    answer = receipt.answer
    return (
        receipt.command_id, receipt.principal, receipt.key, receipt.request_hash,
        answer.status if answer else None, answer.body if answer else None,
        answer.etag if answer else None,
        sortable_utc_text(datetime.now(UTC)),
    )  # fmt: skip


def _answered(row: Sequence[Any] | None) -> AnsweredRequest | None:
    if row is None:
        return None
    request_hash, status, body, etag = row
    return AnsweredRequest(
        request_hash=str(request_hash),
        answer=Answer(status=int(status), body=bytes(body), etag=etag),
    )


def _legacy_receipt(row: Sequence[Any], cipher: Cipher, pseudonym: Pseudonym) -> Receipt:
    principal, key, request_hash, status, body, etag = row
    sealed = Answer(status=int(status), body=cipher.encrypt(str(body).encode()), etag=etag)
    return Receipt(
        command_id=uuid.uuid4().hex, principal=pseudonym(principal), key=key,
        request_hash=request_hash,
        answer=sealed,
    )  # fmt: skip


def adopt_legacy_answers(recorder: object, cipher: Cipher | None, pseudonym: Pseudonym) -> None:
    """Carry the answers of the table used before receipts over, sealed, and drop that table.

    Its bodies were in plain text. A claim it holds without an answer (its process died) is
    dropped: the old code ran such a key's retry again after two minutes, this one at once.
    """
    if isinstance(recorder, SQLiteReceiptRecorder | PostgresReceiptRecorder) and cipher:
        recorder.adopt_legacy_answers(cipher, pseudonym)


def _receipts(kwargs: dict[str, Any]) -> Sequence[Receipt]:
    receipts: Sequence[Receipt] = kwargs.get("receipts") or ()
    return receipts


class _Receipts:
    """What both recorders add alike: the after_commit point, and a receipt on its own."""

    datastore: Any
    insert_receipt_statement: Any

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # On PostgreSQL the library retries a failed commit (InterfaceError, OperationalError)
        # up to 10 times; a retry of a commit whose acknowledgement was lost fails on its own
        # rows, and the application then finds its receipt (application/commit.py: save_with_receipts).
        notification_ids: Sequence[int] | None = super().insert_events(  # type: ignore[misc]
            stored_events, **kwargs
        )
        if _receipts(kwargs) or kwargs.get("shred"):
            fault_point("after_commit")
        return notification_ids

    def insert_receipt(self, receipt: Receipt) -> bool:
        """Store a receipt in a transaction of its own; False when its key was answered first."""
        try:
            with self.datastore.transaction(commit=True) as cursor:
                cursor.execute(self.insert_receipt_statement, receipt_row(receipt))
        except IntegrityError:
            return False
        return True


class SQLiteReceiptRecorder(_Receipts, SQLiteErasureKeys, SQLiteApplicationRecorder):
    """The library's SQLite recorder, with receipts inserted and erasure keys destroyed in the
    events' transaction."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)
        self.insert_receipt_statement = insert_statement()

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        receipts = _receipts(kwargs)
        if receipts:
            c.executemany(self.insert_receipt_statement, [receipt_row(r) for r in receipts])
        if self.shred_in(c, kwargs) or receipts:
            fault_point("before_commit")
        return notification_ids

    def committed_receipts(self, command_ids: Sequence[str]) -> set[str]:
        marks = ", ".join("?" for _ in command_ids)
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT command_id FROM {TABLE} WHERE command_id IN ({marks})", command_ids)
            return {str(row[0]) for row in c.fetchall()}

    def answered_request(self, *, principal: str, key: str) -> AnsweredRequest | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(_SELECT_ANSWER.format(table=TABLE, mark="?"), (principal, key))
            return _answered(c.fetchone())

    def adopt_legacy_answers(self, cipher: Cipher, pseudonym: Pseudonym) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (LEGACY_TABLE,)
            )
            if c.fetchone() is None:
                return
            c.execute(_SELECT_LEGACY.format(table=LEGACY_TABLE))
            receipts = [_legacy_receipt(tuple(row), cipher, pseudonym) for row in c.fetchall()]
            c.executemany(self.insert_receipt_statement, [receipt_row(r) for r in receipts])
            c.execute(f"DROP TABLE {LEGACY_TABLE}")


class PostgresReceiptRecorder(
    _Receipts, OneRoundTripInserts, PostgresErasureKeys, PostgresApplicationRecorder
):
    """The library's PostgreSQL recorder, with receipts inserted and erasure keys destroyed in
    the events' transaction, all sent in one round trip (infrastructure/db/one_round_trip.py)."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        table = SQL("{0}.{1}").format(Identifier(self.datastore.schema), Identifier(TABLE))
        self.receipts_table = table
        self.insert_receipt_statement = SQL(insert_statement(table="{table}", mark="%s")).format(
            table=table
        )

    def _notify_channel(self, curs: Cursor[DictRow]) -> None:
        """Nothing: the library's NOTIFY names a channel after the events' table, shared by every
        schema of the database, and nothing listens to it here. Followers are woken by the store's
        own channel, which a trigger notifies (infrastructure/projections/event_signal.py); the
        library's cost a statement in every save and a place in the notification queue."""

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        super()._insert_events(curs, stored_events, **kwargs)
        receipts = _receipts(kwargs)
        if receipts:
            # Pipelined with the events' insert (no round trip of their own), in key order so
            # that two transactions with the same two keys cannot deadlock.
            ordered = sorted(receipts, key=lambda r: (r.principal or "", r.key or ""))
            curs.executemany(self.insert_receipt_statement, [receipt_row(r) for r in ordered])
        if self.shred_in(curs, kwargs) or receipts:
            fault_point("before_commit")

    @retry((InterfaceError, OperationalError), max_attempts=3, wait=0.2)
    def committed_receipts(self, command_ids: Sequence[str]) -> set[str]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL("SELECT command_id FROM {0} WHERE command_id = ANY(%s)").format(
                    self.receipts_table
                ),
                (list(command_ids),),
            )
            return {str(row["command_id"]) for row in curs.fetchall()}

    @retry((InterfaceError, OperationalError), max_attempts=3, wait=0.2)
    def answered_request(self, *, principal: str, key: str) -> AnsweredRequest | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL(_SELECT_ANSWER.format(table="{table}", mark="%s")).format(
                    table=self.receipts_table
                ),
                (principal, key),
            )
            row = curs.fetchone()
            return _answered(None if row is None else tuple(row.values()))

    # A retry after a lost acknowledgement finds its own row: False, and the caller then reads
    # the answer stored for the key, which is this one.
    insert_receipt = retry((InterfaceError, OperationalError), max_attempts=3, wait=0.2)(
        _Receipts.insert_receipt
    )

    def adopt_legacy_answers(self, cipher: Cipher, pseudonym: Pseudonym) -> None:
        legacy = SQL("{0}.{1}").format(Identifier(self.datastore.schema), Identifier(LEGACY_TABLE))
        with self.datastore.transaction(commit=True) as curs:
            # to_regclass, not information_schema: that lists only tables this role may use, and
            # an application role is granted nothing on the old table.
            curs.execute(
                "SELECT c.oid IS NOT NULL AS found, "
                "coalesce(pg_has_role(c.relowner, 'USAGE'), false) AS owned "
                "FROM (SELECT to_regclass(%s) AS oid) r LEFT JOIN pg_class c ON c.oid = r.oid",
                (f'"{self.datastore.schema}".{LEGACY_TABLE}',),
            )
            found = curs.fetchone()
            if found is None or not found["found"]:
                return
            if not found["owned"]:
                raise CommandFailedError(LEGACY_NOT_OWNED)
            curs.execute(SQL(_SELECT_LEGACY.format(table="{table}")).format(table=legacy))
            for row in curs.fetchall():
                receipt = _legacy_receipt(tuple(row.values()), cipher, pseudonym)
                curs.execute(self.insert_receipt_statement, receipt_row(receipt))
            curs.execute(SQL("DROP TABLE {0}").format(legacy))
