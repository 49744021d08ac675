"""Instants over HTTP: in with any offset, out in UTC with `Z`; usage windows in time order, not text order."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.ledger.keys import write_key_pair
from tests.api.conftest import MODEL, VERSION, Api

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
UTC_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3}|\.\d{6})?Z$")
# An instant written with an offset, anywhere in a text (a field, or inside an error's detail).
WITH_OFFSET = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def instants_in(document: Any) -> list[str]:
    """Every string in a JSON document that starts like a date and time."""
    return [text for text in _strings(document) if DATETIME.match(text)]


def ok(response: Any) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture
def history(api: Api) -> Api:
    """`churn`, written from two time zones: v1 enters staging at 08:00+05:00 (03:00Z), v2
    production at 04:00Z; staging ends at 20:30-08:00 the day before (04:30Z).

    As text, 2026-01-05T04:00:00Z sorts before 2026-01-05T08:00:00+05:00; as time, after it.
    """
    ok(api.post("/v1/models", {**MODEL, "effective_at": "2026-01-04T16:00:00-08:00"},
                role="ml_engineer"))  # fmt: skip
    for at in ("2026-01-05T06:00:00+05:00", "2026-01-04T17:30:00-08:00"):
        version = {**VERSION, "effective_at": at}
        ok(api.post("/v1/models/churn/versions", version, role="ml_engineer"))
    for number in (1, 2):
        ok(api.post(f"/v1/models/churn/versions/{number}/approvals",
                    {"effective_at": "2026-01-05T07:00:00+05:00"}, role="data_scientist"))  # fmt: skip
    for body in (
        {"version": 1, "environment": "staging", "effective_at": "2026-01-05T08:00:00+05:00"},
        {"version": 2, "environment": "production", "effective_at": "2026-01-05T04:00:00Z"},
    ):
        ok(api.post("/v1/models/churn/activations", body, role="devops_engineer"))
    ok(api.post("/v1/models/churn/deactivations",
                {"version": 1, "environment": "staging", "reason": "staging done",
                 "effective_at": "2026-01-04T20:30:00-08:00"}, role="devops_engineer"))  # fmt: skip
    ok(api.post("/v1/models/churn/bias-flags",
                {"version": 2, "attribute": "age", "metric": "dpd", "value": 0.3, "threshold": 0.1,
                 "effective_at": "2026-01-05T10:00:00+05:00"}, role="data_scientist"))  # fmt: skip
    return api


def test_commands_given_with_offsets_are_recorded_and_shown_in_utc(history: Api) -> None:
    events = ok(history.get("/v1/models/churn/events"))["items"]
    assert [(e["event"], e["effective_at"]) for e in events] == [
        ("Registered", "2026-01-05T00:00:00Z"),
        ("VersionRegistered", "2026-01-05T01:00:00Z"),
        ("VersionRegistered", "2026-01-05T01:30:00Z"),
        ("ReleaseApproved", "2026-01-05T02:00:00Z"),
        ("ReleaseApproved", "2026-01-05T02:00:00Z"),
        ("VersionActivated", "2026-01-05T03:00:00Z"),
        ("VersionActivated", "2026-01-05T04:00:00Z"),
        ("VersionDeactivated", "2026-01-05T04:30:00Z"),
        ("BiasFlagRaised", "2026-01-05T05:00:00Z"),
    ]


def test_usage_windows_are_listed_in_time_order_not_text_order(history: Api) -> None:
    usage = ok(history.get("/v1/models/churn/usage"))["items"]
    assert [(w["environment"], w["version"], w["started_at"], w["ended_at"]) for w in usage] == [
        ("staging", 1, "2026-01-05T03:00:00Z", "2026-01-05T04:30:00Z"),
        ("production", 2, "2026-01-05T04:00:00Z", None),
    ]
    assert (usage[0]["started_by"], usage[0]["end_reason"]) == ("devops-engineer-1", "staging done")


def test_a_query_time_with_an_offset_means_the_same_instant(history: Api) -> None:
    # 08:59+05:00 is 03:59Z: v1 serves staging, v2 is not yet in production.
    before = ok(history.get("/v1/models/churn/state", at="2026-01-05T08:59:00+05:00"))
    assert before["active"] == {"staging": 1}
    after = ok(history.get("/v1/models/churn/state", at="2026-01-04T20:01:00-08:00"))
    assert after["active"] == {"production": 2, "staging": 1}


def test_every_instant_in_the_read_responses_is_utc_with_z(history: Api) -> None:
    ledger = history.client.app.state.ledger
    write_key_pair(ledger.settings.signing_key_file, passphrase=None)
    seal_until_caught_up(ledger)
    paths = [
        "/v1/models/churn", "/v1/models/churn/versions/1", "/v1/models/churn/events",
        "/v1/events", "/v1/models/churn/state?version=5", "/v1/models/churn/diff?from=1",
        "/v1/models/churn/usage", "/v1/models/churn/exposure", "/v1/portfolio/compliance",
        "/v1/ledger/head", "/v1/reports/models/churn?format=json",
        "/v1/reports/changes?format=json&since=2026-01-05T05:00:00%2B05:00"
        "&until=2026-01-05T00:00:00-08:00",
    ]  # fmt: skip
    seen = []
    for path in paths:
        response: Any = history.get(path, role="compliance_officer")  # reads its own writes
        assert response.status_code == 200, (path, response.text)
        assert not WITH_OFFSET.search(response.text), path
        found = instants_in(response.json())
        assert all(UTC_Z.match(text) for text in found), (path, found)
        seen += found
    assert "2026-01-05T03:00:00Z" in seen and "2026-01-05T04:30:00Z" in seen


def test_a_time_without_a_zone_is_refused_and_records_nothing(history: Api) -> None:
    version = ok(history.get("/v1/models/churn"))["model_revision"]
    body = {"version": 1, "environment": "staging", "effective_at": "2026-01-05T06:00:00"}
    refused = history.post("/v1/models/churn/activations", body, role="devops_engineer")
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert "effective_at" in refused.text and "timezone" in refused.text
    assert ok(history.get("/v1/models/churn"))["model_revision"] == version
    naive_query = history.get("/v1/models/churn/state", at="2026-01-05T06:00:00")
    assert naive_query.status_code == 422
    assert naive_query.headers["content-type"] == "application/problem+json"
