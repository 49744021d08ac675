"""Reads never write; a writer reads its own writes by sending the position its command answered."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infrastructure.api.read_models import AFTER_POSITION_HEADER, POSITION_HEADER
from infrastructure.settings import Settings
from tests.api.conftest import MODEL, Api, api_over


@pytest.fixture
def unprojected(backend: Settings) -> Iterator[Api]:
    """An API whose projections' follower is not running: nothing brings the read models up."""
    settings = backend.model_copy(update={"read_wait_seconds": 0.3})
    with api_over(settings, project=False) as found:
        yield found


def test_a_command_answers_the_store_position_of_its_event(api: Api) -> None:
    registered = api.post("/v1/models", MODEL, role="ml_engineer")
    head = api.client.app.state.services.governance.recorder.max_notification_id()
    assert registered.status_code == 201
    assert int(registered.headers[POSITION_HEADER]) == head


def test_a_read_after_the_position_sees_the_write(api: Api) -> None:
    written = api.post("/v1/models", MODEL, role="ml_engineer")
    after = {AFTER_POSITION_HEADER: written.headers[POSITION_HEADER]}
    response = api.client.get("/v1/models/churn", headers=api.headers("auditor", **after))
    assert response.status_code == 200
    assert response.json()["name"] == "churn"
    assert response.headers["ETag"] == written.headers["ETag"]


def test_a_replayed_answer_carries_a_position_at_or_after_the_first(api: Api) -> None:
    key = {"Idempotency-Key": "register-churn"}
    first = api.post("/v1/models", MODEL, role="ml_engineer", **key)
    again = api.post("/v1/models", MODEL, role="ml_engineer", **key)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert int(again.headers[POSITION_HEADER]) >= int(first.headers[POSITION_HEADER])


def test_a_replayed_answer_stands_when_the_stores_head_cannot_be_read(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = {"Idempotency-Key": "register-churn"}
    first = api.post("/v1/models", MODEL, role="ml_engineer", **key)
    recorder = api.client.app.state.services.governance.recorder  # type: ignore[attr-defined]

    def failing() -> int:
        raise OSError("the store went away")

    monkeypatch.setattr(recorder, "max_notification_id", failing)
    again = api.post("/v1/models", MODEL, role="ml_engineer", **key)
    assert again.status_code == first.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert POSITION_HEADER not in again.headers  # the header is optional; the answer is not


def test_a_refusal_carries_no_position(api: Api) -> None:
    refused = api.post("/v1/models/nobody/versions", {"card": {}}, role="ml_engineer")
    assert refused.status_code >= 400
    assert POSITION_HEADER not in refused.headers


def test_a_read_without_a_position_answers_what_the_read_models_hold_and_writes_nothing(
    unprojected: Api,
) -> None:
    runner = unprojected.client.app.state.projections
    assert unprojected.post("/v1/models", MODEL, role="ml_engineer").status_code == 201
    before = runner.positions()
    listed = unprojected.client.get("/v1/models", headers=unprojected.headers("auditor"))
    one = unprojected.client.get("/v1/models/churn", headers=unprojected.headers("auditor"))
    assert listed.status_code == 200 and listed.json()["items"] == []
    assert one.status_code == 404
    assert runner.positions() == before  # the reads applied nothing
    assert runner.lag() > 0


def test_a_read_after_a_position_the_read_models_do_not_reach_is_503_with_retry_after(
    unprojected: Api,
) -> None:
    written = unprojected.post("/v1/models", MODEL, role="ml_engineer")
    runner = unprojected.client.app.state.projections
    before = runner.positions()
    after = {AFTER_POSITION_HEADER: written.headers[POSITION_HEADER]}
    response = unprojected.client.get("/v1/models", headers=unprojected.headers("auditor", **after))
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/read_model_behind")
    assert response.json()["wanted_position"] == int(written.headers[POSITION_HEADER])
    assert int(response.headers["Retry-After"]) >= 1
    assert runner.positions() == before


@pytest.mark.parametrize("value", ["soon", "-1", "1.5", ""])
def test_a_malformed_position_is_a_422_problem(api: Api, value: str) -> None:
    headers = api.headers("auditor", **{AFTER_POSITION_HEADER: value})
    response = api.client.get("/v1/models", headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/invalid_request")


def test_a_position_past_the_stores_last_event_is_refused_at_once(api: Api) -> None:
    written = api.post("/v1/models", MODEL, role="ml_engineer")
    past = str(int(written.headers[POSITION_HEADER]) + 1000)
    response = api.client.get(
        "/v1/models/churn/usage", headers=api.headers("auditor", **{AFTER_POSITION_HEADER: past})
    )
    assert response.status_code == 422
    assert response.json()["type"].endswith("/position_not_recorded")


def test_a_caller_without_a_token_learns_nothing_of_the_store_from_a_position(api: Api) -> None:
    api.post("/v1/models", MODEL, role="ml_engineer")
    for position in ("1", "999999"):
        response = api.client.get(
            "/v1/models/churn", headers=api.headers(None, **{AFTER_POSITION_HEADER: position})
        )
        assert response.status_code == 401, response.text
        assert "position" not in response.json()["detail"]
