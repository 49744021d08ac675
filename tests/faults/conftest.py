"""A store with one model (an approved version) and a business owner's token, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from domain.events import CostReported
from infrastructure.api.tokens import TokenStore
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.settings import Settings
from tests.conftest import environ_for
from tests.factories import record_of, seed_app_model
from tests.faults.live import LiveServer

COSTS = "/v1/models/churn/costs"


def cost(amount: str) -> dict[str, str]:
    return {"period": "2026-10", "amount": amount, "currency": "EUR", "business_unit": "Retail"}


@dataclass
class Store:
    settings: Settings
    environ: dict[str, str]
    token: str
    workdir: Path

    def cost_amounts(self) -> list[str]:
        """Every cost report recorded on the model, in order (a command recorded twice shows twice)."""
        app = open_governance(self.settings)
        try:
            return [str(report.amount) for report in record_of(app).cost_reports]
        finally:
            app.close()

    def headers(self, key: str | None = None, *, token: str | None = None) -> dict[str, str]:
        """The business owner's (or `token`'s) Authorization, and the Idempotency-Key if any."""
        authorization = {"Authorization": f"Bearer {token or self.token}"}
        return authorization | ({"Idempotency-Key": key} if key else {})

    def token_for(self, role: str) -> str:
        sql = SqlRunner(self.settings.database)
        try:
            return TokenStore(sql).create(principal=f"{role}-1", role=role)
        finally:
            sql.close()

    def costs_by_revision(self) -> dict[int, str]:
        """Each cost report's amount, by the revision its event made."""
        app = open_governance(self.settings)
        try:
            return {
                event.originator_version: str(event.amount)
                for event in app.model_events("churn")
                if isinstance(event, CostReported)
            }
        finally:
            app.close()

    def revision(self) -> int:
        app = open_governance(self.settings)
        try:
            return app.get_model("churn").version
        finally:
            app.close()


def open_store(settings: Settings, tmp_path: Path) -> Store:
    app = open_governance(settings)
    seed_app_model(app)
    app.close()
    sql = SqlRunner(settings.database)
    token = TokenStore(sql).create(principal="bo-1", role="business_owner")
    sql.close()
    environ = environ_for(settings.database.kind, tmp_path, settings.database.schema)
    return Store(settings=settings, environ=environ, token=token, workdir=tmp_path)


@pytest.fixture
def store(backend: Settings, tmp_path: Path) -> Store:
    return open_store(backend, tmp_path)


@pytest.fixture
def server(store: Store) -> Iterator[LiveServer]:
    live = LiveServer(store.environ, workdir=store.workdir, token=store.token)
    yield live
    live.stop()
