"""Every table modelgov uses, in one place: how each is created, which are append-only, and what
the application's role may do with each (`modelgov db init` grants exactly that).

The event store's own tables are created by the library; the projections' tables are declared
in infrastructure/projections/tables.py, the append-only triggers by infrastructure/db/append_only
and the NOTIFY trigger by infrastructure/projections/event_signal, next to the code that knows
them, and run from here only. Nothing else creates or alters tables: stores, runners and queries
only read and write rows, so a role that owns nothing (or a read-only session) can use them.
`create_schema` is migration 1 (infrastructure/db/migrations.py), run in one transaction.
"""

from __future__ import annotations

from infrastructure.db.append_only import (
    CHECKPOINTS_TABLE,
    COSIGNATURES_TABLE,
    LEDGER_TABLES,
    OBSERVATION_PURGES_TABLE,
    OBSERVATIONS_TABLE,
    event_tables,
    guard_functions,
    guarded_tables,
    guards,
)
from infrastructure.db.erasure_keys import TABLE as ERASURE_KEYS
from infrastructure.db.erasure_keys import create_statement as erasure_keys_statement
from infrastructure.db.layout import (
    READ_APPEND,
    READ_APPEND_LOCK,
    READ_WRITE,
    SCHEMA_VERSION_TABLE,
    Layout,
    grant_statements,
)
from infrastructure.db.observation_partitions import partition_functions
from infrastructure.db.recorders import TABLE as RECEIPTS
from infrastructure.db.sql import SqlRunner, Transaction
from infrastructure.errors import StoreNotFoundError, StoreUnavailableError
from infrastructure.projections.batch_statements import PROJECTION_TRACKING
from infrastructure.projections.event_signal import notify_trigger_statements
from infrastructure.projections.tables import PROJECTION_TABLES
from infrastructure.projections.tables import create_statements as projection_tables
from infrastructure.settings import Database


def _ledger(kind: str) -> list[str]:
    blob, integer = ("BLOB", "INTEGER") if kind == "sqlite" else ("BYTEA", "BIGINT")
    leaves, heads, keys, _, _ = LEDGER_TABLES
    return [
        f"""CREATE TABLE IF NOT EXISTS {leaves} (
            position {integer} PRIMARY KEY,
            notification_id {integer} NOT NULL UNIQUE,
            leaf_hash {blob} NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS {heads} (
            tree_size {integer} NOT NULL,
            root {blob} NOT NULL,
            signed_at TEXT NOT NULL,
            key_id TEXT NOT NULL,
            signature {blob} NOT NULL,
            PRIMARY KEY (tree_size, key_id))""",
        f"""CREATE TABLE IF NOT EXISTS {keys} (
            key_id TEXT PRIMARY KEY,
            public_key_pem TEXT NOT NULL,
            published_at TEXT NOT NULL)""",
        *(signed_per_size_statement(kind, table) for table in SIGNED_PER_SIZE),
    ]


# Ledger tables added after release 0.1.0, one row per tree size and signer: (signer, text).
SIGNED_PER_SIZE = {
    # The tree heads as C2SP checkpoints (signed notes), since schema version 3.
    CHECKPOINTS_TABLE: ("key_id", "note"),
    # Witnesses' cosignatures of the checkpoints, since schema version 4: the witness's vkey and
    # the signature line it answered.
    COSIGNATURES_TABLE: ("witness", "line"),
}


def signed_per_size_statement(kind: str, table: str) -> str:
    signer, text = SIGNED_PER_SIZE[table]
    integer = "INTEGER" if kind == "sqlite" else "BIGINT"
    return f"""CREATE TABLE IF NOT EXISTS {table} (
        tree_size {integer} NOT NULL,
        {signer} TEXT NOT NULL,
        {text} TEXT NOT NULL,
        PRIMARY KEY (tree_size, {signer}))"""


def observation_statements(kind: str) -> list[str]:
    """The observations table and its indexes. On PostgreSQL (since schema version 9) it is
    partitioned by month of `observed_at` (infrastructure/db/observation_partitions.py): its key
    must hold that column, compared byte by byte ("C") as the months' bounds are."""
    sqlite = kind == "sqlite"
    serial = "INTEGER PRIMARY KEY AUTOINCREMENT" if sqlite else "BIGSERIAL"
    real = "REAL" if sqlite else "DOUBLE PRECISION"
    observed_at = "TEXT" if sqlite else 'TEXT COLLATE "C"'
    by_month = (
        ""
        if sqlite
        else (",\n            PRIMARY KEY (position, observed_at)) PARTITION BY RANGE (observed_at")
    )
    return [
        f"""CREATE TABLE IF NOT EXISTS {OBSERVATIONS_TABLE} (
            position {serial},
            model TEXT NOT NULL,
            version INTEGER NOT NULL,
            environment TEXT NOT NULL,
            metric TEXT NOT NULL,
            grp TEXT,
            value {real} NOT NULL,
            sample_count INTEGER,
            observed_at {observed_at} NOT NULL,
            received_at TEXT NOT NULL{by_month})""",
        f"""CREATE INDEX IF NOT EXISTS {OBSERVATIONS_TABLE}_key
            ON {OBSERVATIONS_TABLE} (model, version, environment, metric, observed_at)""",
        *observation_purge_statements(kind),
    ]


