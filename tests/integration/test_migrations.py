"""Upgrading a store: `modelgov db migrate` brings a store written by release 0.1.0 (a committed
fixture, tests/fixtures/release_0_1_0) to this release's schema version, and it reads as it did;
each migration is one transaction; a store of a newer release is refused."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from domain.commands import ApproveRelease
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.db.append_only import (
    CHECKPOINTS_TABLE,
    COSIGNATURES_TABLE,
    OBSERVATION_PURGES_TABLE,
)
from infrastructure.db.fault_points import armed
from infrastructure.db.layout import SCHEMA_VERSION_TABLE, inspect_layout
from infrastructure.db.migrations import CURRENT_VERSION, MIGRATIONS, Migration, migrate
from infrastructure.db.schema import CONSOLE_SESSIONS
from infrastructure.db.sql import SqlRunner, Transaction
from infrastructure.db.store import open_governance
from infrastructure.errors import SchemaVersionError
from infrastructure.ledger.online import Ledger, open_ledger
from infrastructure.settings import Database, Settings, get_settings
from tests.conftest import PG_URL
from tests.factories import by
from tests.fixtures.make_release_store import READS, SCHEMA_PLACEHOLDER
from tests.integration.test_cli import fails_clearly, run
from tests.integration.test_cli_faults import _without_root_overrides, fails_in_one_line

RELEASE_0_1_0 = Path(__file__).parents[1] / "fixtures" / "release_0_1_0"
EVENTS_IN_FIXTURE = 10


@dataclass
class OldStore:
    """A copy of the fixture store, with the settings that open it (CLI and in-process)."""

    directory: Path
    env: dict[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run(self.directory, *args, env=self.env)

    def reads(self) -> dict[str, object]:
        printed = {}
        for name, args in READS.items():
            result = self.run(*args)
            assert result.returncode == 0, (args, result.stderr)
            printed[name] = json.loads(result.stdout)
        return printed

    @property
    def settings(self) -> Settings:
        return get_settings(self.env)

    def tables(self) -> frozenset[str]:
        sql = SqlRunner(self.settings.for_reading().database)
        try:
            return inspect_layout(sql).tables
        finally:
            sql.close()

    def count(self, table: str) -> int:
        sql = SqlRunner(self.settings.for_reading().database)
        try:
            [(rows,)] = sql.execute(f"SELECT count(*) FROM {table}")
        finally:
            sql.close()
        return int(rows)


def _keys(directory: Path, signing_key: str) -> dict[str, str]:
    for name in ("modelgov.cipher.key", signing_key, f"{signing_key}.pub", f"{signing_key}.head"):
        shutil.copy(RELEASE_0_1_0 / name, directory / name.replace("postgres-", ""))
    return {
        "MODELGOV_CIPHER_KEY_FILE": str(directory / "modelgov.cipher.key"),
        "MODELGOV_SIGNING_KEY_FILE": str(directory / "signing.key"),
    }


@pytest.fixture
def sqlite_store(tmp_path: Path) -> OldStore:
    shutil.copy(RELEASE_0_1_0 / "modelgov.db", tmp_path / "modelgov.db")
    env = _keys(tmp_path, "signing.key")
    return OldStore(tmp_path, {**env, "MODELGOV_DATABASE_URL": f"sqlite:///{tmp_path}/modelgov.db"})


@pytest.fixture
def postgres_store(pg_schema: str, tmp_path: Path) -> OldStore:
    dump = (RELEASE_0_1_0 / "postgres.sql").read_text()
    dump = dump.replace(f"CREATE SCHEMA {SCHEMA_PLACEHOLDER};", "")  # pg_schema made it
    restored = subprocess.run(
        ["psql", PG_URL, "--quiet", "-v", "ON_ERROR_STOP=1", "-f", "-"],
        input=dump.replace(SCHEMA_PLACEHOLDER, pg_schema), capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert restored.returncode == 0, restored.stderr
    env = _keys(tmp_path, "postgres-signing.key")
    return OldStore(
        tmp_path, {**env, "MODELGOV_DATABASE_URL": PG_URL, "MODELGOV_PG_SCHEMA": pg_schema}
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_store(request: pytest.FixtureRequest) -> OldStore:
    """The store release 0.1.0 wrote, on each backend."""
    store: OldStore = request.getfixturevalue(f"{request.param}_store")
    return store


def test_migrations_only_go_forward_each_version_once() -> None:
    versions = [migration.version for migration in MIGRATIONS]
    assert versions == list(range(1, len(MIGRATIONS) + 1))
    assert versions[-1] == CURRENT_VERSION
    assert all(migration.description for migration in MIGRATIONS)


def test_a_store_written_by_release_0_1_0_is_migrated_and_reads_as_it_did(
    old_store: OldStore,
) -> None:
    tables_before = old_store.tables()
    receipts = old_store.count("modelgov_receipts")
    assert SCHEMA_VERSION_TABLE not in tables_before  # that release had no schema version
    read_before = old_store.reads()  # read commands work on the older store, as they are
    status = old_store.run("db", "status")
    assert status.returncode == 1 and "schema version none" in status.stdout
    assert "pending 1:" in status.stdout and "modelgov db migrate" in status.stderr

    migrated = old_store.run("db", "migrate")

    assert migrated.returncode == 0, migrated.stderr
    assert "applying 1: the schema of release 0.1.0" in migrated.stdout
    assert "applying 2: the admission check's read model" in migrated.stdout
    assert "applying 3: the ledger's tree heads as C2SP tlog-checkpoints" in migrated.stdout
    assert "applying 4: witnesses' cosignatures of the ledger's checkpoints" in migrated.stdout
    assert "applying 5: the console's sign-in sessions" in migrated.stdout
    assert "applying 6: the console's lists, a row per item" in migrated.stdout
    assert "applying 7: retention of observations" in migrated.stdout
    assert "applying 8: erasure keys" in migrated.stdout
    assert "applying 9: observations partitioned by month on PostgreSQL" in migrated.stdout
    assert "applying 10: indexes of the rows still open" in migrated.stdout
    assert (
        f"schema version {CURRENT_VERSION}: {len(MIGRATIONS)} migration(s) applied"
        in migrated.stdout
    )
    status = old_store.run("db", "status")
    assert status.returncode == 0 and f"schema version {CURRENT_VERSION};" in status.stdout
    assert old_store.tables() == tables_before | {
        SCHEMA_VERSION_TABLE,
        "modelgov_admission",
        CHECKPOINTS_TABLE,
        COSIGNATURES_TABLE,
        CONSOLE_SESSIONS,
        "modelgov_queue_items",
        OBSERVATION_PURGES_TABLE,
        "modelgov_erasure_keys",
    }
    assert old_store.reads() == read_before
    if "MODELGOV_PG_SCHEMA" not in old_store.env:  # as printed by release 0.1.0 itself
        for name, printed in read_before.items():
            expected = json.loads((RELEASE_0_1_0 / "expected" / f"{name}.json").read_text())
            assert without_later_fields(printed) == expected, name
    assert old_store.count("modelgov_receipts") == receipts > 0  # every command's, kept
    verified = old_store.run("verify")
    assert verified.returncode == 0, verified.stderr
    assert f"{EVENTS_IN_FIXTURE} event(s)" in verified.stdout
    assert len(json.loads(old_store.run("tokens", "list", "--json").stdout)) == 4


def test_a_migrated_store_records_new_commands_and_seals_them(old_store: OldStore) -> None:
    assert old_store.run("db", "migrate").returncode == 0
    app = open_governance(old_store.settings)
    try:
        now = datetime.now(UTC)
        app.handle(ApproveRelease(name="churn", version=2), by=by("ds", "upgraded", at=now))
        ledger = open_ledger(old_store.settings, app)
        assert ledger.tables.latest_checkpoint() is None  # release 0.1.0 signed heads only
        assert seal_until_caught_up(ledger) == (1, 11)
        # The sealer signed the old last head's checkpoint when it started, then the new one's.
        assert [size for size, _ in _checkpoints(ledger)] == [10, 11]
        size, note = ledger.checkpoint()
        assert size == 11 and note.startswith(f"{old_store.settings.ledger_origin}\n11\n")
    finally:
        app.close()
    history = json.loads(old_store.run("history", "churn", "--json").stdout)
    assert history[-1]["event"] == "ReleaseApproved" and history[-1]["details"]["version"] == 2
    verified = old_store.run("verify")
    assert verified.returncode == 0 and f"{EVENTS_IN_FIXTURE + 1} event(s)" in verified.stdout


def _checkpoints(ledger: Ledger) -> list[tuple[int, str]]:
    rows = ledger.tables.sql.execute(
        f"SELECT tree_size, note FROM {CHECKPOINTS_TABLE} ORDER BY tree_size"
    )
    return [(int(size), str(note)) for size, note in rows]


def test_migrating_a_store_already_at_this_version_changes_nothing(
    sqlite_store: OldStore,
) -> None:
    assert sqlite_store.run("db", "migrate").returncode == 0
    sql = SqlRunner(sqlite_store.settings.database)
    rows = sql.execute(f"SELECT * FROM {SCHEMA_VERSION_TABLE}")

    again = sqlite_store.run("db", "migrate")
    dry = sqlite_store.run("db", "migrate", "--dry-run")

    assert again.returncode == dry.returncode == 0
    assert "up to date: nothing to migrate" in again.stdout
    assert "up to date: nothing to migrate" in dry.stdout
    assert sql.execute(f"SELECT * FROM {SCHEMA_VERSION_TABLE}") == rows
    assert [row[0] for row in rows] == [m.version for m in MIGRATIONS]
    assert all(row[1].endswith("Z") for row in rows)
    assert migrate(sql, before=inspect_layout(sql)).applied == []
    sql.close()


def test_a_dry_run_lists_the_pending_migrations_and_changes_nothing(
    sqlite_store: OldStore,
) -> None:
    tables = sqlite_store.tables()

    dry = sqlite_store.run("db", "migrate", "--dry-run")

    assert dry.returncode == 0
    assert "would apply 1: the schema of release 0.1.0" in dry.stdout
    assert sqlite_store.tables() == tables


def _failing_half_way(transaction: Transaction, *, database: Database, before: object) -> None:
    transaction.execute("CREATE TABLE modelgov_half_made (id INTEGER PRIMARY KEY)")
    transaction.execute("INSERT INTO modelgov_half_made (id) VALUES (1)")
    transaction.execute("INSERT INTO modelgov_no_such_table (id) VALUES (1)")


def test_a_migration_that_fails_half_way_leaves_the_store_at_the_version_before(
    backend: Settings,
) -> None:
    open_governance(backend).close()
    sql = SqlRunner(backend.database)
    broken = Migration(CURRENT_VERSION + 1, "fails after making a table", _failing_half_way)
    try:
        with pytest.raises((sqlite3.Error, psycopg.Error), match="modelgov_no_such_table"):
            migrate(sql, before=inspect_layout(sql), migrations=(*MIGRATIONS, broken))
        layout = inspect_layout(sql)
    finally:
        sql.close()
    assert layout.schema_version == CURRENT_VERSION
    assert "modelgov_half_made" not in layout.tables


class _InjectedError(Exception):
    pass


def _fail() -> None:
    raise _InjectedError("the process died here")


def test_a_first_migration_that_fails_leaves_no_table_of_it_behind(backend: Settings) -> None:
    with armed("during_migration", _fail), pytest.raises(_InjectedError):
        open_governance(backend)
    sql = SqlRunner(backend.database)
    try:
        layout = inspect_layout(sql)
    finally:
        sql.close()
    # Only the library's own tables, made before: migration 1's are all gone with it.
    assert layout.schema_version == 0
    assert not {t for t in layout.tables if t.startswith("modelgov_")} - {
        "modelgov_events", "modelgov_snapshots"
    }  # fmt: skip
    open_governance(backend).close()  # and the next start migrates it
    sql = SqlRunner(backend.database)
    assert inspect_layout(sql).schema_version == CURRENT_VERSION
    sql.close()


def test_a_migration_killed_mid_way_leaves_the_store_as_it_was(sqlite_store: OldStore) -> None:
    tables = sqlite_store.tables()
    env = {**sqlite_store.env, "MODELGOV_FAULT_POINT": "during_migration:kill"}

    killed = run(sqlite_store.directory, "db", "migrate", env=env)

    assert killed.returncode == -signal.SIGKILL
    assert sqlite_store.tables() == tables  # no version table, nothing half-made
    assert "schema version none" in sqlite_store.run("db", "status").stdout
    assert sqlite_store.run("db", "migrate").returncode == 0
    assert sqlite_store.run("verify").returncode == 0


def test_a_store_written_by_a_newer_release_is_refused_for_writing(
    sqlite_store: OldStore,
) -> None:
    assert sqlite_store.run("db", "migrate").returncode == 0
    sql = SqlRunner(sqlite_store.settings.database)
    sql.execute(
        f"INSERT INTO {SCHEMA_VERSION_TABLE} VALUES (?, ?, ?)",
        (CURRENT_VERSION + 1, "2030-01-01T00:00:00Z", "from the future"),
    )
    sql.close()
    newer = "was written by a newer release of modelgov"
    for command in (["db", "migrate"], ["ledger", "seal"], ["serve", "--port", "1"]):
        fails_clearly(sqlite_store.run(*command), newer)
    with pytest.raises(SchemaVersionError, match=newer):
        open_governance(sqlite_store.settings)
    status = sqlite_store.run("db", "status")
    assert status.returncode == 1 and "newer release" in status.stderr
    # Its history is still read, as read commands read any store they can.
    assert sqlite_store.run("history", "churn").returncode == 0


def test_migrate_says_when_there_is_no_store_or_it_cannot_be_reached(tmp_path: Path) -> None:
    missing = {"MODELGOV_DATABASE_URL": f"sqlite:///{tmp_path}/none.db"}
    fails_clearly(run(tmp_path, "db", "migrate", env=missing), "no modelgov store in")
    assert not (tmp_path / "none.db").exists()
    down = {"MODELGOV_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/postgres"}
    result = run(tmp_path, "db", "migrate", env=down)
    assert result.returncode == 3 and "cannot reach" in result.stderr


def test_migrate_says_when_the_store_cannot_be_written(sqlite_store: OldStore) -> None:
    directory = sqlite_store.directory
    directory.chmod(0o555)
    try:
        result = run(
            directory, "db", "migrate", env=sqlite_store.env, preexec_fn=_without_root_overrides
        )
    finally:
        directory.chmod(0o755)
    fails_in_one_line(result, 4, "cannot write to SQLite file")


def without_later_fields(printed: object) -> object:
    """What a read prints, less the fields later releases added by upcasting (a card's `extras`
    and `artifact_sha256_of`, a validation's `parameters` and `role`, a policy's retention and
    `revalidation_interval_months`, a model's legal hold and serious incidents, a version's
    `served_since`): everything 0.1.0 printed must stay."""
    if isinstance(printed, list):
        return [without_later_fields(item) for item in printed]
    if not isinstance(printed, dict):
        return printed
    later = set()
    if "artifact_sha256" in printed:
        later |= {"extras", "artifact_sha256_of"}
    if "metrics" in printed and "kind" in printed:
        later |= {"parameters", "role"}
    if "required_gates" in printed:  # a policy: retention and revalidation, read as its tier's
        later |= {"observation_retention_months", "log_retention_months",
                  "documentation_retention_years", "revalidation_interval_months"}  # fmt: skip
    if "policy" in printed:  # a model: its legal hold and serious incidents
        later |= {"legal_hold", "serious_incidents"}
    if "environments_served" in printed:  # a version: when it last started serving where
        later |= {"served_since"}
    return {key: without_later_fields(value) for key, value in printed.items() if key not in later}


def test_a_migrated_store_lists_its_waiting_items_once_the_projections_catch_up(
    sqlite_store: OldStore,
) -> None:
    assert sqlite_store.run("db", "migrate").returncode == 0
    assert sqlite_store.count("modelgov_queue_items") == 0  # emptied: projected again

    assert sqlite_store.run("projections", "run").returncode == 0

    sql = SqlRunner(sqlite_store.settings.for_reading().database)
    try:
        kinds = {kind for (kind,) in sql.execute("SELECT kind FROM modelgov_queue_items")}
    finally:
        sql.close()
    assert sqlite_store.count("modelgov_model_state") == 2  # churn and fraud, projected again
    assert kinds and kinds <= {"signoff", "bias_flag", "breach", "targets"}
