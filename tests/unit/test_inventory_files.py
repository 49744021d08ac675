"""The inventory as a file: a text a spreadsheet would run as a formula stays text, in CSV and XLSX."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl

from application.inventory import COLUMNS
from reports.inventory import render_inventory

FORMULA = '=HYPERLINK("https://attacker.example","open")'


def _inventory(**entry: Any) -> dict[str, Any]:
    row = {column: None for column in COLUMNS} | {"model": "churn", "status": "active"} | entry
    return {"as_of": "2026-12-04T00:00:00Z", "columns": list(COLUMNS), "models": [row],
            "totals": {"models": 1}}  # fmt: skip


def test_a_formula_in_a_text_is_quoted_in_the_csv() -> None:
    inventory = _inventory(description=FORMULA, owner="@lead", purpose="-1.5", versions=3)
    (row,) = csv.DictReader(io.StringIO(render_inventory(inventory, "csv").decode()))
    assert row["description"] == "'" + FORMULA
    assert row["owner"] == "'@lead"
    assert (row["purpose"], row["versions"], row["model"]) == ("-1.5", "3", "churn")


def test_a_formula_in_a_text_is_a_text_cell_in_the_workbook() -> None:
    inventory = _inventory(description=FORMULA, versions=3)
    workbook = openpyxl.load_workbook(io.BytesIO(render_inventory(inventory, "xlsx")))
    sheet = workbook["Inventory"]
    header = [cell.value for cell in sheet[1]]
    description = sheet.cell(row=2, column=header.index("description") + 1)
    assert (description.value, description.data_type) == (FORMULA, "s")
    versions = sheet.cell(row=2, column=header.index("versions") + 1)
    assert (versions.value, versions.data_type) == (3, "n")
