"""The stores a benchmark runs on: SQLite files in a temporary folder, a PostgreSQL schema of its own
(dropped afterwards, also after an error), their settings, and the bare driver's insert rate."""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from eventsourcing.cryptography import AESCipher

from application.governance import DEFAULT_SNAPSHOT_INTERVAL, Governance
from bench.figures import rate
from infrastructure.db.store import open_governance
from infrastructure.ledger.keys import write_key_pair
from infrastructure.settings import Settings, get_settings

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
RAW_PAYLOAD_BYTES = 650  # about the stored size of one encrypted TargetSet event
_RAW_ID = "8c0d8ec4-0000-4000-8000-000000000001"
_RAW_PAYLOAD = os.urandom(RAW_PAYLOAD_BYTES)

Result = TypeVar("Result")


@dataclass(frozen=True)
class Store:
    """One store under test. Every application opened on it uses the run's AES data key."""

    name: str  # "sqlite" or "postgres": the heading of the store's column of figures
    workdir: Path  # the run's temporary folder: SQLite files, signing keys, server logs
    key: str
    pg_url: str = ""
    schema: str = ""  # PostgreSQL only

    @property
    def is_postgres(self) -> bool:
        return bool(self.schema)

    def path(self, tag: str = "events") -> Path:
        """The SQLite file `tag`. The library names its SQLite tables alike whatever the
        application, so two applications need two files; on PostgreSQL it names them after the
        application, so there they share the schema."""
        return self.workdir / f"{tag}.db"

    def environ(
        self,
        *,
        tag: str = "events",
        interval: int = DEFAULT_SNAPSHOT_INTERVAL,
        extra: dict[str, str] | None = None,
    ) -> dict[str, str]:
        """The MODELGOV_* settings of an application on this store (for a server's environment)."""
        environ = {
            "MODELGOV_DATABASE_URL": self.pg_url or f"sqlite:///{self.path(tag)}",
            "MODELGOV_CIPHER_KEY": self.key,
            "MODELGOV_SNAPSHOT_INTERVAL": str(interval),
            **(extra or {}),
        }
        if self.schema:
            environ["MODELGOV_PG_SCHEMA"] = self.schema
        return environ

    def signing_key(self, tag: str) -> dict[str, str]:
        """A new signing key beside the store's files, as the setting that names it (`extra=`)."""
        key_file = self.workdir / f"{self.name}-{tag}.key"
        write_key_pair(key_file, passphrase=None)
        return {"MODELGOV_SIGNING_KEY_FILE": str(key_file)}

    def settings(
        self,
        *,
        tag: str = "events",
        interval: int = DEFAULT_SNAPSHOT_INTERVAL,
        extra: dict[str, str] | None = None,
    ) -> Settings:
        return get_settings(self.environ(tag=tag, interval=interval, extra=extra))

    def raw_insert_rate(self, rows: int) -> float:
        """The floor: single-row inserts/s with the bare driver, one transaction per row."""
        if self.is_postgres:
            return raw_postgres_rate(self.pg_url, self.schema, rows)
        return raw_sqlite_rate(self.path("raw"), rows)


def on_each_store(
    run: Callable[[Store], Result],
    *,
    sqlite: bool,
    postgres: bool,
    pg_url: str,
    purpose: str,
) -> dict[str, Result]:
    """`run` on SQLite, then on PostgreSQL (as asked, and if it answers); results by store name."""
    key = AESCipher.create_key(32)
    with_postgres = postgres and check_postgres(pg_url)
    results: dict[str, Result] = {}
    with tempfile.TemporaryDirectory(prefix=f"modelgov-bench-{purpose}-") as folder:
        workdir = Path(folder)
        if sqlite:
            print(f"SQLite (temp files in {workdir}):", flush=True)
            results["sqlite"] = run(Store("sqlite", workdir, key))
        if with_postgres:
            with postgres_schema(pg_url) as schema:
                print(f"PostgreSQL ({pg_url}, schema {schema}, dropped afterwards):", flush=True)
                results["postgres"] = run(Store("postgres", workdir, key, pg_url, schema))
    return results


