"""/v1/reports: the three reports in each format, and a clear 4xx for anything a client can get wrong."""

from __future__ import annotations

import io
import json
from typing import Any

import pypdf
import pytest

from infrastructure.ledger.keys import write_key_pair
from tests.api.conftest import Api
from tests.reports.conftest import HEAD_TIME, portfolio, seal_at


@pytest.fixture
def sealed(api: Api) -> Api:
    ledger = api.client.app.state.ledger
    write_key_pair(ledger.settings.signing_key_file, passphrase=None)
    portfolio(api.client.app.state.services.governance)
    seal_at(ledger, HEAD_TIME)
    return api


def problem(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"https://modelgov.dev/problems/{code}"
    return str(body["detail"])


def test_each_report_in_each_format(sealed: Api) -> None:
    html = sealed.get("/v1/reports/models/scorer")
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert "Model audit report: scorer" in html.text
    data = sealed.get("/v1/reports/portfolio", format="json", role="compliance_officer")
    assert [m["model"] for m in data.json()["models"]] == ["scorer", "router", "draft-model"]
    assert data.headers["x-modelgov-tree-size"] == "30"
    pdf = sealed.get("/v1/reports/changes", since="2026-01-05T09:00:00Z", until="2026-01-08T00:00:00Z",
                     format="pdf")  # fmt: skip
    assert pdf.headers["content-type"] == "application/pdf"
    assert len(pypdf.PdfReader(io.BytesIO(pdf.content)).pages) >= 1


def test_the_api_and_a_second_request_give_the_same_bytes(sealed: Api) -> None:
    first = sealed.get("/v1/reports/models/scorer", format="json").content
    assert sealed.get("/v1/reports/models/scorer", format="json", as_of_head=30).content == first
    assert json.loads(first)["integrity"]["tree_size"] == 30


def test_an_unknown_model_is_404(sealed: Api) -> None:
    detail = problem(sealed.get("/v1/reports/models/nope"), 404, "model_not_found")
    assert "no model named 'nope'" in detail


def test_a_head_beyond_the_log_is_404_and_says_the_latest_size(sealed: Api) -> None:
    detail = problem(
        sealed.get("/v1/reports/portfolio", as_of_head=99), 404, "ledger_lookup_failed"
    )
    assert "latest signed tree head has size 30" in detail


def test_a_period_ending_before_it_starts_is_422(sealed: Api) -> None:
    response = sealed.get(
        "/v1/reports/changes", since="2026-02-01T00:00:00Z", until="2026-01-01T00:00:00Z"
    )
    problem(response, 422, "report_period_invalid")


@pytest.mark.parametrize(
    "query",
    [
        {"since": "2026-01-01T00:00:00", "until": "2026-02-01T00:00:00Z"},
        {"since": "yesterday", "until": "2026-02-01T00:00:00Z"},
        {"since": "2026-01-01T00:00:00Z"},
        {"since": "2026-01-01T00:00:00Z", "until": "2026-02-01T00:00:00Z", "format": "docx"},
        {"since": "2026-01-01T00:00:00Z", "until": "2026-02-01T00:00:00Z", "as_of_head": 0},
    ],
)
def test_bad_queries_are_422(sealed: Api, query: dict[str, Any]) -> None:
    response = sealed.get("/v1/reports/changes", **query)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_before_any_head_is_signed_the_answer_says_to_seal(api: Api) -> None:
    detail = problem(api.get("/v1/reports/portfolio"), 404, "ledger_lookup_failed")
    assert "no tree head has been signed yet" in detail
