"""The store's schema version, and the forward migrations that bring a store to this release's.

Each migration applied leaves a row in modelgov_schema_version (version, applied_at, description),
written in the migration's own transaction: a migration that fails, or a process killed during one,
leaves the store at the version before, with nothing of it made (DDL is transactional on
PostgreSQL, and on SQLite inside an explicit transaction). Migrations only go forward; a store
written by a newer release is refused, never migrated back.

Migration 1 is the schema of release 0.1.0, the first to number its schema. Its statements are
idempotent (CREATE ... IF NOT EXISTS), so a store made before schema versions existed is brought to
version 1 by running it: what it has is kept, what it lacks is created.

A later migration is appended to MIGRATIONS with the next number and its own statements (ALTER
TABLE ..., CREATE TABLE ...); schema.py's create statements are changed to match, since a new
store runs every migration in turn. Migrations are never edited once released.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from application.projections.admission import ADMISSION
from application.projections.model_documents import QUEUE_ITEMS, ModelStates
from application.projections.targets import TABLE as TARGET_HISTORY
from application.projections.usage import TABLE as USAGE_WINDOWS
from application.projections.versions import VERSIONS
from domain.instants import utc_text
from infrastructure.db.append_only import (
    CHECKPOINTS_TABLE,
    COSIGNATURES_TABLE,
    OBSERVATION_PURGES_TABLE,
    OBSERVATIONS_TABLE,
    guards,
    purge_door_function,
    trigger_states,
)
from infrastructure.db.erasure_keys import create_statement as erasure_keys_statement
from infrastructure.db.fault_points import fault_point
from infrastructure.db.layout import SCHEMA_VERSION_TABLE, Layout, application_roles
from infrastructure.db.observation_partitions import partition_by_month
from infrastructure.db.schema import (
    CONSOLE_SESSIONS,
    bookkeeping_statement,
    create_schema,
    grant_to_application_role,
    missing_tables,
    observation_purge_statements,
    observation_statements,
    schema_version_statement,
    signed_per_size_statement,
)
from infrastructure.db.sql import SqlRunner, Transaction
from infrastructure.errors import SchemaVersionError
from infrastructure.projections.batch_statements import SET_POSITION
from infrastructure.projections.tables import create_statements as projection_tables
from infrastructure.settings import Database

MIGRATE_COMMAND = "modelgov db migrate"


class Step(Protocol):
    def __call__(self, transaction: Transaction, *, database: Database, before: Layout) -> None:
        """Change the schema inside `transaction`; `before` is the store as the migration found it."""
        ...


@dataclass(frozen=True)
class Migration:
    """One forward step of the schema: its number, what it does, and the step doing it."""

    version: int
    description: str
    apply: Step

    def describe(self) -> str:
        return f"{self.version}: {self.description}"


def _projection_tables(*tables: str) -> Step:
    """A step making projection tables, or the indexes added to existing ones (their statements
    are idempotent); a new table's projection starts from position 0 and catches up on its own."""

    def step(transaction: Transaction, *, database: Database, before: Layout) -> None:
        for statement in projection_tables(tables):
            transaction.execute(statement)

    return step


def _ledger_table(table: str) -> Step:
    """A step creating one of the ledger's later tables, append-only, guarded as the others (a
    table that existed before keeps its triggers as they are, as `create_schema` does)."""

    def step(transaction: Transaction, *, database: Database, before: Layout) -> None:
        transaction.execute(signed_per_size_statement(database.kind, table))
        if table not in before.tables:
            for guard in guards(database.kind, schema=database.pg_schema, tables=(table,)):
                transaction.execute(guard.create)

    return step


def _console_sessions(transaction: Transaction, *, database: Database, before: Layout) -> None:
    transaction.execute(bookkeeping_statement(CONSOLE_SESSIONS))


def _queue_items(transaction: Transaction, *, database: Database, before: Layout) -> None:
    """The new table is filled by the model-states projection: its rows and position are
    emptied here, and it projects every model again as it catches up."""
    for statement in projection_tables([QUEUE_ITEMS]):
        transaction.execute(statement)
    _project_model_states_again(transaction)


