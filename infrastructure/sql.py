"""A small SQL runner for modelgov's own tables beside the event store (tokens, idempotency records)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from infrastructure.settings import Database


class SqlRunner:
    """Runs one statement at a time, each in its own transaction, on SQLite or PostgreSQL.

    Statements use `?` placeholders; they are rewritten to `%s` for psycopg.
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self._pool: ConnectionPool | None = None
        if database.kind == "postgres":
            options = f"-c search_path={database.schema}" if database.schema else ""
            self._pool = ConnectionPool(
                kwargs={
                    "host": database.host, "port": database.port, "user": database.user,
                    "password": database.password, "dbname": database.dbname,
                    "options": options, "autocommit": True, "connect_timeout": 5,
                },
                min_size=1, max_size=4, open=True, timeout=10,
            )  # fmt: skip

    def execute(self, statement: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self._pool is None:
            lite = sqlite3.connect(self.database.path, timeout=10, isolation_level=None)
            try:
                return lite.execute(statement, tuple(parameters)).fetchall()
            finally:
                lite.close()
        with self._pool.connection() as connection:
            # Without parameters psycopg must not parse placeholders (DDL may contain '%').
            if parameters:
                cursor = connection.execute(statement.replace("?", "%s"), tuple(parameters))
            else:
                cursor = connection.execute(statement)
            return cursor.fetchall() if cursor.description else []

    @contextmanager
    def transaction(self) -> Iterator[Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]]:
        """Several statements in one transaction: yields `execute(statement, parameters)`."""
        if self._pool is None:
            lite = sqlite3.connect(self.database.path, timeout=10, isolation_level=None)
            try:
                lite.execute("BEGIN IMMEDIATE")

                def run_lite(
                    statement: str, parameters: Sequence[Any] = ()
                ) -> list[tuple[Any, ...]]:
                    return lite.execute(statement, tuple(parameters)).fetchall()

                try:
                    yield run_lite
                except BaseException:
                    lite.execute("ROLLBACK")
                    raise
                lite.execute("COMMIT")
            finally:
                lite.close()
            return
        with self._pool.connection() as connection, connection.transaction():

            def run(statement: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
                cursor = connection.execute(statement.replace("?", "%s"), tuple(parameters))
                return cursor.fetchall() if cursor.description else []

            yield run

    def execute_many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for many parameter rows, in one transaction."""
        if not rows:
            return
        if self._pool is None:
            lite = sqlite3.connect(self.database.path, timeout=10, isolation_level=None)
            try:
                lite.execute("BEGIN IMMEDIATE")
                lite.executemany(statement, [tuple(row) for row in rows])
                lite.execute("COMMIT")
            finally:
                lite.close()
            return
        with self._pool.connection() as connection, connection.transaction():
            connection.cursor().executemany(statement.replace("?", "%s"), [tuple(r) for r in rows])

    def append_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Append rows in one transaction: COPY on PostgreSQL, executemany on SQLite.

        On PostgreSQL the table is locked against other writers for the transaction, so rows
        become visible in the order of their serial key: a reader following the key misses none.
        """
        if not rows:
            return
        names = ", ".join(columns)
        if self._pool is None:
            marks = ", ".join("?" for _ in columns)
            self.execute_many(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
            return
        with self._pool.connection() as connection, connection.transaction():
            connection.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
            with connection.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    @property
    def integrity_errors(self) -> tuple[type[Exception], ...]:
        return (sqlite3.IntegrityError, psycopg.errors.UniqueViolation)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
