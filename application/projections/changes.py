"""Row changes: what a projection makes of an event, as data (infrastructure turns them into SQL).

A value is written as it is, sealed when it is `Personal(...)` (personal.py), or, in an
`Update`, added to the column's value when it is `Added(n)` (a counter). In `where` and `key`,
columns are compared for equality, and None matches NULL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Row = Mapping[str, Any]  # column: value, in the order the columns are written


@dataclass(frozen=True, slots=True)
class Insert:
    """A new row."""

    table: str
    values: Row


@dataclass(frozen=True, slots=True)
class Upsert:
    """The row with this key, inserted with `values`, or, when it exists, given `values`."""

    table: str
    key: Row
    values: Row


@dataclass(frozen=True, slots=True)
class Update:
    """`values` set in every row that matches `where`."""

    table: str
    where: Row
    values: Row


@dataclass(frozen=True, slots=True)
class Delete:
    """Every row that matches `where`, removed."""

    table: str
    where: Row


@dataclass(frozen=True, slots=True)
class Added:
    """In an `Update`: the column's value plus `amount`."""

    amount: int


RowChange = Insert | Upsert | Update | Delete
