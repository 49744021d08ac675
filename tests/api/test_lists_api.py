"""Lists over HTTP: one page style (limit, an opaque cursor, next_cursor null at the end) on every
list, unreadable cursors and unknown query parameters refused, the feed's filters."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.commands import ChangeGamePlan
from infrastructure.api.pages import cursor_for
from tests.api.conftest import MODEL, VERSION, Api
from tests.api.test_role_matrix import _api_routes
from tests.factories import by, card

PROBLEMS = "https://modelgov.dev/problems/"


def ok(response: Any) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def refused(response: Any, code: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEMS + code, body
    return body


def every_item(api: Api, path: str, *, limit: int, **params: object) -> list[Any]:
    """Follow `next_cursor` to the end, checking each page's shape."""
    items: list[Any] = []
    cursor = None
    while True:
        page = ok(api.get(path, limit=limit, **params, **({"cursor": cursor} if cursor else {})))
        assert set(page) >= {"items", "next_cursor"} and len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        assert isinstance(cursor, str) and cursor.replace("-", "").replace("_", "").isalnum()


@pytest.fixture
def served(api: Api) -> Api:
    """churn with three versions; v1 served staging then v2 took over; v3 serves production."""
    ok(api.post("/v1/models", MODEL, role="ml_engineer"))
    for number in (1, 2, 3):
        body = {"card": card(artifact_sha256=f"{number:02d}" * 32)}
        ok(api.post("/v1/models/churn/versions", body, role="ml_engineer"))
        ok(api.post(f"/v1/models/churn/versions/{number}/approvals", {}, role="data_scientist"))
    for number, environment in ((1, "staging"), (3, "production")):
        body = {"version": number, "environment": environment}
        ok(api.post("/v1/models/churn/activations", body, role="devops_engineer"))
    ok(api.post("/v1/models/churn/rollbacks" if False else "/v1/models/churn/deactivations",
                {"version": 1, "environment": "staging", "reason": "v2 next"},
                role="devops_engineer"))  # fmt: skip
    body = {"version": 2, "environment": "staging"}
    ok(api.post("/v1/models/churn/activations", body, role="devops_engineer"))
    return api


def test_versions_are_listed_a_page_at_a_time_with_status_and_card_summary(served: Api) -> None:
    versions = every_item(served, "/v1/models/churn/versions", limit=2)
    assert [v["number"] for v in versions] == [1, 2, 3]
    assert [v["active_in"] for v in versions] == [[], ["staging"], ["production"]]
    assert versions[2]["artifact_sha256"] == "03" * 32 and versions[2]["status"] == "registered"
    assert (
        versions[0]["git_commit"] == "abc1234" and versions[0]["registered_by"] == "ml-engineer-1"
    )
    assert versions[0]["registered_at"].endswith("Z")
    assert served.get("/v1/models/nobody/versions").status_code == 404


def test_usage_windows_are_listed_a_page_at_a_time_in_time_order(served: Api) -> None:
    whole = ok(served.get("/v1/models/churn/usage", limit=500))
    assert whole["next_cursor"] is None
    windows = every_item(served, "/v1/models/churn/usage", limit=1)
    assert windows == whole["items"]
    assert [(w["version"], w["environment"]) for w in windows] == [
        (1, "staging"),
        (3, "production"),
        (2, "staging"),
    ]
    assert windows[0]["ended_at"] is not None and windows[1]["ended_at"] is None


def test_a_models_events_are_paged_by_revision(served: Api) -> None:
    events = every_item(served, "/v1/models/churn/events", limit=4)
    assert [e["model_revision"] for e in events] == list(range(1, len(events) + 1))
    assert ok(served.get("/v1/models/churn/events", limit=500))["items"] == events
    past_the_end = cursor_for("model_events", len(events))
    assert ok(served.get("/v1/models/churn/events", cursor=past_the_end))["items"] == []
    unknown: Any = served.get("/v1/models/nobody/events", cursor=past_the_end)
    assert unknown.status_code == 404, unknown.text


def test_models_are_paged_with_the_same_cursor_style(api: Api) -> None:
    for name in ("alpha", "beta", "gamma"):
        ok(api.post("/v1/models", {**MODEL, "name": name}, role="ml_engineer"))
    assert [m["name"] for m in every_item(api, "/v1/models", limit=2)] == ["alpha", "beta", "gamma"]


def test_the_feed_filters_by_model_and_by_event_type(served: Api) -> None:
    ok(served.post("/v1/models", {**MODEL, "name": "other"}, role="ml_engineer"))
    ok(served.post("/v1/models/other/versions", VERSION, role="ml_engineer"))
    everything = every_item(served, "/v1/events", limit=500)
    others = every_item(served, "/v1/events", limit=1, model="other")
    assert [(e["model"], e["event"]) for e in others] == [
        ("other", "Registered"),
        ("other", "VersionRegistered"),
    ]
    activations = every_item(served, "/v1/events", limit=2, event="VersionActivated")
    assert [e["position"] for e in activations] == [
        e["position"] for e in everything if e["event"] == "VersionActivated"
    ]
    both = every_item(served, "/v1/events", limit=5, event=["Registered", "VersionRegistered"],
                      model="other")  # fmt: skip
    assert both == others
    refused(served.get("/v1/events", event="Nonsense"), "bad_query")


