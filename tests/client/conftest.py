"""A live `modelgov serve` on a free port over a fresh store (SQLite and PostgreSQL), with a token
per role: what the client, the CLI over HTTP and the CI examples are tested against."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from modelgov_client import Client

from infrastructure.api.tokens import TokenStore
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.settings import Settings
from tests.conftest import environ_for
from tests.faults.live import LiveServer

ROLES = (
    "ml_engineer", "data_scientist", "business_owner", "compliance_officer", "devops_engineer",
    "auditor", "admin",
)  # fmt: skip


@dataclass
class Remote:
    """The server, its address and one token per role (the principal is the role's name)."""

    server: LiveServer
    tokens: dict[str, str]
    workdir: Path

    @property
    def url(self) -> str:
        return self.server.url


def started_remote(settings: Settings, workdir: Path) -> Remote:
    open_governance(settings).close()  # the store's tables, before the tokens' table joins them
    sql = SqlRunner(settings.database)
    tokens = {role: TokenStore(sql).create(principal=f"{role}-1", role=role) for role in ROLES}
    sql.close()
    environ = environ_for(settings.database.kind, workdir, settings.database.schema)
    server = LiveServer(environ, workdir=workdir, token=tokens["auditor"])
    server.start()
    return Remote(server=server, tokens=tokens, workdir=workdir)


@pytest.fixture
def remote(backend: Settings, tmp_path: Path) -> Iterator[Remote]:
    found = started_remote(backend, tmp_path)
    yield found
    found.server.stop()


def client(remote: Remote, role: str, **options: Any) -> Client:
    return Client(remote.url, token=remote.tokens[role], **options)


GATES = ["data_scientist_release_approval", "validation_evidence", "distinct_approvers"]


def registered(remote: Remote, name: str = "loan-default") -> None:
    """A low-tier model whose policy asks for evidence and two distinct approvers."""
    with client(remote, "ml_engineer") as engineer, client(remote, "admin") as admin:
        engineer.register_model(
            name=name, description="Predicts default", owner="Retail Credit",
            business_objective="Price risk", risk_tier="low",
        )  # fmt: skip
        admin.change_policy(
            name, risk_tier="low", reason="four eyes and evidence for credit models",
            policy={"required_gates": GATES, "min_distinct_approvers": 2},
        )  # fmt: skip
