"""Row changes (application/projections/changes.py) as SQL statements for SQLite and PostgreSQL.

One portable form serves both: `?` placeholders (the SQL runner rewrites them for psycopg) and
`INSERT ... ON CONFLICT (key) DO UPDATE SET c = excluded.c`, which SQLite (3.24+) and PostgreSQL
share. Personal values are sealed here, on their way to the table (`seal`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, assert_never

from application.projections.changes import Added, Delete, Insert, Row, RowChange, Update, Upsert

Statement = tuple[str, Sequence[Any]]
Seal = Callable[[Sequence[Any]], Sequence[Any]]  # a statement's parameters, personal ones sealed


def statement_for(change: RowChange, *, seal: Seal) -> Statement:
    """The statement that makes `change`, its personal values sealed by `seal`."""
    text, parameters = _statement(change)
    return text, seal(parameters)


def _statement(change: RowChange) -> Statement:
    if isinstance(change, Insert):
        return _insert(change.table, change.values)
    if isinstance(change, Upsert):
        text, parameters = _insert(change.table, {**change.key, **change.values})
        updates = ", ".join(f"{column} = excluded.{column}" for column in change.values)
        return f"{text} ON CONFLICT ({', '.join(change.key)}) DO UPDATE SET {updates}", parameters
    if isinstance(change, Update):
        sets, set_parameters = _assignments(change.values)
        where, where_parameters = _matching(change.where)
        return (
            f"UPDATE {change.table} SET {sets} WHERE {where}",
            (*set_parameters, *where_parameters),
        )
    if isinstance(change, Delete):
        where, parameters = _matching(change.where)
        return f"DELETE FROM {change.table} WHERE {where}", parameters
    assert_never(change)


def _insert(table: str, values: Row) -> Statement:
    marks = ", ".join("?" for _ in values)
    return f"INSERT INTO {table} ({', '.join(values)}) VALUES ({marks})", tuple(values.values())


def _assignments(values: Mapping[str, Any]) -> Statement:
    parts, parameters = [], []
    for column, value in values.items():
        if isinstance(value, Added):
            parts.append(f"{column} = {column} + ?")
            parameters.append(value.amount)
        else:
            parts.append(f"{column} = ?")
            parameters.append(value)
    return ", ".join(parts), tuple(parameters)


def _matching(where: Mapping[str, Any]) -> Statement:
    """Equality on each column; None matches NULL (`= NULL` would match nothing)."""
    parts = [f"{column} IS NULL" if v is None else f"{column} = ?" for column, v in where.items()]
    return " AND ".join(parts), tuple(v for v in where.values() if v is not None)
