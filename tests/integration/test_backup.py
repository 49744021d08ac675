"""`modelgov backup` while the store takes writes, and `modelgov restore`: the copy holds every
event acknowledged before the backup began, verifies against the signed heads, and a restore
that rolls the log back says so in numbers before `verify` can pass."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from application.errors import ModelNotFoundError
from application.governance import Governance
from infrastructure.db.store import open_governance
from infrastructure.settings import get_settings
from tests.conftest import PG_URL, environ_for, fresh_pg_schema, wait_until
from tests.factories import by, registration
from tests.integration.test_cli import run


class Writer:
    """Registers models one after another in a thread; `acknowledged` holds the names whose
    command returned (the event committed), in order."""

    def __init__(self, governance: Governance) -> None:
        self.governance = governance
        self.acknowledged: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        number = 0
        while not self.stop.is_set():
            name = f"load-{number:05d}"
            self.governance.handle(registration(name, "low"), by=by("eng"))
            self.acknowledged.append(name)
            number += 1

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=60)


def _registered(environ: dict[str, str], names: list[str]) -> list[str]:
    """Those of `names` the store at `environ` holds no model of."""
    governance = open_governance(get_settings(environ))
    missing = []
    try:
        for name in names:
            try:
                governance.get_model(name)
            except ModelNotFoundError:
                missing.append(name)
    finally:
        governance.close()
    return missing


def _backup_under_load(source: dict[str, str], folder: Path, out: Path) -> list[str]:
    """Seal a first head, then back up while a writer writes; the names acknowledged before."""
    assert run(folder, "keys", "init", env=source).returncode == 0
    governance = open_governance(get_settings(source))
    try:
        for name in ("churn", "fraud"):
            governance.handle(registration(name, "high"), by=by("eng"))
        sealed = run(folder, "ledger", "seal", env=source)
        assert sealed.returncode == 0, sealed.stderr
        with Writer(governance) as writer:
            assert wait_until(lambda: len(writer.acknowledged) >= 20, timeout=60)
            before = list(writer.acknowledged)
            done = run(folder, "backup", "--out", str(out), env=source)
            assert wait_until(lambda: len(writer.acknowledged) > len(before) + 5, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "the backup holds no keys" in done.stdout
    finally:
        governance.close()
    return ["churn", "fraud", *before]


def test_a_sqlite_backup_taken_under_writes_holds_every_acknowledged_event_and_verifies(
    tmp_path: Path,
) -> None:
    source = environ_for("sqlite", tmp_path)
    out = tmp_path / "backups" / "store.db"
    before = _backup_under_load(source, tmp_path, out)
    assert sorted(p.name for p in out.parent.iterdir()) == ["store.db"]  # no -wal, no .partial

    restored = {**source, "MODELGOV_DATABASE_URL": f"sqlite:///{tmp_path / 'restored.db'}"}
    done = run(tmp_path, "restore", str(out), env=restored)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("restored ")
    assert _registered(restored, before) == []
    verified = run(tmp_path, "verify", env=restored)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_restore_that_rolls_the_log_back_says_what_is_lost_until_accepted(
    tmp_path: Path,
) -> None:
    source = environ_for("sqlite", tmp_path)
    out = tmp_path / "store-backup.db"
    _backup_under_load(source, tmp_path, out)
    assert run(tmp_path, "ledger", "seal", env=source).returncode == 0  # past the backup
    original = source["MODELGOV_DATABASE_URL"].removeprefix("sqlite:///")

    refused = run(tmp_path, "restore", str(out), env=source)
    assert refused.returncode == 2
    assert f"a store is already at {original}" in refused.stderr and "--replace" in refused.stderr

    rolled_back = run(tmp_path, "restore", str(out), "--replace", env=source)
    assert rolled_back.returncode == 2
    assert "restored, but the signing key's head file" in rolled_back.stderr
    assert "are not in the restored store" in rolled_back.stderr
    assert run(tmp_path, "verify", env=source).returncode == 1  # the rollback is caught

    accepted = run(tmp_path, "restore", str(out), "--replace", "--accept-rollback", env=source)
    assert accepted.returncode == 0, accepted.stderr
    kept = [p.name for p in tmp_path.iterdir() if ".head.before-restore-" in p.name]
    assert len(kept) == 1 and kept[0] in accepted.stdout
    verified = run(tmp_path, "verify", env=source)
    assert verified.returncode == 0, verified.stdout + verified.stderr


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"not a database at all", "is not a SQLite backup"),
        (b"PGDMP\x01\x0e", "is not a SQLite backup"),
        (b"SQLite format 3\x00" + b"\x00" * 4000, "is damaged or not a SQLite file"),
        (None, "is a SQLite file but not a modelgov store"),
    ],
)
def test_restore_refuses_what_is_not_a_modelgov_backup(
    tmp_path: Path, content: bytes | None, says: str
) -> None:
    bogus = tmp_path / "bogus.db"
    if content is None:  # a sound SQLite file of something else
        with sqlite3.connect(bogus) as other:
            other.execute("CREATE TABLE notes (text TEXT)")
        other.close()
    else:
        bogus.write_bytes(content)
    environ = environ_for("sqlite", tmp_path)

    refused = run(tmp_path, "restore", str(bogus), env=environ)

    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert says in refused.stderr
    assert not (tmp_path / "events.db").exists()  # nothing half-written where the store goes


@pytest.fixture
def restore_database() -> Iterator[str]:
    """A new, empty PostgreSQL database to restore into, dropped afterwards."""
    with fresh_pg_schema():  # skips (or fails, MODELGOV_REQUIRE_PG) without PostgreSQL
        pass
    name = f"restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    try:
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.mark.postgres
def test_a_postgres_backup_taken_under_writes_restores_into_another_database_and_verifies(
    tmp_path: Path, pg_schema: str, restore_database: str
) -> None:
    source = environ_for("postgres", tmp_path, pg_schema)
    out = tmp_path / "store.dump"
    before = _backup_under_load(source, tmp_path, out)
    assert out.read_bytes().startswith(b"PGDMP")

    restored = {**source, "MODELGOV_DATABASE_URL": restore_database}
    done = run(tmp_path, "restore", str(out), env=restored)
    assert done.returncode == 0, done.stderr
    assert _registered(restored, before) == []
    verified = run(tmp_path, "verify", env=restored)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    again = run(tmp_path, "restore", str(out), env=restored)
    assert again.returncode == 2 and f"a store is already in schema {pg_schema}" in again.stderr
    elsewhere = {**restored, "MODELGOV_PG_SCHEMA": "other_schema"}
    wrong = run(tmp_path, "restore", str(out), env=elsewhere)
    assert wrong.returncode == 2 and f"it holds {pg_schema}" in wrong.stderr