@contextmanager
def store_apart(store: Store, tag: str) -> Iterator[Store]:
    """A store sharing no table with `store`: a folder of its own for SQLite, a schema of its
    own on PostgreSQL (dropped afterwards)."""
    if not store.is_postgres:
        folder = store.workdir / tag
        folder.mkdir()
        yield replace(store, workdir=folder)
        return
    with postgres_schema(store.pg_url) as schema:
        yield replace(store, schema=schema)


def postgres_reachable(url: str) -> str | None:
    """None if PostgreSQL answers, else why not."""
    try:
        with psycopg.connect(url, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"{error.__class__.__name__}: {str(error).strip().splitlines()[0]}"


def check_postgres(url: str) -> bool:
    problem = postgres_reachable(url)
    if problem:
        print(
            f"PostgreSQL is not reachable at {url} ({problem}).\n"
            "Running on SQLite only. Pass --pg-url to point at a server, or --skip-postgres.",
            flush=True,
        )
    return problem is None


def postgres_schema(url: str) -> AbstractContextManager[str]:
    """A fresh schema `bench_<random>`, dropped with everything in it afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    return _made_for_the_run(
        url, schema, create=f"CREATE SCHEMA {schema}", drop=f"DROP SCHEMA {schema} CASCADE"
    )


def postgres_database(url: str, *, prefix: str = "bench") -> AbstractContextManager[str]:
    """A fresh database `<prefix>_<random>` on the server of `url`, its name yielded; dropped
    afterwards, also while something is still connected to it (a peer's server killed late)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    return _made_for_the_run(
        url, name, create=f"CREATE DATABASE {name}",
        drop=f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
    )  # fmt: skip


@contextmanager
def _made_for_the_run(url: str, name: str, *, create: str, drop: str) -> Iterator[str]:
    """`name`, made by the statement `create` and removed by `drop` afterwards, also after an
    error (each in autocommit: neither runs in a transaction block)."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(create)
    try:
        yield name
    finally:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(drop)


def connect_postgres(store: Store, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    """A plain psycopg connection to the store, whose unqualified table names are its schema's."""
    return psycopg.connect(
        store.pg_url, options=f"-c search_path={store.schema}", autocommit=autocommit
    )


@contextmanager
def opened(settings: Settings) -> Iterator[Governance]:
    """The application, closed afterwards (its pool too)."""
    app = open_governance(settings)
    try:
        yield app
    finally:
        app.close()


def raw_row(i: int) -> tuple[str, int, str, bytes]:
    return (_RAW_ID, i + 1, "bench/Event", _RAW_PAYLOAD)


def raw_sqlite_rate(path: Path, rows: int) -> float:
    """One row per transaction with sqlite3, in WAL mode like the library's SQLite recorder."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(
            "CREATE TABLE events (id TEXT, version INTEGER, topic TEXT, state BLOB, "
            "PRIMARY KEY (id, version)) WITHOUT ROWID"
        )
        start = time.perf_counter()
        for i in range(rows):
            connection.execute("BEGIN")
            connection.execute("INSERT INTO events VALUES (?, ?, ?, ?)", raw_row(i))
            connection.execute("COMMIT")
        return rate(rows, time.perf_counter() - start)
    finally:
        connection.close()


def raw_postgres_rate(url: str, schema: str, rows: int) -> float:
    """One INSERT and one COMMIT per row with psycopg, prepared as the library prepares them."""
    with psycopg.connect(url) as connection:
        connection.execute(
            f"CREATE TABLE {schema}.raw_events (id uuid, version bigint, topic text, "
            "state bytea, PRIMARY KEY (id, version))"
        )
        connection.commit()
        statement = f"INSERT INTO {schema}.raw_events VALUES (%s, %s, %s, %s)"
        start = time.perf_counter()
        for i in range(rows):
            connection.execute(statement, raw_row(i), prepare=True)
            connection.commit()
        return rate(rows, time.perf_counter() - start)
