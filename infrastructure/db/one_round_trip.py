"""A save on PostgreSQL in one round trip: BEGIN, every statement of the save and COMMIT, sent
together in one pipeline and answered after one Sync.

The library's recorder wraps the same statements in psycopg's `conn.transaction()` inside a
pipeline, which costs five round trips (BEGIN is synced on its own, then the statements, then an
empty Sync, COMMIT, and another empty Sync). The statements and the transaction are the same here:
COMMIT is queued last, and the server skips everything after a failed statement up to the Sync,
COMMIT included, so a save commits whole or not at all; the failed transaction is then rolled back
(one more round trip, on that path only). A process that dies before the Sync leaves an open
transaction on a dropped connection, which the server rolls back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.utils import retry
from psycopg import Connection
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow


class OneRoundTripInserts:
    """For a subclass of the library's PostgresApplicationRecorder: `insert_events` with the
    library's statements (`_insert_events`, `_insert_stored_events`), in one round trip."""

    datastore: Any

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)  # as the library
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if self.datastore.enable_db_functions:
            inserted: Sequence[int] | None = super().insert_events(  # type: ignore[misc]
                stored_events, **kwargs
            )
            return inserted
        with self.datastore.get_connection() as conn:
            try:
                return self._in_one_round_trip(conn, stored_events, **kwargs)
            except BaseException:
                _roll_back_if_open(conn)
                raise

    def _in_one_round_trip(
        self, conn: Connection[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        recorder: Any = self  # the library's recorder methods, on the class this is mixed into
        with conn.cursor() as inserted:
            # Leaving the pipeline sends the Sync, waits for every answer, and raises the first
            # failure (a unique violation: the IntegrityError of a concurrent writer).
            with conn.pipeline():
                conn.execute("BEGIN")
                with conn.cursor() as curs:
                    recorder._insert_events(curs, stored_events, **kwargs)
                if stored_events:
                    recorder._insert_stored_events(inserted, stored_events, **kwargs)
                conn.execute("COMMIT")
            if not stored_events:
                return None
            ids: Sequence[int] | None = recorder._fetch_ids_after_insert_events(
                inserted, stored_events, **kwargs
            )
            return ids


def _roll_back_if_open(conn: Connection[DictRow]) -> None:
    """After a failure: end the transaction a failed statement (or a failure before COMMIT was
    queued) left open, so the pool gets the connection back idle. A broken connection is
    discarded by the pool instead."""
    if conn.closed or conn.info.transaction_status == TransactionStatus.IDLE:
        return
    try:
        conn.execute("ROLLBACK")
    except Exception:  # the save's own failure is the one to raise
        conn.close()
