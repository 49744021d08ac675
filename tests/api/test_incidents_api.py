"""Serious incidents over HTTP, on SQLite and PostgreSQL: declared and reported through the command
routes, their deadline in the portfolio (the time left, or critical once overdue), the model's
document, and the incident's report as a document from the ledger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from infrastructure.ledger.keys import write_key_pair
from tests.api.conftest import MODEL, VERSION, Api
from tests.api.test_reports_api import problem
from tests.reports.conftest import seal_at

INCIDENTS = "/v1/models/churn/incidents"


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def live(api: Api) -> Api:
    """churn's version 1 in production since four days ago, with bias flag BF-1 raised."""
    since = {"effective_at": _ago(days=4)}
    assert api.post("/v1/models", {**MODEL, **since}, role="ml_engineer").status_code == 201
    assert (
        api.post("/v1/models/churn/versions", {**VERSION, **since}, role="ml_engineer").status_code
        == 201
    )
    assert (
        api.post("/v1/models/churn/versions/1/approvals", since, role="data_scientist").status_code
        == 200
    )
    activation = {"version": 1, "environment": "production", **since}
    assert (
        api.post("/v1/models/churn/activations", activation, role="devops_engineer").status_code
        == 200
    )
    flag = {"version": 1, "attribute": "age", "metric": "dpd", "value": 0.3, "threshold": 0.1}
    assert api.post("/v1/models/churn/bias-flags", flag, role="data_scientist").status_code == 200
    return api


def _incident_findings(api: Api) -> list[dict[str, Any]]:
    portfolio: Any = api.get("/v1/portfolio/compliance", role="compliance_officer").json()
    [churn] = [m for m in portfolio["models"] if m["model"] == "churn"]
    return [f for f in churn["findings"] if f["finding"].startswith("serious_incident")]


def test_a_declared_incident_shows_its_deadline_in_the_portfolio_until_reported(live: Api) -> None:
    overdue = {"severity_class": "widespread_or_critical_infrastructure", "version": 1,
               "summary": "refusals across a region", "aware_at": _ago(days=3), "flag_ids": ["BF-1"]}  # fmt: skip
    answer = live.post(INCIDENTS, overdue, role="itops_engineer")
    assert answer.status_code == 201, answer.text
    assert answer.json()["result"] == "SI-1"
    due = {"severity_class": "other_serious", "summary": "one wrong refusal"}
    assert live.post(INCIDENTS, due, role="data_scientist").json()["result"] == "SI-2"

    late, pending = _incident_findings(live)  # the worst first
    assert (late["incident_id"], late["finding"], late["severity"]) == (
        "SI-1", "serious_incident_report_overdue", "critical",
    )  # fmt: skip
    assert late["seconds_left"] < -23 * 3600 and "overdue by 1 d" in late["detail"]
    assert (pending["incident_id"], pending["severity"]) == ("SI-2", "high")
    assert 14 * 86400 < pending["seconds_left"] <= 15 * 86400 and "14 d 23 h" in pending["detail"]

    report = {"kind": "initial", "authority": "national market surveillance authority",
              "reference": "MSA-2026-17", "document_sha256": "AB" * 32}  # fmt: skip
    assert (
        live.post(f"{INCIDENTS}/SI-1/reports", report, role="compliance_officer").status_code == 201
    )
    assert [f["incident_id"] for f in _incident_findings(live)] == ["SI-2"]

    model: Any = live.get("/v1/models/churn").json()
    first = model["serious_incidents"][0]
    assert first["flag_ids"] == ["BF-1"] and first["submissions"][0]["reference"] == "MSA-2026-17"
    assert first["submissions"][0]["document_sha256"] == "ab" * 32


