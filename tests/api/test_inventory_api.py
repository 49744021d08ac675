"""The inventory over HTTP (`GET /v1/inventory`), on SQLite and PostgreSQL: the format by
`?format=` or the Accept header, for the roles that read the portfolio; and a validator's
evidence through the API, which meets the independent-validation gate a policy requires."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl

from tests.api.conftest import MODEL, PRINCIPAL_OF, VERSION, Api

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REVIEW = {"kind": "independent_validation", "dataset": "holdout", "metrics": {"auc": 0.8},
          "passed": True}  # fmt: skip


def _get(api: Api, role: str = "auditor", accept: str = "", **params: str) -> Any:
    headers = api.headers(role, **({"Accept": accept} if accept else {}))
    return api.client.get("/v1/inventory", headers=headers, params=params or None)


def test_an_independent_validation_meets_the_gate_and_shows_in_the_inventory(api: Api) -> None:
    assert api.post("/v1/models", MODEL, role="ml_engineer").status_code == 201
    assert api.post("/v1/models/churn/versions", VERSION, role="ml_engineer").status_code == 201
    policy = {"risk_tier": "low", "reason": "SR 26-2",
              "policy": {"required_gates": ["data_scientist_release_approval",
                                            "independent_validation"]}}  # fmt: skip
    assert api.post("/v1/models/churn/policy", policy, role="compliance_officer").status_code == 200
    assert (
        api.post("/v1/models/churn/versions/1/approvals", {}, role="data_scientist").status_code
        == 200
    )
    activation = {"version": 1, "environment": "production"}
    refused = api.post("/v1/models/churn/activations", activation, role="devops_engineer")
    assert refused.status_code == 409
    assert [g["gate"] for g in refused.json()["unmet_gates"]] == ["independent_validation"]
    assert (
        api.post("/v1/models/churn/versions/1/validations", REVIEW, role="validator").status_code
        == 200
    )
    assert (
        api.post("/v1/models/churn/activations", activation, role="devops_engineer").status_code
        == 200
    )

    [entry] = api.get("/v1/inventory").json()["models"]  # type: ignore[attr-defined]
    assert entry["last_independent_validation_by"] == PRINCIPAL_OF["validator"]
    assert entry["serving"] == {"production": 1} and entry["revalidation_interval_months"] == 36


def test_the_format_follows_the_query_then_the_accept_header(api: Api) -> None:
    assert api.post("/v1/models", MODEL, role="ml_engineer").status_code == 201
    assert api.post("/v1/models/churn/versions", VERSION, role="ml_engineer").status_code == 201
    api.get("/v1/models/churn")  # reads its own writes: the read models have them now

    as_csv = _get(api, accept="text/csv")
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    [row] = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert row["model"] == "churn" and row["status"] == "inactive"

    workbook = _get(api, role="compliance_officer", accept=f"text/html, {XLSX}")
    assert workbook.headers["content-type"] == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content))["Inventory"]
    assert sheet["A1"].value == "model" and sheet["A2"].value == "churn"

    forced = _get(api, accept="text/csv", format="json")
    assert forced.headers["content-type"] == "application/json"
    assert forced.json()["totals"]["models"] == 1
    assert _get(api, accept="text/html").headers["content-type"] == "application/json"


def test_only_the_roles_that_read_the_portfolio_read_the_inventory(api: Api) -> None:
    assert _get(api, role="data_scientist").status_code == 403
    assert _get(api, role="validator").status_code == 403
    bad = _get(api, format="pdf")
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert api.client.get("/v1/inventory").status_code == 401
