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
    shape, parameters = _shape(change)
    text = _TEXTS.get(shape)
    if text is None:
        text = _TEXTS[shape] = _text(change)
    return text, seal(parameters)


# A statement's text by its change's shape: a rebuild makes a few dozen shapes a million times.
_TEXTS: dict[tuple[Any, ...], str] = {}


def _shape(change: RowChange) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """What the statement's text depends on, and its parameters."""
    if isinstance(change, Insert):
        return (Insert, change.table, *change.values), tuple(change.values.values())
    if isinstance(change, Upsert):
        shape = (Upsert, change.table, *change.key, None, *change.values)
        return shape, (*change.key.values(), *change.values.values())
    if isinstance(change, Update):
        sets = [(c, isinstance(v, Added)) for c, v in change.values.items()]
        where = [(c, v is None) for c, v in change.where.items()]
        parameters = [v.amount if isinstance(v, Added) else v for v in change.values.values()]
        parameters += [v for v in change.where.values() if v is not None]
        return (Update, change.table, *sets, None, *where), tuple(parameters)
    if isinstance(change, Delete):
        where = [(c, v is None) for c, v in change.where.items()]
        return (Delete, change.table, *where), tuple(
            v for v in change.where.values() if v is not None
        )
    assert_never(change)


def _text(change: RowChange) -> str:
    if isinstance(change, Insert):
        return _insert(change.table, change.values)
    if isinstance(change, Upsert):
        text = _insert(change.table, {**change.key, **change.values})
        updates = ", ".join(f"{column} = excluded.{column}" for column in change.values)
        return f"{text} ON CONFLICT ({', '.join(change.key)}) DO UPDATE SET {updates}"
    if isinstance(change, Update):
        sets = ", ".join(
            f"{column} = {column} + ?" if isinstance(value, Added) else f"{column} = ?"
            for column, value in change.values.items()
        )
        return f"UPDATE {change.table} SET {sets} WHERE {_matching(change.where)}"
    if isinstance(change, Delete):
        return f"DELETE FROM {change.table} WHERE {_matching(change.where)}"
    assert_never(change)


def _insert(table: str, values: Row) -> str:
    marks = ", ".join("?" for _ in values)
    return f"INSERT INTO {table} ({', '.join(values)}) VALUES ({marks})"


def _matching(where: Mapping[str, Any]) -> str:
    """Equality on each column; None matches NULL (`= NULL` would match nothing)."""
    return " AND ".join(f"{c} IS NULL" if v is None else f"{c} = ?" for c, v in where.items())