def test_the_feed_can_be_polled_after_its_end(served: Api) -> None:
    first = ok(served.get("/v1/events", limit=500))
    assert first["next_cursor"] is None
    ok(served.post("/v1/models", {**MODEL, "name": "later"}, role="ml_engineer"))
    newer = ok(served.get("/v1/events", cursor=first["resume_cursor"]))
    assert [(e["model"], e["event"]) for e in newer["items"]] == [("later", "Registered")]


CURSOR_LISTS = [
    "/v1/models", "/v1/models/churn/versions", "/v1/models/churn/usage",
    "/v1/models/churn/events", "/v1/events", "/v1/models/churn/webhook-deliveries",
]  # fmt: skip


@pytest.mark.parametrize("path", CURSOR_LISTS)
def test_an_unreadable_cursor_is_refused_not_read_as_an_empty_page(served: Api, path: str) -> None:
    for cursor in ("garbage", "Zm9v", base64.urlsafe_b64encode(b'["models","x"]').decode(),
                   "not a cursor!", "A" * 4001, "Zm9v=="):  # fmt: skip
        if path == "/v1/models" and cursor.startswith("WyJtb2RlbHMi"):
            continue  # that one is a models cursor
        refused(served.get(path, cursor=cursor), "invalid_cursor")


HUGE = 10**20  # past any integer column
CRAFTED = {  # a list's own kind, with a key no page of it could end on
    "/v1/models": [("models", "a\x00b"), ("models", "x" * 201)],
    "/v1/models/churn/versions": [("versions", HUGE), ("versions", -1)],
    "/v1/models/churn/usage": [("usage", ["2026", "x", HUGE]), ("usage", ["a\x00", "x", 1])],
    "/v1/models/churn/events": [("model_events", HUGE)],
    "/v1/events": [("events", HUGE)],
    "/v1/models/churn/webhook-deliveries": [
        ("webhook_deliveries", [HUGE, "https://x"]), ("webhook_deliveries", [1, "a\x00"]),
    ],
}  # fmt: skip


@pytest.mark.parametrize("path", CURSOR_LISTS)
def test_a_crafted_key_in_a_lists_own_cursor_is_refused_not_a_server_error(
    served: Api, path: str
) -> None:
    for kind, key in CRAFTED[path]:
        refused(served.get(path, cursor=cursor_for(kind, key)), "invalid_cursor")


def test_a_cursor_from_one_list_is_refused_by_another(served: Api) -> None:
    cursor = ok(served.get("/v1/models/churn/events", limit=1))["next_cursor"]
    refused(served.get("/v1/events", cursor=cursor), "invalid_cursor")
    refused(served.get("/v1/models/churn/versions", cursor=cursor), "invalid_cursor")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cursor=st.text(min_size=1, max_size=60) | st.from_regex(r"\A[A-Za-z0-9_=-]{1,60}\Z"))
def test_no_cursor_a_client_can_send_is_a_server_error(api: Api, cursor: str) -> None:
    for path in ("/v1/models", "/v1/events"):
        answer: Any = api.get(path, cursor=cursor)
        assert answer.status_code in (200, 422), answer.text
        if answer.status_code == 422:
            assert answer.json()["type"].endswith("/invalid_cursor"), answer.text


def _get_routes(api: Api) -> list[str]:
    routes = _api_routes(api.client.app.routes)  # type: ignore[attr-defined]
    return sorted(route.path for route in routes if "GET" in route.methods)


def test_every_route_refuses_a_query_parameter_it_does_not_take(served: Api) -> None:
    paths = _get_routes(served)
    assert "/v1/admission" in paths and "/v1/models/{name}/versions" in paths
    for path in paths:
        concrete = path.replace("{name}", "churn").replace("{number}", "1")
        answer = served.client.get(concrete, params={"modle": "churn"},
                                   headers=served.headers("auditor"))  # fmt: skip
        body = refused(answer, "unknown_parameter")
        assert "'modle'" in body["detail"], (path, body)


def test_declared_parameters_are_not_refused(served: Api) -> None:
    assert ok(served.get("/v1/events", model="churn", limit=1))["items"]
    assert served.get("/v1/models", risk_tier="low", owner="Retail").status_code == 200


def test_webhook_deliveries_are_paged_newest_first(api: Api) -> None:
    ok(api.post("/v1/models", MODEL, role="ml_engineer"))
    state = api.client.app.state  # type: ignore[attr-defined]
    urls = ["https://10.0.0.1/a", "https://10.0.0.2/b"]
    plan = {"notifications": [{"url": url} for url in urls]}
    state.services.governance.handle(
        ChangeGamePlan(name="churn", game_plan=plan), by=by("co", "two hooks", at=datetime.now(UTC))
    )
    ok(api.post("/v1/models/churn/versions", VERSION, role="ml_engineer"))
    state.outbox.catch_up()
    deliveries = every_item(api, "/v1/models/churn/webhook-deliveries", limit=1)
    whole = ok(api.get("/v1/models/churn/webhook-deliveries", limit=500))["items"]
    assert deliveries == whole and len(whole) >= 2
    keys = [(d["position"], d["url"]) for d in whole]
    assert keys == sorted(keys, key=lambda key: (-key[0], key[1]))


def test_a_command_with_an_unknown_query_parameter_is_refused_and_records_nothing(api: Api) -> None:
    answer = api.client.post(
        "/v1/models", params={"dry_run": "1"}, json=MODEL, headers=api.headers("ml_engineer")
    )
    assert "'dry_run'" in refused(answer, "unknown_parameter")["detail"]
    assert api.get("/v1/models/churn").status_code == 404