def _project_model_states_again(transaction: Transaction) -> None:
    """Empty the model-states projection's rows and position: it projects every model again."""
    for table in ModelStates.tables:
        transaction.execute(f"DELETE FROM {table}")
    transaction.execute(SET_POSITION, (ModelStates.name, 0))


def _observation_purges(transaction: Transaction, *, database: Database, before: Layout) -> None:
    """The purges table (append-only, guarded as the others when created now), and the
    observations' DELETE guard with its door for purged months, in place of the guard that
    refused every DELETE: replaced only where it is in force (a missing or disabled guard stays
    a finding of `verify`, put back by `modelgov db triggers install`)."""
    kind, schema = database.kind, database.pg_schema
    for statement in observation_purge_statements(kind):
        transaction.execute(statement)
    if kind == "postgres":
        transaction.execute(purge_door_function(schema))
    if OBSERVATION_PURGES_TABLE not in before.tables:
        for guard in guards(kind, schema=schema, tables=(OBSERVATION_PURGES_TABLE,)):
            transaction.execute(guard.create)
    _, states = trigger_states(transaction.execute, kind=kind, schema=schema)
    for guard in guards(kind, schema=schema, tables=(OBSERVATIONS_TABLE,)):
        if guard.door and states.get(guard.trigger) == "enabled":
            on = "" if kind == "sqlite" else f" ON {schema}.{OBSERVATIONS_TABLE}"
            transaction.execute(f"DROP TRIGGER {guard.trigger}{on}")
            transaction.execute(guard.create)
    _project_model_states_again(transaction)  # its documents now show retention and holds


def _erasure_keys(transaction: Transaction, *, database: Database, before: Layout) -> None:
    transaction.execute(erasure_keys_statement(database.kind))


def _observations_by_month(transaction: Transaction, *, database: Database, before: Layout) -> None:
    """PostgreSQL only: SQLite's observations stay one table (its purge deletes rows)."""
    if database.kind == "postgres":
        partition_by_month(
            transaction,
            schema=database.pg_schema,
            statements=observation_statements(database.kind),
        )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "the schema of release 0.1.0: modelgov's tables, the append-only triggers, the "
        "NOTIFY trigger (PostgreSQL) and this version table",
        create_schema,
    ),
    Migration(
        2,
        "the admission check's read model (modelgov_admission, filled by its projection as it "
        "catches up) and an index of versions by artifact digest",
        _projection_tables(ADMISSION, VERSIONS),
    ),
    Migration(
        3,
        "the ledger's tree heads as C2SP tlog-checkpoints (modelgov_ledger_checkpoints, "
        "append-only; the sealer signs the last head's when it starts)",
        _ledger_table(CHECKPOINTS_TABLE),
    ),
    Migration(
        4,
        "witnesses' cosignatures of the ledger's checkpoints (modelgov_ledger_cosignatures, "
        "append-only; C2SP tlog-cosignature lines, filled as the witnesses answer)",
        _ledger_table(COSIGNATURES_TABLE),
    ),
    Migration(
        5,
        "the console's sign-in sessions (modelgov_console_sessions: a hash of each session "
        "cookie, the token it was opened with, its CSRF secret, when it ends)",
        _console_sessions,
    ),
    Migration(
        6,
        "the console's lists, a row per item (modelgov_queue_items: versions awaiting sign-off, "
        "open bias flags and breaches, targets awaiting approval); the model-states projection "
        "is emptied and projects every model again as it catches up",
        _queue_items,
    ),
    Migration(
        7,
        "retention of observations: the record of each month `modelgov observations purge` "
        "dropped (modelgov_observation_purges, append-only), the observations' DELETE guard "
        "letting through only the rows of a month so recorded and over six months old, and an "
        "index of observations by model and time; the model-states projection is emptied and "
        "projects every model again (its documents show retention and the legal hold)",
        _observation_purges,
    ),
    Migration(
        8,
        "erasure keys (modelgov_erasure_keys: a key per person, and per model's snapshots, "
        "wrapped under the data key; deleting a person's row forgets them, GDPR Art. 17)",
        _erasure_keys,
    ),
    Migration(
        9,
        "observations partitioned by month on PostgreSQL (a partition per month of observed_at, "
        "made as rows arrive; every row copied with its position, the guards kept); a purge "
        "drops a month's partition whole when every model in it is past retention and unheld",
        _observations_by_month,
    ),
    Migration(
        10,
        "indexes of the rows still open: the target in force for each model, dimension and "
        "metric (modelgov_target_history) and each open usage window (modelgov_usage_windows), "
        "so that replacing a target or closing a window no longer reads all the earlier ones",
        _projection_tables(TARGET_HISTORY, USAGE_WINDOWS),  # the tables exist: their indexes
    ),
)
CURRENT_VERSION = MIGRATIONS[-1].version