def observation_purge_statements(kind: str) -> list[str]:
    """What `modelgov observations purge` needs (since schema version 7): the record of each
    month dropped (append-only; its rows are what lets the observations' guard delete a month:
    infrastructure/db/append_only.py) and an index by model and time to find a month's rows."""
    integer = "INTEGER" if kind == "sqlite" else "BIGINT"
    return [
        f"""CREATE TABLE IF NOT EXISTS {OBSERVATION_PURGES_TABLE} (
            model TEXT NOT NULL,
            month TEXT NOT NULL,
            purged_at TEXT NOT NULL,
            observations {integer} NOT NULL,
            retention_months INTEGER NOT NULL,
            PRIMARY KEY (model, month, purged_at))""",
        f"""CREATE INDEX IF NOT EXISTS {OBSERVATIONS_TABLE}_model_time
            ON {OBSERVATIONS_TABLE} (model, observed_at)""",
    ]


# Mutable bookkeeping beside the ledger: who may call, where monitoring and
# delivery are, who holds the monitoring lease.
CONSOLE_SESSIONS = "modelgov_console_sessions"
_BOOKKEEPING = {
    "modelgov_tokens": """CREATE TABLE IF NOT EXISTS modelgov_tokens (
        token_id TEXT PRIMARY KEY,
        principal TEXT NOT NULL,
        role TEXT NOT NULL,
        token_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT,
        expires_at TEXT,
        last_used_at TEXT)""",
    PROJECTION_TRACKING: f"""CREATE TABLE IF NOT EXISTS {PROJECTION_TRACKING} (
        projection TEXT PRIMARY KEY,
        position BIGINT NOT NULL)""",
    "modelgov_monitor_tracking": """CREATE TABLE IF NOT EXISTS modelgov_monitor_tracking (
        name TEXT PRIMARY KEY,
        position BIGINT NOT NULL)""",
    "modelgov_monitor_leases": """CREATE TABLE IF NOT EXISTS modelgov_monitor_leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at TEXT NOT NULL)""",
    "modelgov_write_probe": """CREATE TABLE IF NOT EXISTS modelgov_write_probe (
        id INTEGER PRIMARY KEY,
        probed_at TEXT NOT NULL)""",
    # The console's sign-ins (infrastructure/console/sessions.py): the session cookie's hash,
    # the token it was opened with (revoking the token ends the session), its CSRF secret.
    CONSOLE_SESSIONS: f"""CREATE TABLE IF NOT EXISTS {CONSOLE_SESSIONS} (
        session_hash TEXT PRIMARY KEY,
        token_id TEXT NOT NULL,
        principal TEXT NOT NULL,
        role TEXT NOT NULL,
        csrf TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        ended_at TEXT)""",
    "modelgov_webhook_deliveries": """CREATE TABLE IF NOT EXISTS modelgov_webhook_deliveries (
        position BIGINT NOT NULL,
        url TEXT NOT NULL,
        event_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        attempted_at TEXT NOT NULL,
        status_code INTEGER,
        error TEXT,
        duration_ms REAL NOT NULL,
        PRIMARY KEY (position, url, attempt))""",
}


def _receipts(kind: str) -> str:
    # Written with the events by infrastructure/db/recorders.py. Keys are unique per principal;
    # rows without a key (NULLs) never collide.
    blob = "BLOB" if kind == "sqlite" else "BYTEA"
    return (
        f"CREATE TABLE IF NOT EXISTS {RECEIPTS} ("
        "command_id TEXT PRIMARY KEY, principal TEXT, idempotency_key TEXT, request_hash TEXT, "
        f"status INTEGER, body {blob}, etag TEXT, recorded_at TEXT NOT NULL, "
        "UNIQUE (principal, idempotency_key))"
    )


def bookkeeping_statement(table: str) -> str:
    """The statement creating one bookkeeping table (a migration adds a later one with it)."""
    return _BOOKKEEPING[table]


def schema_version_statement() -> str:
    """The table of applied migrations: one row each (infrastructure/db/migrations.py)."""
    return f"""CREATE TABLE IF NOT EXISTS {SCHEMA_VERSION_TABLE} (
        version INTEGER PRIMARY KEY,
        applied_at TEXT NOT NULL,
        description TEXT NOT NULL)"""


# Columns added to a table after the first release: a store made by that release gains them.
ADDED_COLUMNS = {"modelgov_tokens": {"expires_at": "TEXT", "last_used_at": "TEXT"}}


def create_statements(kind: str) -> list[str]:
    """modelgov's tables (not the library's), idempotent: CREATE ... IF NOT EXISTS."""
    statements = _ledger(kind) + observation_statements(kind) + list(_BOOKKEEPING.values())
    statements.append(_receipts(kind))
    statements.append(erasure_keys_statement(kind))
    statements += projection_tables(PROJECTION_TABLES)
    return statements


