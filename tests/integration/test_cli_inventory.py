"""`modelgov inventory` against the local store, on SQLite and PostgreSQL: every model ever
registered (a retired one included) as JSON, CSV and a workbook opened with openpyxl."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl

from domain.commands import (
    Activate,
    Deactivate,
    RecordValidation,
    RegisterVersion,
    RetireVersion,
)
from infrastructure.db.store import open_governance
from infrastructure.settings import Settings
from tests.conftest import environ_for
from tests.factories import T0, by, card, registration, seed_app_model
from tests.integration.test_cli import run


def _portfolio(backend: Settings, tmp_path: Path) -> dict[str, str]:
    """`churn` serving in production and independently validated; `legacy` retired."""
    app = open_governance(backend)
    version = seed_app_model(app)
    app.handle(Activate(name="churn", version=version, environment="production"), by=by("ops"))
    validation = RecordValidation(
        name="churn", version=version, kind="independent_validation", dataset="holdout",
        metrics={"auc": 0.8}, passed=True,
    )  # fmt: skip
    app.handle(validation, by=by("val", "MRM-1", at=T0 + timedelta(days=1)))
    app.handle(registration("legacy", "medium"), by=by("eng"))
    extras = {"method": "decision tree", "developers": ["eng"]}
    app.handle(RegisterVersion(name="legacy", card=card(extras=extras)), by=by("eng"))
    app.handle(RetireVersion(name="legacy", version=1), by=by("eng", "decommissioned"))
    app.close()
    return environ_for(backend.database.kind, tmp_path, backend.database.schema)


def test_the_inventory_lists_every_model_in_each_format(backend: Settings, tmp_path: Path) -> None:
    env = _portfolio(backend, tmp_path)

    as_json = run(tmp_path, "inventory", env=env)
    assert as_json.returncode == 0, as_json.stderr
    inventory = json.loads(as_json.stdout)
    churn, legacy = inventory["models"]
    assert (churn["model"], churn["status"], legacy["model"], legacy["status"]) == (
        "churn", "active", "legacy", "retired",
    )  # fmt: skip
    assert churn["last_independent_validation_by"] == "val"
    assert churn["next_revalidation_due"] == "2029-01-06T09:00:00Z"  # low tier: 36 months
    assert churn["serving"] == {"production": 1}
    assert legacy["method"] == "decision tree" and legacy["revalidation_interval_months"] == 24
    assert "independent_validation" in legacy["missing"] and "method" in churn["missing"]

    as_csv = run(tmp_path, "inventory", "--format", "csv", env=env)
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [row["model"] for row in rows] == ["churn", "legacy"]
    assert rows[0]["serving"] == "production: v1" and rows[0]["method"] == ""
    assert rows[0]["missing"] == "method; developers"
    assert rows[0]["inputs"] == "tenure; balance" and rows[1]["status"] == "retired"

    written = run(tmp_path, "inventory", "--format", "xlsx", "--out", "inventory.xlsx", env=env)
    assert written.returncode == 0, written.stderr
    workbook = openpyxl.load_workbook(tmp_path / "inventory.xlsx")
    sheet = workbook["Inventory"]
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["model", "status", "risk_tier"] and sheet.freeze_panes == "B2"
    assert [sheet.cell(row=r, column=1).value for r in (2, 3)] == ["churn", "legacy"]
    validated = sheet.cell(row=2, column=header.index("last_independent_validation_at") + 1)
    assert validated.value == datetime(2026, 1, 6, 9, 0) and validated.is_date
    due = sheet.cell(row=2, column=header.index("next_revalidation_due") + 1)
    assert due.value == datetime(2029, 1, 6, 9, 0) and due.is_date
    assert sheet.cell(row=3, column=header.index("versions") + 1).value == 1
    assert (
        sheet.cell(row=3, column=header.index("last_independent_validation_at") + 1).value is None
    )


def test_the_inventory_refuses_bad_usage_clearly(backend: Settings, tmp_path: Path) -> None:
    env = environ_for(backend.database.kind, tmp_path, backend.database.schema)
    for args, says in (
        (("--format", "pdf"), "'pdf' is not one of json, csv, xlsx"),
        (("--format", "xlsx"), "a workbook needs --out FILE"),
    ):
        result = run(tmp_path, "inventory", *args, env=env)
        assert result.returncode == 2 and says in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_a_model_deactivated_everywhere_but_not_retired_is_inactive(
    backend: Settings, tmp_path: Path
) -> None:
    app = open_governance(backend)
    version = seed_app_model(app)
    app.handle(Activate(name="churn", version=version, environment="staging"), by=by("ops"))
    app.handle(
        Deactivate(name="churn", version=version, environment="staging"), by=by("ops", "paused")
    )
    app.close()
    env = environ_for(backend.database.kind, tmp_path, backend.database.schema)
    [churn] = json.loads(run(tmp_path, "inventory", env=env).stdout)["models"]
    assert churn["status"] == "inactive" and churn["serving"] == {}
