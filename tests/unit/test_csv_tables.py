"""A model report's tables as CSV: what a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import csv
import io
from typing import Any

from reports.tables import csv_table


def _comments(*comments: Any) -> list[str]:
    approval = {
        "decision": "release approval",
        "subject": "v1",
        "principal": "ds",
        "role": "data_scientist",
        "effective_at": "2025-01-01T00:00:00Z",
        "recorded_at": "2025-01-01T00:00:00Z",
        "backdated": False,
        "model_revision": 3,
    }
    document = {"report": "model", "approvals": [{**approval, "comment": c} for c in comments]}
    rows = list(csv.DictReader(io.StringIO(csv_table(document, "approvals"))))
    return [row["comment"] for row in rows]


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text() -> None:
    formulas = ("=1+1", "+cmd|' /C calc'!A0", "-2+3+cmd", "@SUM(A1)", "\tx", "-", "-inf")
    assert _comments(*formulas) == ["'" + text for text in formulas]


def test_numbers_signed_or_not_are_left_as_they_are() -> None:
    numbers = (-1, -1.5, "+2", "-.5", -2.5e20, 1e-05, "ok")
    assert _comments(*numbers) == ["-1", "-1.5", "+2", "-.5", "-2.5e+20", "1e-05", "ok"]