def privileges(kind: str) -> dict[str, tuple[str, ...]]:
    """Every table, the library's included, and what the application's role may do with it."""
    events, snapshots = event_tables(kind)
    granted: dict[str, tuple[str, ...]] = {events: READ_APPEND_LOCK, snapshots: READ_APPEND}
    granted |= {table: READ_APPEND for table in LEDGER_TABLES}
    # DELETE: of a purged month only, past six months (the triggers refuse any other row).
    granted[OBSERVATIONS_TABLE] = READ_WRITE
    granted[OBSERVATION_PURGES_TABLE] = READ_APPEND
    granted |= {table: READ_WRITE for table in _BOOKKEEPING}
    granted["modelgov_webhook_deliveries"] = READ_APPEND  # a log of attempts
    granted[RECEIPTS] = READ_APPEND  # written with the events, never changed
    granted[ERASURE_KEYS] = ("SELECT", "INSERT", "DELETE")  # a row deleted: a person forgotten
    granted["modelgov_tokens"] = ("SELECT", "INSERT", "UPDATE")  # revoked, never deleted
    granted |= {table: READ_WRITE for table in PROJECTION_TABLES}
    granted[SCHEMA_VERSION_TABLE] = ("SELECT",)  # the owner migrates; the service reads
    return granted


def no_store_message(where: str) -> str:
    return (
        f"no modelgov store in {where}: check MODELGOV_DATABASE_URL (and MODELGOV_PG_SCHEMA); "
        "`modelgov init` creates a store"
    )


def check_usable(layout: Layout, database: Database) -> None:
    """A read-only opening needs the store's events and ledger (what reads use: a store made by
    an earlier release, a backup or a replica lacks the newer bookkeeping tables and is still
    read); a role that cannot create tables needs every table."""
    where = database.describe()
    if database.read_only and not layout.exists:
        raise StoreNotFoundError(no_store_message(where))
    if not database.read_only and layout.owned:
        return
    if database.read_only:  # checkpoints, cosignatures, purges came later: an older store is read
        later = {CHECKPOINTS_TABLE, COSIGNATURES_TABLE, OBSERVATION_PURGES_TABLE}
        missing = sorted(set(guarded_tables(database.kind)) - layout.tables - later)
    else:
        missing = missing_tables(layout, database.kind)
    if missing:
        raise StoreUnavailableError(
            f"{where} lacks the tables {', '.join(missing)}: the tables' owner creates them "
            "(`modelgov init`, or with two roles `modelgov db init --app-role ROLE`)"
        )


def missing_tables(layout: Layout, kind: str) -> list[str]:
    """The tables of this release's schema that `layout` lacks."""
    return sorted(set(privileges(kind)) - layout.tables)


def create_schema(transaction: Transaction, *, database: Database, before: Layout) -> None:
    """Create what is missing, after the library created its tables, with the triggers of the
    append-only tables created now. A table that existed `before` keeps its triggers as they are:
    putting back a missing one is `modelgov db triggers install`, recorded in the ledger."""
    kind, schema = database.kind, database.pg_schema
    created = _guarded_now(transaction, kind=kind, before=before)
    statements = [] if kind == "sqlite" else guard_functions(schema)
    statements += create_statements(kind)
    statements += [guard.create for guard in guards(kind, schema=schema, tables=created)]
    if kind == "postgres":
        statements += notify_trigger_statements(schema=schema) + partition_functions(schema)
    for statement in statements:
        transaction.execute(statement)
    for table, columns in ADDED_COLUMNS.items():
        add_missing_columns(transaction, kind=kind, table=table, columns=columns)


def _guarded_now(transaction: Transaction, *, kind: str, before: Layout) -> tuple[str, ...]:
    """The append-only tables whose triggers are created now: those created now, and the
    library's of a store that never held a row (a first start that stopped after the library
    made its tables, before migration 1 committed: no trigger of it can have been removed)."""
    present = [table for table in guarded_tables(kind) if table in before.tables]
    never_used = before.schema_version == 0 and not any(
        transaction.execute(f"SELECT 1 FROM {table} LIMIT 1") for table in present
    )
    return tuple(t for t in guarded_tables(kind) if t not in before.tables or never_used)


def add_missing_columns(
    transaction: Transaction, *, kind: str, table: str, columns: dict[str, str]
) -> None:
    """Add the `columns` (name: SQL type) that `table` lacks: a table made by an earlier
    release gains what this one needs, and keeps its rows."""
    if kind == "postgres":
        for name, sql_type in columns.items():
            transaction.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {name} {sql_type}")
        return
    have = {row[1] for row in transaction.execute(f"PRAGMA table_info({table})")}
    for name, sql_type in columns.items():
        if name not in have:
            transaction.execute(f"ALTER TABLE {table} ADD COLUMN {name} {sql_type}")


def grant_to_application_role(sql: SqlRunner, role: str) -> None:
    for statement in grant_statements(
        schema=sql.database.pg_schema, role=role, privileges=privileges("postgres")
    ):
        sql.execute(statement)
