"""Row changes as SQL, on SQLite and PostgreSQL: each change does to the rows what it says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from application.projections.changes import Added, Delete, Insert, RowChange, Update, Upsert
from application.projections.personal import Personal
from infrastructure.db.sql import COPY_FROM_ROWS, SqlRunner
from infrastructure.projections.row_sql import statement_for
from infrastructure.settings import Settings

TABLE = "scratch_rows"


def sealed(parameters: Any) -> Any:
    return tuple(f"sealed({v.text})" if isinstance(v, Personal) else v for v in parameters)


@pytest.fixture
def sql(backend: Settings) -> Iterator[SqlRunner]:
    runner = SqlRunner(backend.database)
    runner.execute(
        f"CREATE TABLE {TABLE} (model TEXT NOT NULL, environment TEXT NOT NULL, "
        "version INTEGER, count INTEGER NOT NULL, who TEXT, PRIMARY KEY (model, environment))"
    )
    yield runner
    runner.close()


def apply(sql: SqlRunner, *changes: RowChange) -> list[tuple[Any, ...]]:
    with sql.transaction() as transaction:
        transaction.execute_all(statement_for(change, seal=sealed) for change in changes)
    return sql.execute(f"SELECT model, environment, version, count, who FROM {TABLE} "
                       "ORDER BY model, environment")  # fmt: skip


def test_an_insert_writes_the_row_with_personal_values_sealed(sql: SqlRunner) -> None:
    row = {"model": "churn", "environment": "prod", "version": 1, "count": 0,
           "who": Personal("Ann")}  # fmt: skip
    assert apply(sql, Insert(TABLE, row)) == [("churn", "prod", 1, 0, "sealed(Ann)")]


def test_an_upsert_inserts_then_updates_only_its_values(sql: SqlRunner) -> None:
    key = {"model": "churn", "environment": "prod"}
    first = Upsert(TABLE, key=key, values={"version": 1, "count": 5})
    second = Upsert(TABLE, key=key, values={"version": 2, "count": 6})
    assert apply(sql, first) == [("churn", "prod", 1, 5, None)]
    assert apply(sql, second) == [("churn", "prod", 2, 6, None)]


def test_an_update_adds_to_counters_and_matches_null_with_none(sql: SqlRunner) -> None:
    apply(sql, *(Insert(TABLE, {"model": "churn", "environment": env, "version": version,
                                "count": 1})
                 for env, version in (("prod", None), ("staging", 3))))  # fmt: skip
    rows = apply(
        sql,
        Update(TABLE, where={"model": "churn"}, values={"count": Added(2)}),
        Update(TABLE, where={"model": "churn", "version": None}, values={"who": Personal("Bo")}),
    )
    assert rows == [("churn", "prod", None, 3, "sealed(Bo)"), ("churn", "staging", 3, 3, None)]


def test_a_delete_removes_only_the_rows_that_match(sql: SqlRunner) -> None:
    apply(sql, *(Insert(TABLE, {"model": "churn", "environment": env, "version": 1, "count": 0})
                 for env in ("prod", "staging")))  # fmt: skip
    rows = apply(sql, Delete(TABLE, where={"model": "churn", "environment": "prod", "version": 1}))
    assert rows == [("churn", "staging", 1, 0, None)]


@pytest.mark.postgres
def test_a_long_run_of_inserts_goes_as_copy_on_postgresql_with_the_same_rows(
    pg_sql: SqlRunner,
) -> None:
    sql = pg_sql
    sql.execute(
        f"CREATE TABLE {TABLE} (model TEXT NOT NULL, environment TEXT NOT NULL, "
        "version INTEGER, count INTEGER NOT NULL, who TEXT, PRIMARY KEY (model, environment))"
    )
    # What each row was written by, as the server saw it: COPY, or the INSERT.
    sql.execute("CREATE TABLE written_by (statement TEXT)")
    sql.execute(
        "CREATE FUNCTION note_statement() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO written_by VALUES (split_part(current_query(), ' ', 1)); "
        "RETURN NEW; END $$"
    )
    sql.execute(
        f"CREATE TRIGGER noted BEFORE INSERT ON {TABLE} FOR EACH ROW "
        "EXECUTE FUNCTION note_statement()"
    )
    long_run = [
        Insert(TABLE, {"model": f"m\t{i}\\", "environment": "prod\n", "version": None,
                       "count": -i, "who": Personal(f"Ann {i}\r")})
        for i in range(COPY_FROM_ROWS)
    ]  # fmt: skip
    short_run = [Insert(TABLE, {"model": "z", "environment": e, "count": 1}) for e in "ab"]
    after = Update(TABLE, where={"model": "z", "environment": "a"}, values={"count": 2})
    rows = apply(sql, *long_run, *short_run, after)
    assert rows == sorted(
        [(f"m\t{i}\\", "prod\n", None, -i, f"sealed(Ann {i}\r)") for i in range(COPY_FROM_ROWS)]
        + [("z", "a", None, 2, None), ("z", "b", None, 1, None)]
    )
    assert sql.execute(
        "SELECT statement, COUNT(*) FROM written_by GROUP BY statement ORDER BY statement"
    ) == [("COPY", COPY_FROM_ROWS), ("INSERT", 2)]
