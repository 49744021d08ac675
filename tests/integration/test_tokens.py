"""Bearer tokens on real stores: expiry, last use (throttled, off the request path), and stores whose
tokens table was made by the first release."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import psycopg
import pytest

from infrastructure.api.tokens import TRUSTED_FOR, Principal, TokenStore
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.errors import TokenExpiredError
from infrastructure.settings import Settings
from tests.conftest import PG_URL
from tests.factories import T0

# The tokens table as the first release created it: no expiry, no last use.
FIRST_RELEASE_TABLE = """CREATE TABLE modelgov_tokens (
    token_id TEXT PRIMARY KEY,
    principal TEXT NOT NULL,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
)"""
OLD_TOKEN = "mg_0123456789abcdef_" + "A" * 43


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def sql(backend: Settings) -> Iterator[SqlRunner]:
    """A runner over a store with its tables (opening the store creates them)."""
    open_governance(backend).close()
    runner = SqlRunner(backend.database)
    yield runner
    runner.close()


def _last_used(store: TokenStore, principal: str) -> str | None:
    store.close()  # the last-use writes under way are finished first
    return next(r.last_used_at for r in store.list() if r.principal == principal)


def test_a_token_is_refused_as_expired_from_the_moment_its_expiry_passes(sql: SqlRunner) -> None:
    clock = Clock(T0)
    store = TokenStore(sql, now=clock)
    token = store.create(principal="ci-pipeline", role="auditor", expires_in=timedelta(hours=12))
    assert [r.expires_at for r in store.list()] == ["2026-01-05T21:00:00Z"]
    clock.at = T0 + timedelta(hours=12) - timedelta(seconds=1)
    assert store.authenticate(token) == Principal("ci-pipeline", "auditor", token[3:19])
    clock.at = T0 + timedelta(hours=12)
    with pytest.raises(TokenExpiredError, match="expired at 2026-01-05T21:00:00Z") as refused:
        store.authenticate(token)
    assert "modelgov tokens create" in str(refused.value)
    store.close()


def test_a_revoked_token_is_refused_as_before_even_after_it_expired(sql: SqlRunner) -> None:
    clock = Clock(T0)
    store = TokenStore(sql, now=clock)
    token = store.create(principal="ci-pipeline", role="auditor", expires_in=timedelta(minutes=90))
    store.revoke(store.list()[0].token_id)
    clock.at = T0 + timedelta(days=1)
    assert store.authenticate(token) is None


def test_a_store_made_by_the_first_release_keeps_its_tokens_and_gains_expiry(
    backend: Settings,
) -> None:
    sql = SqlRunner(backend.database)
    sql.execute(FIRST_RELEASE_TABLE)
    sql.execute(
        "INSERT INTO modelgov_tokens (token_id, principal, role, token_hash, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        ("0123456789abcdef", "old-pipeline", "itops_engineer",
         hashlib.sha256(OLD_TOKEN.encode()).hexdigest(), "2025-06-01T08:00:00+00:00"),
    )  # fmt: skip
    open_governance(backend).close()  # opening the store adds the new columns
    open_governance(backend).close()  # opening it again changes nothing
    store = TokenStore(sql)
    assert store.authenticate(OLD_TOKEN) == Principal(
        "old-pipeline", "itops_engineer", "0123456789abcdef"
    )
    store.create(principal="new-pipeline", role="auditor", expires_in=timedelta(days=30))
    old, new = store.list()
    assert (old.created_at, old.expires_at) == ("2025-06-01T08:00:00Z", None)
    assert new.expires_at is not None and new.expires_at.endswith("Z")
    assert _last_used(store, "old-pipeline") is not None
    sql.close()


def test_the_last_use_is_written_at_most_once_a_minute_across_processes(sql: SqlRunner) -> None:
    clock = Clock(T0)
    store = TokenStore(sql, now=clock)
    token = store.create(principal="ci-pipeline", role="auditor")
    assert _last_used(store, "ci-pipeline") is None
    store.authenticate(token)
    assert _last_used(store, "ci-pipeline") == "2026-01-05T09:00:00Z"
    clock.at = T0 + timedelta(seconds=30)
    store.authenticate(token)
    # Another process (its own store, nothing in memory) goes by the stored time.
    TokenStore(sql, now=lambda: T0 + timedelta(seconds=45)).authenticate(token)
    assert _last_used(store, "ci-pipeline") == "2026-01-05T09:00:00Z"
    clock.at = T0 + timedelta(seconds=61)
    store.authenticate(token)
    assert _last_used(store, "ci-pipeline") == "2026-01-05T09:01:01Z"


@contextmanager
def _writes_blocked(settings: Settings) -> Iterator[None]:
    """Another connection holds the tokens table against writers; readers still pass."""
    if settings.database.kind == "sqlite":
        lite = sqlite3.connect(settings.database.path, isolation_level=None)
        lite.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            lite.execute("ROLLBACK")
            lite.close()
        return
    with psycopg.connect(PG_URL) as connection:
        connection.execute(f"SET search_path TO {settings.database.schema}")
        connection.execute("LOCK TABLE modelgov_tokens IN EXCLUSIVE MODE")
        yield
        connection.rollback()


def test_a_request_never_waits_for_its_last_use_to_be_written(
    backend: Settings, sql: SqlRunner
) -> None:
    store = TokenStore(sql)
    token = store.create(principal="ci-pipeline", role="auditor")
    with _writes_blocked(backend):
        started = time.monotonic()
        assert store.authenticate(token) is not None
        assert time.monotonic() - started < 1  # the write waits behind the lock, not the request
    assert _last_used(store, "ci-pipeline") is not None  # and lands once the lock is gone


def test_a_checked_token_is_trusted_for_a_second_then_read_again(sql: SqlRunner) -> None:
    """Another process's revocation takes effect within TRUSTED_FOR; this process's at once."""
    clock = Clock(T0)
    store, elsewhere = TokenStore(sql, now=clock), TokenStore(sql, now=clock)
    token = store.create(principal="model-server", role="devops_engineer")
    found = store.authenticate(token)
    assert found is not None and store.trusted(token) == found
    elsewhere.revoke(found.token_id)  # another process: this one does not know yet
    clock.at = T0 + TRUSTED_FOR - timedelta(milliseconds=1)
    assert store.authenticate(token) == found
    clock.at = T0 + TRUSTED_FOR
    assert store.trusted(token) is None and store.authenticate(token) is None

    other = store.create(principal="ci-pipeline", role="auditor")
    assert store.authenticate(other) is not None
    store.revoke(next(r.token_id for r in store.list() if r.principal == "ci-pipeline"))
    assert store.trusted(other) is None and store.authenticate(other) is None
    store.close()
    elsewhere.close()


def test_a_trusted_token_still_expires_on_time(sql: SqlRunner) -> None:
    clock = Clock(T0)
    store = TokenStore(sql, now=clock)
    token = store.create(principal="ci-pipeline", role="auditor", expires_in=timedelta(hours=1))
    clock.at = T0 + timedelta(hours=1) - TRUSTED_FOR / 2
    assert store.authenticate(token) is not None and store.trusted(token) is not None
    clock.at = T0 + timedelta(hours=1)  # the expiry, within the trust: the trust ends with it
    assert store.trusted(token) is None
    with pytest.raises(TokenExpiredError):
        store.authenticate(token)
    store.close()
