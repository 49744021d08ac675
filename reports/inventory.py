"""The model inventory (application/inventory.py) as a file: JSON, CSV or an Excel workbook.

CSV and XLSX have one row per model under a header row, in the inventory's column order; a list
is written as its entries joined by "; ", where the model serves as `production: v2; staging: v3`.
A text a spreadsheet would run as a formula (`=...`) stays text: quoted in CSV, typed in XLSX.
The workbook's instants are dates (UTC), its header row and model column frozen.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, get_args

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from application.inventory import COLUMNS, INSTANT_COLUMNS
from domain.instants import require_instant
from reports.tables import spreadsheet_text

InventoryFormat = Literal["json", "csv", "xlsx"]
INVENTORY_FORMATS: tuple[str, ...] = get_args(InventoryFormat)
INVENTORY_MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
_WIDEST_COLUMN = 60


def render_inventory(inventory: Mapping[str, Any], fmt: str) -> bytes:
    """The inventory document in one of INVENTORY_FORMATS."""
    if fmt == "json":
        return (json.dumps(inventory, indent=2, ensure_ascii=False) + "\n").encode()
    if fmt == "csv":
        return _csv(inventory)
    if fmt == "xlsx":
        return _xlsx(inventory)
    raise ValueError(f"{fmt!r} is not one of {', '.join(INVENTORY_FORMATS)}")


def cell_text(column: str, value: Any) -> str:
    """A value as a table cell writes it: empty for none, lists joined by "; ", booleans yes/no."""
    if value is None:
        return ""
    if column == "serving":
        return "; ".join(f"{environment}: v{number}" for environment, number in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(entry) for entry in value)
    return str(value)


def _csv(inventory: Mapping[str, Any]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for entry in inventory["models"]:
        writer.writerow([spreadsheet_text(cell_text(column, entry[column])) for column in COLUMNS])
    return buffer.getvalue().encode()


def _cell_value(column: str, value: Any) -> Any:
    """What a workbook cell holds: an instant as a date (UTC, without a zone: Excel has none),
    numbers as numbers, the rest as text."""
    if value is None:
        return None
    if column in INSTANT_COLUMNS:
        return require_instant(column, value).replace(tzinfo=None)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return cell_text(column, value)


def _xlsx(inventory: Mapping[str, Any]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Inventory"
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(column) for column in COLUMNS]
    for entry in inventory["models"]:
        row = [_cell_value(column, entry[column]) for column in COLUMNS]
        sheet.append(row)
        for index, (column, value) in enumerate(zip(COLUMNS, row, strict=True)):
            cell = sheet.cell(row=sheet.max_row, column=index + 1)
            if isinstance(value, datetime):
                cell.number_format = _DATE_FORMAT
            else:
                if isinstance(value, str):
                    cell.data_type = "s"  # openpyxl takes a text starting with = for a formula
                cell.alignment = Alignment(vertical="top", wrap_text=column != "model")
            shown = len(_DATE_FORMAT) if isinstance(value, datetime) else len(str(value or ""))
            widths[index] = max(widths[index], min(shown, _WIDEST_COLUMN))
    for index, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width + 2
    sheet.freeze_panes = "B2"  # the header row and the model's name stay in view
    sheet.auto_filter.ref = sheet.dimensions
    about = workbook.create_sheet("About")
    about.append(["Model inventory (US SR 26-2 / OCC 2026-13), from the modelgov ledger"])
    about.append(["as of (UTC)", require_instant("as_of", inventory["as_of"]).replace(tzinfo=None)])
    about["B2"].number_format = _DATE_FORMAT
    for name, count in inventory["totals"].items():
        about.append([name.replace("_", " "), count])
    about.column_dimensions["A"].width = 40
    about.column_dimensions["B"].width = 22
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
