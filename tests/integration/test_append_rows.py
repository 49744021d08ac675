"""Rows appended in one transaction (COPY's text on PostgreSQL, written before the lock is taken;
executemany on SQLite) read back exactly as given, keyed in order, on both stores."""

from __future__ import annotations

import math
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infrastructure.db.sql import SqlRunner, copy_text
from infrastructure.settings import get_settings
from tests.conftest import PG_URL, environ_for

TABLE = "scratch_appended"
COLUMNS = ("label", "count", "value", "note")

# Any text a column can hold (PostgreSQL's text holds no NUL), with COPY's escapes among it.
texts = st.text(
    alphabet=st.one_of(
        st.sampled_from("\\\t\n\r\\N.-"),
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    )
)
rows = st.lists(
    st.tuples(
        texts,
        st.one_of(st.none(), st.integers(min_value=-(2**63), max_value=2**63 - 1)),
        st.one_of(st.none(), st.floats(allow_nan=False)),  # SQLite reads NaN back as NULL
        st.one_of(st.none(), texts),
    ),
    min_size=1,
    max_size=40,
)


@pytest.fixture
def table(sql: SqlRunner) -> SqlRunner:
    """`sql`, with the scratch table made."""
    _create(sql)
    return sql


def _create(sql: SqlRunner) -> None:
    serial = "INTEGER PRIMARY KEY AUTOINCREMENT" if sql.database.kind == "sqlite" else "BIGSERIAL"
    real = "REAL" if sql.database.kind == "sqlite" else "DOUBLE PRECISION"
    sql.execute(
        f"CREATE TABLE {TABLE} (position {serial}, label TEXT NOT NULL, count BIGINT, "
        f"value {real}, note TEXT)"
    )


def _same(read: tuple[Any, ...], written: tuple[Any, ...]) -> bool:
    return all(
        (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))
        or a == b
        for a, b in zip(read, written, strict=True)
    )


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(batch=rows)
def test_appended_rows_read_back_as_written_keyed_in_order(
    table: SqlRunner, batch: list[tuple[Any, ...]]
) -> None:
    sql = table
    before = sql.execute(f"SELECT COALESCE(MAX(position), 0) FROM {TABLE}")[0][0]
    last = sql.append_rows(TABLE, COLUMNS, batch)
    read = sql.execute(
        f"SELECT position, {', '.join(COLUMNS)} FROM {TABLE} WHERE position > ? ORDER BY position",
        (before,),
    )
    assert [row[0] for row in read] == list(range(before + 1, before + 1 + len(batch)))
    assert last == before + len(batch)
    assert all(_same(row[1:], written) for row, written in zip(read, batch, strict=True)), (
        read,
        batch,
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "\\N"), (True, "t"), (7, "7"), (0.1, "0.1"), (-math.inf, "-Infinity"),
     (math.nan, "NaN"), ("a\tb\\c\nd\re", "a\\tb\\\\c\\nd\\re")],
)  # fmt: skip
def test_copy_text_writes_each_kind_of_value_as_copy_reads_it(value: object, text: str) -> None:
    assert copy_text([(value, "x")]) == f"{text}\tx\n"


@pytest.mark.postgres
def test_copy_text_refuses_what_it_cannot_write_before_anything_is_stored(
    pg_sql: SqlRunner,
) -> None:
    sql = pg_sql
    _create(sql)
    with pytest.raises(TypeError, match="not bytes"):
        sql.append_rows(TABLE, COLUMNS, [("a", 1, 0.5, None), ("b", 2, 0.5, b"bytes")])
    assert sql.execute(f"SELECT COUNT(*) FROM {TABLE}") == [(0,)]
    # NaN and the infinities by name, among plain floats, as PostgreSQL reads them
    assert sql.append_rows(TABLE, COLUMNS, [("n", 1, math.nan, None), ("i", 2, -math.inf, None),
                                            ("p", 3, 0.25, None)]) == 3  # fmt: skip
    [(nan,), (minus,), (plain,)] = sql.execute(f"SELECT value FROM {TABLE} ORDER BY position")
    assert math.isnan(nan) and minus == -math.inf and plain == 0.25


@pytest.mark.postgres
@pytest.mark.usefixtures("pg_schema")  # PostgreSQL reachable, or skipped (failed in CI) as others
def test_text_is_sent_in_the_connections_encoding(tmp_path: Path) -> None:
    """A database in LATIN1: what is appended reads back as written, not as UTF-8's bytes."""
    name = f"test_latin1_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(
            f"CREATE DATABASE {name} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' "
            "TEMPLATE template0"
        )
    try:
        url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
        settings = get_settings({**environ_for("postgres", tmp_path), "MODELGOV_DATABASE_URL": url})
        sql = SqlRunner(settings.database)
        try:
            _create(sql)
            sql.append_rows(TABLE, COLUMNS, [("café crème", 1, 0.5, "naïve")])
            assert sql.execute(f"SELECT label, note FROM {TABLE}") == [("café crème", "naïve")]
        finally:
            sql.close()
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
