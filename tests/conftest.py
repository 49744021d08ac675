"""Shared fixtures: a real event store on SQLite (a file) and on PostgreSQL (a fresh schema per test)."""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest

from application.governance import Governance
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.settings import Settings, get_settings

PG_URL = os.environ.get("MODELGOV_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_KEY = "7hS2bQ4Kq1tN9mY0cV3xZ8wR5uP6eA1dF4gH7jK2lMo="


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (servers in tests never take 8000)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def pytest_configure(config: pytest.Config) -> None:
    # The same validation modelgov itself does: a misspelt MODELGOV_REQUIRE_PG=true must not
    # silently let the PostgreSQL tests skip.
    get_settings(os.environ)


def _postgres_or_skip() -> None:
    try:
        with psycopg.connect(PG_URL, connect_timeout=3):
            pass
    except psycopg.Error as error:
        missing(
            f"PostgreSQL is not reachable at {PG_URL} ({error.__class__.__name__}); "
            "set MODELGOV_TEST_PG_URL to run these tests",
            required_by="MODELGOV_REQUIRE_PG",
        )


def missing(message: str, *, required_by: str) -> NoReturn:
    """Skip, saying what is missing; fail instead where `required_by`=1 (CI: a missing server
    or tool must not pass as skipped)."""
    if os.environ.get(required_by) == "1":
        pytest.fail(f"{message} -- {required_by}=1 makes this a failure")
    pytest.skip(message)


@contextmanager
def fresh_pg_schema() -> Iterator[str]:
    """A new, empty PostgreSQL schema, dropped afterwards."""
    _postgres_or_skip()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A new, empty PostgreSQL schema, dropped after the test."""
    with fresh_pg_schema() as schema:
        yield schema


def environ_for(backend: str, tmp_path: Path, schema: str = "", **extra: str) -> dict[str, str]:
    """The MODELGOV_* variables of a test store (for the CLI; `settings_for` reads them)."""
    environ = {
        "MODELGOV_CIPHER_KEY": TEST_KEY,
        "MODELGOV_SIGNING_KEY_FILE": str(tmp_path / "signing.key"),
    }
    if backend == "sqlite":
        environ["MODELGOV_DATABASE_URL"] = f"sqlite:///{tmp_path / 'events.db'}"
    else:
        environ["MODELGOV_DATABASE_URL"] = PG_URL
        environ["MODELGOV_PG_SCHEMA"] = schema
    return {**environ, **extra}


def settings_for(backend: str, tmp_path: Path, schema: str = "", **extra: str) -> Settings:
    return get_settings(environ_for(backend, tmp_path, schema, **extra))


def wait_until(condition: Callable[[], bool], *, timeout: float, every: float = 0.05) -> bool:
    """Poll `condition` until it holds or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for a fresh store on each backend: the same test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield settings_for("sqlite", tmp_path)
    else:
        schema = request.getfixturevalue("pg_schema")
        yield settings_for("postgres", tmp_path, schema)


@pytest.fixture
def app(backend: Settings) -> Iterator[Governance]:
    governance = open_governance(backend)
    yield governance
    governance.close()


@pytest.fixture
def pg_sql(pg_schema: str, tmp_path: Path) -> Iterator[SqlRunner]:
    """A runner of statements on a fresh PostgreSQL schema, for what only PostgreSQL does."""
    runner = SqlRunner(settings_for("postgres", tmp_path, pg_schema).database)
    yield runner
    runner.close()


@pytest.fixture
def sql(backend: Settings) -> Iterator[SqlRunner]:
    """A runner of statements on the same store as `app`."""
    runner = SqlRunner(backend.database)
    yield runner
    runner.close()
