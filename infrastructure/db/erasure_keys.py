"""The erasure keys' table (application/erasure/keys.py says what the keys are): read, added and
destroyed by the event recorders, in the events' database, so that forgetting a person (the rows
deleted) and its `PersonForgotten` event commit in one transaction or not at all.

Not append-only, by design: deleting a row is the erasure. The wrapped keys open only with the
data key; the table holds no identifier of anyone (pseudonymous ids only).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.utils import retry
from psycopg.sql import SQL, Composed, Identifier

from application.erasure.keys import SNAPSHOTS
from domain.instants import sortable_utc_text

TABLE = "modelgov_erasure_keys"


def create_statement(kind: str) -> str:
    blob = "BLOB" if kind == "sqlite" else "BYTEA"
    return (
        f"CREATE TABLE IF NOT EXISTS {TABLE} (ref TEXT PRIMARY KEY, kind TEXT NOT NULL, "
        f"wrapped {blob} NOT NULL, created_at TEXT NOT NULL)"
    )


def _shredded(kwargs: dict[str, Any]) -> Sequence[str]:
    """The pseudonymous ids whose keys a save destroys (`Application.save(..., shred=[...])`)."""
    refs: Sequence[str] = kwargs.get("shred") or ()
    return refs


def _shred_statement(table: str, refs: Sequence[str], mark: str) -> str:
    # Every model's snapshots key goes too: a snapshot holds whole states, everyone in them.
    marks = ", ".join(mark for _ in refs)
    return f"DELETE FROM {table} WHERE kind = '{SNAPSHOTS}' OR ref IN ({marks})"


def _now() -> str:
    return sortable_utc_text(datetime.now(UTC))


class SQLiteErasureKeys:
    """The SQLite recorder's erasure keys."""

    datastore: Any

    def erasure_key(self, ref: str) -> bytes | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT wrapped FROM {TABLE} WHERE ref = ?", (ref,))
            row = c.fetchone()
        return None if row is None else bytes(row[0])

    def add_erasure_key(self, ref: str, *, kind: str, wrapped: bytes) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"INSERT INTO {TABLE} (ref, kind, wrapped, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (ref) DO NOTHING",
                (ref, kind, wrapped, _now()),
            )

    def shred_in(self, cursor: Any, kwargs: dict[str, Any]) -> bool:
        """Inside the events' transaction: delete the keys the save destroys; True if any."""
        refs = _shredded(kwargs)
        if refs:
            cursor.execute(_shred_statement(TABLE, refs, "?"), tuple(refs))
        return bool(refs)


class PostgresErasureKeys:
    """The PostgreSQL recorder's erasure keys."""

    datastore: Any

    def _table(self) -> Composed:
        return SQL("{0}.{1}").format(Identifier(self.datastore.schema), Identifier(TABLE))

    @retry((InterfaceError, OperationalError), max_attempts=3, wait=0.2)
    def erasure_key(self, ref: str) -> bytes | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL("SELECT wrapped FROM {0} WHERE ref = %s").format(self._table()), (ref,)
            )
            row = curs.fetchone()
        return None if row is None else bytes(row["wrapped"])

    @retry((InterfaceError, OperationalError), max_attempts=3, wait=0.2)
    def add_erasure_key(self, ref: str, *, kind: str, wrapped: bytes) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                SQL(
                    "INSERT INTO {0} (ref, kind, wrapped, created_at) VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT (ref) DO NOTHING"
                ).format(self._table()),
                (ref, kind, wrapped, _now()),
            )

    def shred_in(self, cursor: Any, kwargs: dict[str, Any]) -> bool:
        refs = _shredded(kwargs)
        if refs:
            statement = _shred_statement("{0}", refs, "%s")
            cursor.execute(SQL(statement).format(self._table()), tuple(refs))
        return bool(refs)
