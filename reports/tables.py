"""A model report's tables as CSV: approvals, usage windows, breaches and costs, one row per item,
for the spreadsheets compliance officers keep. Deterministic, as the report is."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

from reports.errors import UnknownTableError


def _target(item: dict[str, Any]) -> str:
    target = item["target_in_force"]
    return f"{target['metric']} {target['comparator']} {target['threshold']}"


# Each table: where its rows are in the model report, and its columns (header, value of a row).
Rows = Callable[[dict[str, Any]], list[dict[str, Any]]]
Columns = dict[str, Callable[[dict[str, Any]], Any]]
TABLES: dict[str, tuple[Rows, Columns]] = {
    "approvals": (lambda doc: doc["approvals"], {
        "decision": lambda r: r["decision"], "subject": lambda r: r["subject"],
        "principal": lambda r: r["principal"], "role": lambda r: r["role"],
        "effective_at": lambda r: r["effective_at"], "recorded_at": lambda r: r["recorded_at"],
        "backdated": lambda r: r["backdated"], "comment": lambda r: r["comment"],
        "model_revision": lambda r: r["model_revision"],
    }),
    "usage": (lambda doc: doc["usage"], {
        "version": lambda r: r["version"], "environment": lambda r: r["environment"],
        "started_at": lambda r: r["started_at"], "started_by": lambda r: r["started_by"],
        "ended_at": lambda r: r["ended_at"] or "", "ended_by": lambda r: r["ended_by"],
        "end_reason": lambda r: r["end_reason"], "duration_seconds": lambda r: r["duration_seconds"],
    }),
    "breaches": (lambda doc: doc["breaches"], {
        "breach_id": lambda r: r["breach_id"], "version": lambda r: r["version"],
        "environment": lambda r: r["environment"], "dimension": lambda r: r["dimension"],
        "target_in_force": _target, "observed_value": lambda r: r["observed_value"],
        "opened_at": lambda r: r["opened_at"], "closed_at": lambda r: r["closed_at"] or "",
        "closing_value": lambda r: "" if r.get("closing_value") is None else r["closing_value"],
        "duration_seconds": lambda r: r["duration_seconds"],
    }),
    "costs": (lambda doc: doc["costs"]["reports"], {
        "period": lambda r: r["period"], "business_unit": lambda r: r["business_unit"],
        "version": lambda r: "" if r.get("version") is None else r["version"],
        "amount": lambda r: r["amount"], "currency": lambda r: r["currency"],
        "month_total": lambda r: r["month_total"],
        "within_budget": lambda r: "" if r["within_budget"] is None else r["within_budget"],
        "effective_at": lambda r: r["effective_at"],
    }),
}  # fmt: skip


def csv_table(document: dict[str, Any], table: str) -> str:
    """One table of a model report as CSV (RFC 4180: a header row, CRLF line ends)."""
    if document.get("report") != "model" or table not in TABLES:
        raise UnknownTableError(f"a model report's tables are {', '.join(TABLES)}; got {table!r}")
    rows, columns = TABLES[table]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows(document):
        writer.writerow([_cell(value(row)) for value in columns.values()])
    return out.getvalue()


# A cell starting with one of these a spreadsheet runs as a formula (CSV injection) ...
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# ... unless it is a number as written here (-1.5, +2e-05): those are left as they are.
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_text(text: str) -> str:
    """A CSV cell's text, with a `'` before it where a spreadsheet would run it as a formula."""
    formula = text.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(text)
    return "'" + text if formula else text


def _cell(value: Any) -> str:
    return spreadsheet_text("true" if value is True else "false" if value is False else str(value))
