"""Fixtures of the webhook tests: a registered model with its outbox, and a receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from application.projections.outbox import WebhookOutbox
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.projections.runner import ProjectionRunner
from infrastructure.settings import Settings
from infrastructure.webhooks.payloads import load_secret
from tests.factories import by, registration
from tests.webhook_doubles import NAME, Hooks, Receiver


@pytest.fixture
def hooks(backend: Settings) -> Iterator[Hooks]:
    app = open_governance(backend)
    sql = SqlRunner(backend.database)
    app.handle(registration(NAME, "low"), by=by("eng"))
    secret = load_secret(None, backend.webhook_secret_file)
    yield Hooks(app, sql, ProjectionRunner(app, sql, [WebhookOutbox()]), secret)
    sql.close()
    app.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    if found.hang is not None:
        found.hang.set()
