"""An API client over a real store (SQLite and PostgreSQL), with one token per role."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from infrastructure.api.app import create_app
from infrastructure.api.read_models import AFTER_POSITION_HEADER, POSITION_HEADER
from infrastructure.api.tokens import TOKEN_ROLES, TokenStore
from infrastructure.db.sql import SqlRunner
from infrastructure.settings import Settings
from tests.conftest import free_port, wait_until
from tests.factories import card

PRINCIPAL_OF = {role: f"{role.replace('_', '-')}-1" for role in TOKEN_ROLES}


class Api:
    """A test client that knows one token per role and sends it by role name.

    It reads its own writes as a client should: each GET carries the `Modelgov-Position` of the
    last command it sent as `Modelgov-After-Position`.
    """

    def __init__(self, client: TestClient, tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = tokens
        self.position: str | None = None  # of the last command answered

    def headers(self, role: str | None, **extra: str) -> dict[str, str]:
        headers = dict(extra)
        if role is not None:
            headers["Authorization"] = f"Bearer {self.tokens[role]}"
        return headers

    def get(self, path: str, *, role: str | None = "auditor", **params: object) -> object:
        headers = self.headers(role)
        if self.position is not None:
            headers[AFTER_POSITION_HEADER] = self.position
        return self.client.get(path, headers=headers, params=params or None)

    def post(self, path: str, body: object, *, role: str | None, **headers: str) -> object:
        response = self.client.post(path, json=body, headers=self.headers(role, **headers))
        self.position = response.headers.get(POSITION_HEADER, self.position)
        return response


@contextmanager
def api_over(settings: Settings, *, project: bool = True, host: str | None = None) -> Iterator[Api]:
    """A test client of the app over `settings`' store, with a token per role; `project`: with
    the projections' follower running, as in `serve`; `host`: the interface it is served on."""
    sql = SqlRunner(settings.database)
    with TestClient(create_app(settings, project=project, host=host)) as client:
        store = TokenStore(sql)
        tokens = {
            role: store.create(principal=PRINCIPAL_OF[role], role=role) for role in TOKEN_ROLES
        }
        yield Api(client, tokens)
    sql.close()


@contextmanager
def serving(app: FastAPI, *, log_level: str = "error") -> Iterator[str]:
    """A real uvicorn server for `app` on a free port, in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level=log_level))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert wait_until(lambda: server.started, timeout=20), "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def api(backend: Settings) -> Iterator[Api]:
    with api_over(backend) as found:
        yield found


MODEL = {
    "name": "churn",
    "description": "Predicts churn",
    "owner": "Retail",
    "business_objective": "Keep customers",
    "risk_tier": "low",
    "stakeholders": [
        {"name": "Ann Lee", "email": "ann.lee@bank.example", "role": "business_owner"}
    ],
}
VERSION = {"card": card()}
