"""A small SQL runner for modelgov's own tables beside the event store (tokens, idempotency records)."""

from __future__ import annotations

import contextlib
import itertools
import math
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import psycopg
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool

from infrastructure.db.fault_points import fault_point
from infrastructure.settings import Database

Rows = list[tuple[Any, ...]]
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_NULL = "\\N"
# A plain INSERT of one row, as row_sql.py writes it: a long run of them may go as COPY.
_PLAIN_INSERT = re.compile(r"INSERT INTO (\w+) \((\w+(?:, \w+)*)\) VALUES \(\?(?:, \?)*\)")
# Runs of a plain INSERT at least this long go as COPY on PostgreSQL: COPY costs about a tenth of
# executemany's client CPU a row (1.5 against 16 µs), but two more round trips and one to end
# the pipeline before it.
COPY_FROM_ROWS = 100
# What COPY's text reads back as the same value as the INSERT's parameter, whatever the column's
# type (not a float: into a text or numeric column, the parameter's cast writes other digits).
_COPIED_AS_THEY_ARE = frozenset({str, int, type(None)})


class Transaction(Protocol):
    def execute(self, statement: str, parameters: Sequence[Any] = ()) -> Rows:
        """Run one statement and return its rows."""
        ...

    def execute_all(self, statements: Iterable[tuple[str, Sequence[Any]]]) -> None:
        """Run statements in order, without reading results (pipelined on PostgreSQL)."""
        ...


class _SqliteTransaction:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def execute(self, statement: str, parameters: Sequence[Any] = ()) -> Rows:
        return self._connection.execute(statement, tuple(parameters)).fetchall()

    def execute_all(self, statements: Iterable[tuple[str, Sequence[Any]]]) -> None:
        # Runs of the same statement as one executemany, which costs less per row.
        for statement, run in itertools.groupby(statements, key=lambda s: s[0]):
            self._connection.executemany(statement, [tuple(parameters) for _, parameters in run])


def _pg(statement: str) -> str:
    """A statement written with `?` placeholders (as for SQLite), in psycopg's `%s`."""
    return statement.replace("?", "%s")


def _send(
    cursor: psycopg.Cursor[Any], statement: str, parameters: Sequence[Any]
) -> psycopg.Cursor[Any]:
    """Run one statement on `cursor` (in a pipeline: queued), its rows not read."""
    # Without parameters psycopg must not parse placeholders (DDL may contain '%' and '?').
    if parameters:
        return cursor.execute(_pg(statement), tuple(parameters))
    return cursor.execute(statement)


class _PostgresTransaction:
    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection

    def execute(self, statement: str, parameters: Sequence[Any] = ()) -> Rows:
        cursor = _send(self._connection.cursor(), statement, parameters)
        return cursor.fetchall() if cursor.description else []

    def execute_all(self, statements: Iterable[tuple[str, Sequence[Any]]]) -> None:
        # One round trip for the lot instead of one per statement; an error is raised at the
        # pipeline's end, and the transaction around it is rolled back.
        # Runs of the same statement go as one executemany, which costs less per row; a long
        # run of a plain INSERT as COPY (psycopg has no COPY in a pipeline: it ends before).
        runs = itertools.groupby(statements, key=lambda s: s[0])
        while True:
            copy: tuple[re.Match[str], list[tuple[Any, ...]]] | None = None
            with self._connection.pipeline():
                cursor = self._connection.cursor()
                for statement, run in runs:
                    rows = [tuple(parameters) for _, parameters in run]
                    if len(rows) == 1:
                        _send(cursor, statement, rows[0])
                    elif target := _copy_target(statement, rows):
                        copy = target, rows
                        break
                    else:
                        cursor.executemany(_pg(statement), rows)
            if copy is None:
                return
            target, rows = copy
            table, columns = target.groups()
            with self._connection.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as writer:
                writer.write(copy_text(rows))


def _copy_target(statement: str, rows: list[tuple[Any, ...]]) -> re.Match[str] | None:
    """The table and columns of a run of `statement` that goes as COPY: a long run of a plain
    INSERT, of values that COPY's text reads back as they are (None: not such a run)."""
    if len(rows) < COPY_FROM_ROWS:
        return None
    target = _PLAIN_INSERT.fullmatch(statement)
    if target is None or not all(type(v) in _COPIED_AS_THEY_ARE for row in rows for v in row):
        return None
    return target


