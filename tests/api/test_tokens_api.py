"""Tokens over HTTP: an expired one is told so (its own problem type), others are served, and each
request's token has its last use recorded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from infrastructure.api.tokens import TRUSTED_FOR, TokenStore, token_id_of
from infrastructure.db.sql import SqlRunner
from infrastructure.settings import Settings
from tests.api.conftest import Api
from tests.conftest import wait_until


@pytest.fixture
def tokens(backend: Settings) -> Iterator[TokenStore]:
    sql = SqlRunner(backend.database)
    yield TokenStore(sql)
    sql.close()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_expired_token_gets_401_with_its_own_problem_type_and_what_to_do(
    api: Api, tokens: TokenStore
) -> None:
    two_days_ago = TokenStore(tokens.sql, now=lambda: datetime.now(UTC) - timedelta(days=2))
    token = two_days_ago.create(principal="ci", role="auditor", expires_in=timedelta(days=1))
    response = api.client.get("/v1/models", headers=_bearer(token))
    assert response.status_code == 401
    problem: Any = response.json()
    assert problem["type"] == "https://modelgov.dev/problems/token_expired"
    assert re.search(r"expired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ;", problem["detail"])
    assert "modelgov tokens create" in problem["detail"]
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_tokens_without_expiry_or_before_it_are_served(api: Api, tokens: TokenStore) -> None:
    token = tokens.create(principal="ci", role="auditor", expires_in=timedelta(minutes=90))
    assert api.client.get("/v1/models", headers=_bearer(token)).status_code == 200
    assert api.get("/v1/models").status_code == 200  # the fixture's tokens have no expiry


def test_an_unknown_token_is_still_authentication_required(api: Api) -> None:
    response = api.client.get("/v1/models", headers=_bearer("mg_0123456789abcdef_" + "A" * 43))
    assert response.status_code == 401
    assert response.json()["type"].endswith("/authentication_required")


def test_a_request_records_when_its_token_was_last_used(api: Api, tokens: TokenStore) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    assert api.get("/v1/models", role="auditor").status_code == 200
    api.client.app.state.services.tokens.close()  # the last-use writes under way are finished
    used = {r.role: r.last_used_at for r in tokens.list()}
    assert used["auditor"] is not None and used["auditor"].endswith("Z")
    assert datetime.fromisoformat(used["auditor"]) >= before
    assert used["compliance_officer"] is None


def test_a_token_revoked_by_another_process_is_refused_within_the_trust_period(
    api: Api, tokens: TokenStore
) -> None:
    """The server reads a token's row again once TRUSTED_FOR has passed since it last did, so a
    `modelgov tokens revoke` run elsewhere takes effect within it, and not before a read."""
    token = tokens.create(principal="model-server", role="auditor")
    assert api.client.get("/v1/models", headers=_bearer(token)).status_code == 200
    tokens.revoke(token_id_of(token) or "")  # this store is not the server's: another process
    assert wait_until(
        lambda: api.client.get("/v1/models", headers=_bearer(token)).status_code == 401,
        timeout=TRUSTED_FOR.total_seconds() + 1,  # and a second's grace for a busy machine
    )
    refused: Any = api.client.get("/v1/models", headers=_bearer(token)).json()
    assert refused["detail"] == "the bearer token is not valid or was revoked"
