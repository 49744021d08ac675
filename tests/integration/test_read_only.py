"""Read commands never write: verify, history, replay, show, report and export open the store
read-only, and where there is no store they say so and create none."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

import psycopg
import pytest
from eventsourcing.persistence import PersistenceError

from application.errors import NothingRecordedError
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.db.layout import inspect_layout
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.ledger.keys import write_key_pair
from infrastructure.ledger.online import open_ledger
from infrastructure.settings import Settings
from tests.conftest import environ_for
from tests.factories import by, registration, seed_app_model
from tests.integration.test_cli import fails_clearly, run

READ_COMMANDS = [
    ["verify"],
    ["history", "churn"],
    ["replay", "churn", "--revision", "1"],
    ["show", "churn"],
    ["report", "portfolio", "--format", "json"],
    ["export", "--out", "bundle"],
    ["models"],
    ["tokens", "list"],
    ["monitor", "status"],
    ["projections", "status"],
    ["webhooks", "list", "churn"],
]


def _environ(backend: Settings, tmp_path: Path) -> dict[str, str]:
    return environ_for(backend.database.kind, tmp_path, backend.database.schema)


def test_a_read_command_where_there_is_no_store_says_so_in_one_line_and_creates_nothing(
    backend: Settings, tmp_path: Path
) -> None:
    environ = _environ(backend, tmp_path)
    if backend.database.kind == "sqlite":
        environ["MODELGOV_DATABASE_URL"] = f"sqlite:///{tmp_path / 'mistyped' / 'evnets.db'}"
    for command in READ_COMMANDS:
        result = run(tmp_path, *command, env=environ)
        fails_clearly(result, "no modelgov store")
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "bundle").exists()
    if backend.database.kind == "sqlite":
        assert not (tmp_path / "mistyped").exists()  # neither the file, its -wal, -shm, nor folder
        assert not list(tmp_path.glob("**/*.db*"))
    else:
        sql = SqlRunner(backend.database)
        assert not inspect_layout(sql).tables
        sql.close()


def test_a_read_command_on_a_file_that_is_not_there_leaves_no_wal_or_shm_beside_it(
    tmp_path: Path,
) -> None:
    environ = environ_for("sqlite", tmp_path)
    result = run(tmp_path, "history", "churn", env=environ)
    fails_clearly(result, f"no modelgov store in SQLite file {tmp_path / 'events.db'}")
    assert sorted(path.name for path in tmp_path.iterdir()) == []


def _digest(backend: Settings) -> str:
    """What the store holds: the SQLite file's bytes, or every table's rows and every trigger."""
    if backend.database.kind == "sqlite":
        return hashlib.sha256(Path(backend.database.path).read_bytes()).hexdigest()
    sql = SqlRunner(backend.database)
    try:
        parts = [
            repr(sql.execute(f"SELECT * FROM {table} ORDER BY 1"))
            for table in sorted(inspect_layout(sql).tables)
        ]
        parts.append(
            repr(
                sql.execute(
                    "SELECT t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class c "
                    "ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = ? ORDER BY 1",
                    (backend.database.schema,),
                )
            )
        )
    finally:
        sql.close()
    return hashlib.sha256("".join(parts).encode()).hexdigest()


def test_read_commands_change_nothing_in_the_store(backend: Settings, tmp_path: Path) -> None:
    app = open_governance(backend)
    seed_app_model(app)
    write_key_pair(backend.signing_key_file, passphrase=None)
    seal_until_caught_up(open_ledger(backend, app))
    app.close()
    if backend.database.kind == "sqlite":  # the writers' WAL folded into the file, then closed
        with sqlite3.connect(backend.database.path) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
        # A read-only connection to a WAL store needs its -shm and -wal: it creates them.
        assert not list(Path(backend.database.path).parent.glob("*.db-*"))
    before = _digest(backend)
    environ = _environ(backend, tmp_path)
    for command in READ_COMMANDS:
        result = run(tmp_path, *command, env=environ)
        assert result.returncode == 0, (command, result.stderr)
    assert _digest(backend) == before


def test_a_store_opened_for_reading_refuses_to_write(backend: Settings) -> None:
    open_governance(backend).close()
    reader = open_governance(backend.for_reading())
    with pytest.raises(NothingRecordedError, match="nothing of it was recorded") as refused:
        reader.handle(registration("churn", "low"), by=by("eng"))
    assert isinstance(refused.value.__cause__, PersistenceError)
    assert re.search(r"read-only|readonly", str(refused.value.__cause__))
    reader.close()
    sql = SqlRunner(backend.for_reading().database)
    with pytest.raises((sqlite3.Error, psycopg.Error), match=r"read-only|readonly"):
        sql.execute(
            "INSERT INTO modelgov_monitor_tracking (name, position) VALUES (?, ?)", ("x", 1)
        )
    sql.close()


def test_a_store_without_this_releases_newer_tables_is_still_read(
    backend: Settings, tmp_path: Path
) -> None:
    app = open_governance(backend)
    seed_app_model(app)
    write_key_pair(backend.signing_key_file, passphrase=None)
    seal_until_caught_up(open_ledger(backend, app))
    app.close()
    sql = SqlRunner(backend.database)  # as a store made by the release before receipts
    for table in ("modelgov_receipts", "modelgov_write_probe", "modelgov_projection_tracking"):
        sql.execute(f"DROP TABLE {table}")
    sql.close()
    environ = _environ(backend, tmp_path)
    for command in (["verify"], ["history", "churn"], ["show", "churn"]):
        result = run(tmp_path, *command, env=environ)
        assert result.returncode == 0, (command, result.stderr)
    # A read of what it does not have says so, in one line, as a refusal (not "unreachable").
    models = run(tmp_path, "models", env=environ)
    assert models.returncode == 2
    assert "lacks what this command reads" in models.stderr and "Traceback" not in models.stderr
