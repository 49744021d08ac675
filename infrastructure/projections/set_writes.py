"""A projection's row changes of a batch, reordered into long runs of one statement each, with the
same effect: the runner sends each run as one executemany (sql.py), which costs far less per row
than a statement each.

Table by table, each table's changes in their order: no projection table depends on another.
Within a table made only of inserts and plain updates (usage windows, target history,
incidents: a row opened, later closed), the updates go first and the inserts after them, each
insert with the updates that followed it applied to its row here: an update then changes in the
table only the rows that were there before the batch, as it did before the reordering (an insert
never changes which earlier rows an update matches), and each new row is written as the updates
after it would have left it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from application.projections.changes import Added, Insert, RowChange, Update


def in_runs(changes: Sequence[RowChange]) -> list[RowChange]:
    """`changes` table by table (tables in name order), each table's in runs where it can."""
    by_table: dict[str, list[RowChange]] = {}
    for change in changes:
        by_table.setdefault(change.table, []).append(change)
    return [change for table in sorted(by_table) for change in _updates_first(by_table[table])]


def _updates_first(changes: list[RowChange]) -> list[RowChange]:
    inserts = [change for change in changes if isinstance(change, Insert)]
    if (
        not inserts
        or len(inserts) == len(changes)
        or not all(map(_plain_update_or_insert, changes))
    ):
        return changes
    pending = _Pending()
    updates: list[RowChange] = []
    for change in changes:
        if isinstance(change, Insert):
            pending.add(dict(change.values))
        else:
            assert isinstance(change, Update)
            updates.append(change)
            pending.update(change)
    table = inserts[0].table
    # New rows do not depend on one another: those with the same columns go together.
    rows = sorted(pending.rows, key=lambda row: tuple(row))
    return [*updates, *(Insert(table, row) for row in rows)]


class _Pending:
    """The batch's new rows as its updates leave them, found by the values of the columns an
    update matches on and does not change (a batch has thousands of new rows and as many
    updates: usage windows are found by model, version and environment)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self._by: dict[tuple[str, ...], dict[tuple[Any, ...], list[dict[str, Any]]]] = {}

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        for columns, rows in self._by.items():
            rows.setdefault(tuple(row.get(c) for c in columns), []).append(row)

    def update(self, change: Update) -> None:
        """What `change` does in SQL to the new rows: equality on each column of its `where`,
        None as IS NULL (a column an insert left out is NULL)."""
        columns = tuple(c for c in change.where if c not in change.values) or (
            next(iter(change.where)),
        )
        index = self._by.get(columns)
        if index is None:
            index = self._by[columns] = {}
            for row in self.rows:
                index.setdefault(tuple(row.get(c) for c in columns), []).append(row)
        for row in index.get(tuple(change.where[c] for c in columns), []):
            if all(row.get(name) == value for name, value in change.where.items()):
                row.update(change.values)
        if any(name in columns for columns in self._by for name in change.values):
            self._by = {}  # values moved: index again


def _plain_update_or_insert(change: RowChange) -> bool:
    if isinstance(change, Insert):
        return True
    return isinstance(change, Update) and not any(
        isinstance(value, Added) for value in change.values.values()
    )