def test_what_an_incident_cannot_be_declared_or_reported_with_is_a_clear_4xx(live: Api) -> None:
    declared = {"severity_class": "death", "summary": "a patient died"}
    detail = problem(live.post(INCIDENTS, {**declared, "breach_ids": ["B-4"]}, role="ml_engineer"),
                     404, "breach_not_found")  # fmt: skip
    assert "model 'churn' has no breach 'B-4'" in detail
    detail = problem(live.post(INCIDENTS, {**declared, "flag_ids": ["BF-2"]}, role="ml_engineer"),
                     404, "bias_flag_not_found")  # fmt: skip
    assert "no bias flag 'BF-2'" in detail
    in_an_hour = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    detail = problem(live.post(INCIDENTS, {**declared, "aware_at": in_an_hour}, role="ml_engineer"),
                     422, "invalid_value")  # fmt: skip
    assert "aware_at" in detail and "after the declaration" in detail
    problem(live.post(INCIDENTS, {**declared, "effective_at": in_an_hour, "aware_at": in_an_hour},
                      role="ml_engineer"), 422, "effective_time_in_future")  # fmt: skip
    problem(live.post(INCIDENTS, {**declared, "severity_class": "minor"}, role="ml_engineer"),
            422, "invalid_request")  # fmt: skip
    problem(live.post(INCIDENTS, {**declared, "aware_at": "2026-01-01T00:00:00"}, role="ml_engineer"),
            422, "invalid_request")  # fmt: skip
    problem(live.post(INCIDENTS, declared, role="business_owner"), 403, "role_not_allowed")
    problem(live.post(INCIDENTS, declared, role="auditor"), 403, "role_not_allowed")

    assert live.post(INCIDENTS, declared, role="ml_engineer").status_code == 201
    follow_up = {"kind": "follow_up", "authority": "MSA", "reference": "R-1"}
    detail = problem(live.post(f"{INCIDENTS}/SI-1/reports", follow_up, role="compliance_officer"),
                     409, "incident_report_out_of_order")  # fmt: skip
    assert "record the initial report first" in detail
    initial = {**follow_up, "kind": "initial"}
    problem(live.post(f"{INCIDENTS}/SI-9/reports", initial, role="compliance_officer"), 404,
            "incident_not_found")  # fmt: skip
    problem(live.post(f"{INCIDENTS}/X-1/reports", initial, role="compliance_officer"), 422,
            "invalid_request")  # fmt: skip
    problem(live.post(f"{INCIDENTS}/SI-1/reports", initial, role="ml_engineer"), 403,
            "role_not_allowed")  # fmt: skip
    model: Any = live.get("/v1/models/churn").json()
    assert [i["incident_id"] for i in model["serious_incidents"]] == ["SI-1"]
    assert model["serious_incidents"][0]["submissions"] == []


def test_the_incident_report_is_a_document_from_the_ledger(live: Api) -> None:
    declared = {"severity_class": "death", "summary": "a patient died", "version": 1,
                "aware_at": _ago(hours=5), "flag_ids": ["BF-1"]}  # fmt: skip
    assert live.post(INCIDENTS, declared, role="compliance_officer").status_code == 201
    ledger = live.client.app.state.ledger
    write_key_pair(ledger.settings.signing_key_file, passphrase=None)
    seal_at(ledger, datetime.now(UTC))

    path = "/v1/reports/models/churn/incidents/SI-1"
    document: Any = live.get(path, format="json").json()
    assert (document["kind"], document["complete"]) == ("initial", False)
    assert document["incident"]["status"] == "due" and document["incident"]["deadline_days"] == 10
    assert "who or what was harmed, and how" in document["missing"]
    assert [f["flag_id"] for f in document["bias_flags"]] == ["BF-1"]
    html = live.get(path)
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert "Initial report on serious incident SI-1: churn" in html.text
    assert "incident-churn-SI-1-initial-head-" in html.headers["content-disposition"]
    problem(live.get(path, kind="follow_up"), 409, "incident_report_out_of_order")
    problem(live.get("/v1/reports/models/churn/incidents/SI-2"), 404, "incident_not_found")
