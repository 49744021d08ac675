"""Webhooks over HTTP: routes to closed addresses refused when the game plan is set (unless an admin
allows the host), and why deliveries failed shown only to the roles that may change the plan."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from domain.commands import PERMISSIONS, ChangeGamePlan
from domain.roles import ACCESS, Access
from infrastructure.settings import Settings, parse_allow_hosts
from infrastructure.webhooks.delivery import Deliverer
from tests.api.conftest import MODEL, Api, api_over
from tests.factories import by


def _plan(url: str) -> dict[str, Any]:
    return {"game_plan": {"notifications": [{"url": url}]}, "reason": "notify the on-call team"}


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data",
        "https://10.255.255.1/hooks",
        "http://localhost:5440/",
        "http://127.0.0.1:5440/",
        "https://[::ffff:10.0.0.1]/hooks",
        "https://0x7f.1/hooks",  # 127.0.0.1, as the system reads it
    ],
)
def test_a_route_to_a_closed_address_is_refused_naming_the_url_and_the_allow_list(
    api: Api, url: str
) -> None:
    assert api.post("/v1/models", MODEL, role="ml_engineer").status_code == 201  # type: ignore[attr-defined]

    response: Any = api.post("/v1/models/churn/game-plan", _plan(url), role="ml_engineer")

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["field"] == "game_plan.notifications[0].url"
    assert url in error["message"] and "MODELGOV_WEBHOOK_ALLOW_HOSTS" in error["message"]
    assert api.get("/v1/models/churn/game-plan").json()["notifications"] == []  # type: ignore[attr-defined]


def test_a_route_to_a_host_the_admin_allows_is_accepted(backend: Settings) -> None:
    allowed = backend.model_copy(
        update={"webhook_allow_hosts": parse_allow_hosts("localhost:5440")}
    )
    with api_over(allowed) as api:
        assert api.post("/v1/models", MODEL, role="ml_engineer").status_code == 201
        for url, status in (("http://localhost:5440/", 200), ("http://localhost:5441/", 422)):
            response = api.post("/v1/models/churn/game-plan", _plan(url), role="ml_engineer")
            assert response.status_code == status, url


def test_only_roles_that_may_change_the_game_plan_see_why_deliveries_failed(api: Api) -> None:
    assert api.post("/v1/models", MODEL, role="ml_engineer").status_code == 201  # type: ignore[attr-defined]
    state = api.client.app.state  # type: ignore[attr-defined]
    # A plan recorded before routes were checked when set: delivery is where the check must hold.
    state.services.governance.handle(
        ChangeGamePlan(
            name="churn", game_plan={"notifications": [{"url": "https://10.0.0.1/hooks"}]}
        ),
        by=by("co", "an old plan", at=datetime.now(UTC)),
    )
    state.outbox.catch_up()
    deliverer: Deliverer = state.deliverer
    assert deliverer.deliver_due() == 1

    for role in api.tokens:
        response: Any = api.get("/v1/models/churn/webhook-deliveries", role=role)
        if role not in ACCESS[Access.READ]:  # the metrics scraper reads no model
            assert response.status_code == 403, role
            continue
        assert response.status_code == 200, role
        [delivery] = response.json()["items"]
        assert delivery["status"] == "pending" and delivery["attempts"] == 1
        if role in PERMISSIONS["change_game_plan"]:
            assert delivery["last_error"] == "blocked address", role
        else:
            assert "last_error" not in delivery, role
