"""A batch's row changes in runs of one statement, with the effect they had in their order."""

from __future__ import annotations

import sqlite3
from typing import Any

from application.projections.changes import Added, Delete, Insert, RowChange, Update, Upsert
from infrastructure.projections.row_sql import statement_for
from infrastructure.projections.set_writes import in_runs

WINDOWS, OTHER = "windows", "other"


def rows_after(changes: list[RowChange]) -> list[tuple[Any, ...]]:
    database = sqlite3.connect(":memory:")
    database.execute(f"CREATE TABLE {WINDOWS} (model TEXT, version INTEGER, opened TEXT, "
                     "closed TEXT, why TEXT, PRIMARY KEY (model, version, opened))")  # fmt: skip
    database.execute(f"CREATE TABLE {OTHER} (model TEXT PRIMARY KEY, n INTEGER)")
    database.execute(f"INSERT INTO {WINDOWS} VALUES ('churn', 1, 't0', NULL, NULL)")
    for change in changes:
        database.execute(*statement_for(change, seal=lambda parameters: parameters))
    return sorted(database.execute(f"SELECT * FROM {WINDOWS}").fetchall())


def opened(version: int, at: str) -> Insert:
    return Insert(WINDOWS, {"model": "churn", "version": version, "opened": at})


def closed(version: int, at: str) -> Update:
    where = {"model": "churn", "version": version, "closed": None}
    return Update(WINDOWS, where=where, values={"closed": at, "why": f"at {at}"})


def test_updates_go_before_the_new_rows_which_carry_the_updates_made_after_them() -> None:
    changes: list[RowChange] = [
        closed(1, "t1"), opened(2, "t1"), Upsert(OTHER, key={"model": "churn"}, values={"n": 1}),
        closed(2, "t2"), opened(1, "t2"), closed(1, "t3"), closed(1, "t4"), opened(2, "t4"),
    ]  # fmt: skip
    reordered = in_runs(changes)
    assert [type(change) for change in reordered if change.table == WINDOWS] == [Update] * 4 + [
        Insert
    ] * 3
    assert reordered[-1].table == WINDOWS  # tables in name order: "other" first
    assert (
        rows_after(reordered)
        == rows_after(changes)
        == [
            ("churn", 1, "t0", "t1", "at t1"),
            ("churn", 1, "t2", "t3", "at t3"),
            ("churn", 2, "t1", "t2", "at t2"),
            ("churn", 2, "t4", None, None),
        ]
    )


def test_a_table_with_deletes_upserts_or_additions_keeps_its_order() -> None:
    for odd_one in (
        Delete(WINDOWS, where={"model": "churn"}),
        Update(WINDOWS, where={"model": "churn"}, values={"version": Added(1)}),
    ):
        changes = [opened(2, "t1"), odd_one, closed(2, "t2"), opened(3, "t3")]
        assert in_runs(changes) == changes