@dataclass(frozen=True)
class Migrated:
    """What a run of `migrate` did: the migrations applied, the application roles re-granted."""

    applied: list[Migration] = field(default_factory=list)
    granted: list[str] = field(default_factory=list)


def version_text(version: int) -> str:
    return str(version) if version else "none (a store made before schema versions, or empty)"


def pending(layout: Layout, migrations: Sequence[Migration] = MIGRATIONS) -> list[Migration]:
    """The migrations a store at `layout`'s version has not had, in order."""
    return [migration for migration in migrations if migration.version > layout.schema_version]


def check_not_newer(layout: Layout, database: Database) -> None:
    if layout.schema_version > CURRENT_VERSION:
        raise SchemaVersionError(
            f"{database.describe()} was written by a newer release of modelgov (schema version "
            f"{layout.schema_version}; this release knows up to {CURRENT_VERSION}): upgrade "
            "modelgov to use it"
        )


def check_current(layout: Layout, database: Database) -> None:
    """For a role that cannot migrate (it does not own the tables): the store is at this
    release's version, neither older nor newer."""
    check_not_newer(layout, database)
    if layout.schema_version < CURRENT_VERSION:
        raise SchemaVersionError(
            f"{database.describe()} is at schema version {layout.schema_version} and this "
            f"release needs {CURRENT_VERSION}: the tables' owner runs `{MIGRATE_COMMAND} "
            "--owner-url URL` (it grants this role what the new tables need), then start again"
        )


def migrate(
    sql: SqlRunner,
    *,
    before: Layout,
    migrations: Sequence[Migration] = MIGRATIONS,
    progress: Callable[[Migration], None] = lambda migration: None,
) -> Migrated:
    """Apply the pending migrations in order, each in one transaction with its version row
    (`progress` is told before each), or put back a table of this version dropped since; then, on
    PostgreSQL, grant the application roles what the new tables need. The caller holds the
    set-up lock (store.setup_lock) and owns the tables."""
    check_not_newer(before, sql.database)
    applied = []
    for migration in pending(before, migrations):
        progress(migration)
        if _apply(sql, migration, before=before):
            applied.append(migration)
    repaired = not applied and bool(missing_tables(before, sql.database.kind))
    if repaired:  # a table of this version dropped since: put back as the schema has it
        with sql.transaction() as transaction:
            create_schema(transaction, database=sql.database, before=before)
    granted = application_roles(sql) if applied or repaired else []
    for role in granted:
        grant_to_application_role(sql, role)
    return Migrated(applied, granted)


def _apply(sql: SqlRunner, migration: Migration, *, before: Layout) -> bool:
    """False when another process applied it first (it held the lock before this one)."""
    with sql.transaction() as transaction:
        transaction.execute(schema_version_statement())
        [(found,)] = transaction.execute(
            f"SELECT coalesce(max(version), 0) FROM {SCHEMA_VERSION_TABLE}"
        )
        if int(found) >= migration.version:
            return False
        migration.apply(transaction, database=sql.database, before=before)
        fault_point("during_migration")
        transaction.execute(
            f"INSERT INTO {SCHEMA_VERSION_TABLE} (version, applied_at, description) "
            "VALUES (?, ?, ?)",
            (migration.version, utc_text(datetime.now(UTC)), migration.description),
        )
    return True
