"""The erasure keys' table (application/erasure/keys.py says what the keys are): read, added and
destroyed by the event recorders, in the events' database, so that forgetting a person (the rows
deleted) and its `PersonForgotten` event commit in one transaction or not at all.

Not append-only, by design: deleting a row is the erasure. The wrapped keys open only with the
data key; the table holds no identifier of anyone (pseudonymous ids only). In the same
transaction, the principal ids forgotten are scrubbed from the bearer tokens and console sessions
(the only tables holding them in plain text, for authentication): their tokens are revoked and
their sessions ended, so a forgotten person no longer acts under that id.
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
from domain.people import ERASED
from infrastructure.db.sql import SqlRunner

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


def _scrubbed(kwargs: dict[str, Any]) -> Sequence[str]:
    """The principal ids a save scrubs from tokens and sessions (`save(..., scrub=[...])`)."""
    principals: Sequence[str] = kwargs.get("scrub") or ()
    return principals


# The tables holding a principal id, each with the column that ends what the principal held there.
SCRUBBED: dict[str, str] = {
    "modelgov_tokens": "revoked_at",
    "modelgov_console_sessions": "ended_at",
}
SCRUBBED_TABLES = tuple(SCRUBBED)


def _scrub_statements(principals: Sequence[str], mark: str) -> list[str]:
    """`principals` normalised (application/erasure/keys.py `normalised`), as the keys are found:
    a principal stored as `Ann.Lee@Bank.example` is scrubbed with `ann.lee@bank.example`'s key."""
    marks = ", ".join(mark for _ in principals)
    return [
        f"UPDATE {table} SET principal = '{ERASED}', {ended} = coalesce({ended}, {mark}) "
        f"WHERE lower(trim(principal)) IN ({marks})"
        for table, ended in SCRUBBED.items()
    ]


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
        refs, principals = _shredded(kwargs), _scrubbed(kwargs)
        if refs:
            cursor.execute(_shred_statement(TABLE, refs, "?"), tuple(refs))
        for statement in _scrub_statements(principals, "?") if principals else ():
            cursor.execute(statement, (_now(), *principals))
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
        refs, principals = _shredded(kwargs), _scrubbed(kwargs)
        if refs:
            statement = _shred_statement("{0}", refs, "%s")
            cursor.execute(SQL(statement).format(self._table()), tuple(refs))
        schema = Identifier(self.datastore.schema)
        for statement in _scrub_statements(principals, "%s") if principals else ():
            qualified = statement.replace("UPDATE ", "UPDATE {0}.", 1)
            cursor.execute(SQL(qualified).format(schema), (_now(), *principals))
        return bool(refs)


def drop_freed_copies(sql: SqlRunner, tables: Sequence[str]) -> None:
    """After a forgetting: let the database drop the old versions of the rows it changed (the
    scrubbed tokens, the read models rebuilt). SQLite rewrites its file (VACUUM) and empties its
    write-ahead log; PostgreSQL vacuums those tables it may (their owner's, else it skips them),
    which frees dead rows for reuse; their bytes go when the space is reused (VACUUM FULL, by
    the tables' owner, rewrites at once)."""
    if sql.database.kind == "sqlite":
        sql.execute("VACUUM")
        sql.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    sql.execute(f"VACUUM {', '.join(tables)}")