class SqlRunner:
    """Runs one statement at a time, each in its own transaction, on SQLite or PostgreSQL.

    Statements use `?` placeholders; they are rewritten to `%s` for psycopg.
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self._pool: ConnectionPool | None = None
        if database.kind == "postgres":
            settings = [f"search_path={database.schema}"] if database.schema else []
            settings += ["default_transaction_read_only=on"] if database.read_only else []
            options = " ".join(f"-c {setting}" for setting in settings)
            self._pool = ConnectionPool(
                kwargs=database.connect_kwargs(options=options, autocommit=True),
                min_size=1, max_size=4, open=True, timeout=10,
            )  # fmt: skip

    def _sqlite(self) -> sqlite3.Connection:
        return sqlite3.connect(
            self.database.sqlite_target(), uri=True, timeout=10, isolation_level=None
        )

    def execute(
        self, statement: str, parameters: Sequence[Any] = (), *, binary: bool = False
    ) -> list[tuple[Any, ...]]:
        """Rows of one statement. `binary` asks PostgreSQL for its binary protocol: bytea comes
        as bytes and a uuid as a UUID, with no text to decode (SQLite returns those anyway)."""
        if self._pool is None:
            lite = self._sqlite()
            try:
                return lite.execute(statement, tuple(parameters)).fetchall()
            finally:
                lite.close()
        with self._pool.connection() as connection:
            cursor = _send(connection.cursor(binary=binary), statement, parameters)
            return cursor.fetchall() if cursor.description else []

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Several statements in one transaction, committed at the end unless an error is raised."""
        if self._pool is None:
            lite = self._sqlite()
            try:
                lite.execute("BEGIN IMMEDIATE")
                try:
                    yield _SqliteTransaction(lite)
                except BaseException:
                    lite.execute("ROLLBACK")
                    raise
                lite.execute("COMMIT")
            finally:
                lite.close()
            return
        with self._pool.connection() as connection, connection.transaction():
            yield _PostgresTransaction(connection)

    def execute_many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for many parameter rows, in one transaction."""
        if not rows:
            return
        if self._pool is None:
            lite = self._sqlite()
            try:
                lite.execute("BEGIN IMMEDIATE")
                lite.executemany(statement, [tuple(row) for row in rows])
                lite.execute("COMMIT")
            finally:
                lite.close()
            return
        with self._pool.connection() as connection, connection.transaction():
            connection.cursor().executemany(_pg(statement), [tuple(r) for r in rows])

    def append_rows(
        self,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        also: Sequence[tuple[str, Sequence[Any]]] = (),
        before: Sequence[tuple[str, Sequence[Any]]] = (),
    ) -> int:
        """Append rows in one transaction: COPY on PostgreSQL, executemany on SQLite; returns
        the serial key of the last row (0 when there are none).

        On PostgreSQL the table is locked against other writers for the transaction, so rows
        become visible in the order of their serial key: a reader following the key misses none.
        On both stores no other writer appends meanwhile (the lock; SQLite's one writer), so the
        rows take consecutive keys, in their order, ending at the one returned.
        The statements in `before` (making the partitions the rows need) and `also` (a command's
        receipt) run in the same transaction, before the rows.
        """
        if not rows:
            return 0
        if self._pool is None:
            last = self._append_sqlite(table, columns, rows, also=also, before=before)
        else:
            last = self._append_postgres(table, columns, copy_text(rows), also=also, before=before)
        if also:
            fault_point("after_commit")
        return last

    def _append_sqlite(
        self,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        also: Sequence[tuple[str, Sequence[Any]]],
        before: Sequence[tuple[str, Sequence[Any]]],
    ) -> int:
        marks = ", ".join("?" for _ in columns)
        with self.transaction() as transaction:
            for statement, parameters in before:
                transaction.execute(statement, parameters)
            transaction.execute_all(also)
            transaction.execute_all(
                (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", row)
                for row in rows
            )
            [(last,)] = transaction.execute("SELECT last_insert_rowid()")
            if also:
                fault_point("before_commit")
        return int(last)

    def _append_postgres(
        self,
        table: str,
        columns: Sequence[str],
        text: str,
        *,
        also: Sequence[tuple[str, Sequence[Any]]],
        before: Sequence[tuple[str, Sequence[Any]]],
    ) -> int:
        """The lock is held from the first pipeline's round trip to the last's: COPY's two round
        trips and one for the last key and the commit, with the rows already written as COPY's
        text. The transaction is begun and ended by statements in those pipelines."""
        assert self._pool is not None
        names = ", ".join(columns)
        with self._pool.connection() as connection:
            try:
                with connection.pipeline():  # the receipt, the partitions and the lock: one trip
                    cursor = connection.cursor()
                    for statement, parameters in [
                        ("BEGIN", ()), *also, *before,
                        (f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE", ()),
                    ]:  # fmt: skip
                        _send(cursor, statement, parameters)
                with connection.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    copy.write(text)  # encoded as the connection's encoding says
                with connection.pipeline():  # the last key and the commit: one trip
                    last = connection.execute("SELECT lastval()")
                    if also:
                        fault_point("before_commit")
                    connection.execute("COMMIT")
            except BaseException:
                _roll_back(connection)
                raise
            [(key,)] = last.fetchall()
        return int(key)

    @property
    def integrity_errors(self) -> tuple[type[Exception], ...]:
        return (sqlite3.IntegrityError, psycopg.errors.UniqueViolation)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()


def _roll_back(connection: psycopg.Connection[Any]) -> None:
    """End a transaction begun by a statement of ours that did not commit (a broken connection
    has none left, and the pool replaces it)."""
    if connection.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
        with contextlib.suppress(psycopg.Error):
            connection.execute("ROLLBACK")


def copy_text(rows: Sequence[Sequence[Any]]) -> str:
    """Rows in the text format of PostgreSQL's COPY, as PostgreSQL reads psycopg's `write_row`:
    NULL as \\N, text with its backslashes, tabs and line ends escaped, an int in digits, a float
    as the shortest text that reads back as the same float (NaN and Infinity by name). Text, to
    be encoded as the connection's encoding says.

    A column at a time (a column of one type is written by one C call), so that the rows are
    written before the append takes its lock, and in less time than `write_row` takes."""
    columns = [_copy_column(column) for column in zip(*rows, strict=True)]
    return "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"


def _copy_column(values: tuple[Any, ...]) -> Sequence[str]:
    kinds = set(map(type, values))
    if kinds == {str}:
        joined = "".join(values)
        if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
            return [value.translate(_COPY_ESCAPES) for value in values]
        return values
    if kinds == {int}:
        return list(map(int.__repr__, values))
    if kinds == {float}:
        written = list(map(float.__repr__, values))
        if "n" not in "".join(written):  # no nan, inf or -inf among them
            return written
    return list(map(_copy_cell, values))


def _copy_cell(value: object) -> str:
    if value is None:
        return _COPY_NULL
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (math.inf, -math.inf):
            return "Infinity" if value > 0 else "-Infinity"
        return float.__repr__(value)
    raise TypeError(f"copy_text writes text, numbers and NULL, not {type(value).__name__}")
