"""Headers every answer carries or honours: X-Request-Id (echoed, generated, recorded as the
correlation id) and the per-token rate limits (429 with Retry-After, off on localhost by default)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from infrastructure.api.rate_limits import RateLimits, is_loopback
from infrastructure.settings import Settings
from tests.api.conftest import MODEL, Api, api_over

GENERATED = re.compile(r"^[0-9a-f]{32}$")


def test_every_answer_echoes_the_request_id_sent(api: Api) -> None:
    for path, role in (("/healthz", None), ("/v1/models", "auditor"), ("/v1/models", None),
                       ("/v1/models/nobody", "auditor"), ("/v1/models?limit=0", "auditor"),
                       ("/nowhere", "auditor")):  # fmt: skip
        answer = api.client.get(path, headers=api.headers(role, **{"X-Request-Id": "req-7.a"}))
        assert answer.headers["X-Request-Id"] == "req-7.a", (path, answer.status_code)


def test_an_answer_without_a_request_id_gets_a_new_one_each_time(api: Api) -> None:
    ids = {api.client.get("/healthz").headers["X-Request-Id"] for _ in range(3)}
    assert len(ids) == 3 and all(GENERATED.match(rid) for rid in ids)


@pytest.mark.parametrize("sent", [b"x" * 201, b"has space", "caf\u00e9".encode(), b""])
def test_an_unusable_request_id_is_replaced_not_refused(api: Api, sent: bytes) -> None:
    answer = api.client.get("/healthz", headers={"X-Request-Id": sent})
    assert answer.status_code == 200 and GENERATED.match(answer.headers["X-Request-Id"])


def test_the_request_id_a_command_answered_with_is_its_events_correlation_id(api: Api) -> None:
    created = api.post("/v1/models", MODEL, role="ml_engineer")
    rid = created.headers["X-Request-Id"]  # type: ignore[attr-defined]
    events = api.get("/v1/models/churn/events").json()["items"]  # type: ignore[attr-defined]
    assert [event["correlation_id"] for event in events] == [rid]


def _limited(backend: Settings, **settings: Any) -> Settings:
    return backend.model_copy(
        update={"rate_limit_per_second": 0.01, "rate_limit_burst": 3, **settings}
    )


def test_a_token_past_its_rate_gets_429_with_retry_after_and_others_are_served(
    backend: Settings,
) -> None:
    with api_over(_limited(backend, rate_limit="on"), host="127.0.0.1") as api:
        for _ in range(3):
            assert api.get("/v1/models", role="auditor").status_code == 200  # type: ignore[attr-defined]
        refused: Any = api.get(
            "/v1/models",
            role="auditor",
        )
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"] == "https://modelgov.dev/problems/rate_limited"
        assert int(refused.headers["Retry-After"]) >= 1 and refused.headers["X-Request-Id"]
        assert api.get("/v1/models", role="compliance_officer").status_code == 200  # type: ignore[attr-defined]
        assert all(api.client.get("/healthz").status_code == 200 for _ in range(5))


@pytest.mark.parametrize(("host", "limited"), [("127.0.0.1", False), ("::1", False),
                                              ("localhost", False), ("0.0.0.0", True),
                                              ("10.1.2.3", True)])  # fmt: skip
def test_rate_limits_are_off_by_default_on_localhost_only(
    backend: Settings, host: str, limited: bool
) -> None:
    with api_over(_limited(backend), host=host) as api:
        statuses = {api.get("/v1/models", role="auditor").status_code for _ in range(5)}  # type: ignore[attr-defined]
    assert statuses == ({200, 429} if limited else {200})


def test_rate_limits_can_be_turned_off_anywhere(backend: Settings) -> None:
    with api_over(_limited(backend, rate_limit="off"), host="0.0.0.0") as api:
        assert {api.get("/v1/models", role="auditor").status_code for _ in range(5)} == {200}  # type: ignore[attr-defined]


def test_a_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    limits = RateLimits(app=None, per_second=2.0, burst=2, clock=lambda: now[0])  # type: ignore[arg-type]
    assert limits._take("t") is None and limits._take("t") is None
    assert limits._take("t") == pytest.approx(0.5)
    now[0] = 0.5
    assert limits._take("t") is None and limits._take("t") is not None
    assert limits._take("other") is None


def test_one_token_is_one_bucket_however_its_header_is_spelled(backend: Settings) -> None:
    with api_over(_limited(backend, rate_limit="on"), host="127.0.0.1") as api:
        token = api.tokens["auditor"]
        spellings = [f"Bearer {token}", f"bearer {token}", f"BEARER {token}", f"Bearer   {token}"]
        statuses = [
            api.client.get("/v1/models", headers={"Authorization": spelling}).status_code
            for spelling in spellings * 2
        ]
    assert statuses[:3] == [200, 200, 200] and set(statuses[3:]) == {429}


def test_past_the_bound_the_least_recently_seen_caller_is_forgotten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("infrastructure.api.rate_limits.MAX_BUCKETS", 3)
    limits = RateLimits(app=None, per_second=0.001, burst=1, clock=lambda: 0.0)  # type: ignore[arg-type]
    for caller in ("a", "b", "c"):
        assert limits._take(caller) is None
    assert limits._take("a") is not None  # seen again: now the most recent
    assert limits._take("d") is None  # the bound is reached: "b", the least recent, goes
    assert list(limits.buckets) == ["c", "a", "d"]


def test_loopback_hosts() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.4", "example.com"))
