"""Opening the event store: the library's persistence settings, the data key, append-only triggers."""

from __future__ import annotations

import os
from pathlib import Path

from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import PersistenceError

from application.governance import Governance
from infrastructure.errors import SettingsError, StoreUnavailableError
from infrastructure.settings import Settings, check_cipher_key

CIPHER_TOPIC = "eventsourcing.cryptography:AESCipher"
_MESSAGE = "modelgov: the event store is append-only"

# SQLite: the library names its tables stored_events and stored_snapshots.
_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS modelgov_append_only_{table}_{action.lower()}
        BEFORE {action} ON {table}
        BEGIN SELECT RAISE(ABORT, '{_MESSAGE}: {action} on {table} refused'); END"""
    for table in ("stored_events", "stored_snapshots")
    for action in ("UPDATE", "DELETE")
]

# PostgreSQL: the library names its tables after the application (modelgov_events, modelgov_snapshots).
# Triggers, not REVOKE: the library's LOCK TABLE ... IN EXCLUSIVE MODE needs the UPDATE privilege.
_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {{schema}}.modelgov_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '{_MESSAGE}: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$"""
_PG_TRIGGERS = [
    f"""DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'modelgov_append_only_{kind}'
                     AND tgrelid = '{{schema}}.{table}'::regclass) THEN
        CREATE TRIGGER modelgov_append_only_{kind} BEFORE {ops} ON {{schema}}.{table}
          FOR EACH {level} EXECUTE FUNCTION {{schema}}.modelgov_refuse_change();
      END IF;
    END $$"""
    for table in ("modelgov_events", "modelgov_snapshots")
    for kind, ops, level in (
        (f"{table}_rows", "UPDATE OR DELETE", "ROW"),
        (f"{table}_truncate", "TRUNCATE", "STATEMENT"),
    )
]


def load_cipher_key(settings: Settings, *, create: bool = False) -> str:
    """The data key: MODELGOV_CIPHER_KEY, else the key file; `create` writes a new file (mode 0600)."""
    if settings.cipher_key:
        return settings.cipher_key
    path = settings.cipher_key_file
    if path.exists():
        key = path.read_text().strip()
        check_cipher_key(key, source=f"the cipher key file {path}")
        return key
    if not create:
        raise SettingsError(
            f"no cipher key: set MODELGOV_CIPHER_KEY or MODELGOV_CIPHER_KEY_FILE, or run "
            f"`modelgov init` to create {path} (events are encrypted with it: keep it safe)"
        )
    return write_cipher_key(path)


def write_cipher_key(path: Path) -> str:
    key = AESCipher.create_key(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(key + "\n")
    return key


def library_env(settings: Settings, *, cipher_key: str) -> dict[str, str]:
    """The eventsourcing library's settings, built from ours."""
    env = {"CIPHER_TOPIC": CIPHER_TOPIC, "CIPHER_KEY": cipher_key}
    db = settings.database
    if db.kind == "sqlite":
        env.update(PERSISTENCE_MODULE="eventsourcing.sqlite", SQLITE_DBNAME=db.path)
    else:
        env.update(
            PERSISTENCE_MODULE="eventsourcing.postgres",
            POSTGRES_DBNAME=db.dbname,
            POSTGRES_HOST=db.host,
            POSTGRES_PORT=str(db.port),
            POSTGRES_USER=db.user,
            POSTGRES_PASSWORD=db.password,
            POSTGRES_POOL_SIZE=str(settings.pg_pool_size),
            POSTGRES_CONNECT_TIMEOUT="5",
            # Off: with database functions a tailing reader can skip events (see DESIGN.md).
            POSTGRES_ENABLE_DB_FUNCTIONS="n",
        )
        if db.schema:
            env["POSTGRES_SCHEMA"] = db.schema
    return env


def open_governance(settings: Settings, *, create_key: bool = False) -> Governance:
    """The governance application over the configured store, tables created and made append-only."""
    key = load_cipher_key(settings, create=create_key)
    if settings.database.kind == "sqlite":
        Path(settings.database.path).resolve().parent.mkdir(parents=True, exist_ok=True)
    try:
        app = Governance(
            library_env(settings, cipher_key=key), snapshot_interval=settings.snapshot_interval
        )
    except (PersistenceError, OSError) as error:
        raise StoreUnavailableError(
            f"cannot open {settings.database.describe()}: {error}"
        ) from None
    install_append_only_triggers(app, schema=settings.database.schema or "public")
    return app


def install_append_only_triggers(app: Governance, *, schema: str = "public") -> None:
    datastore = app.recorder.datastore  # type: ignore[attr-defined]
    statements = (
        _SQLITE_TRIGGERS
        if app.env.get("PERSISTENCE_MODULE") == "eventsourcing.sqlite"
        else [_PG_FUNCTION.format(schema=schema)] + [t.format(schema=schema) for t in _PG_TRIGGERS]
    )
    with datastore.transaction(commit=True) as cursor:
        for statement in statements:
            cursor.execute(statement)
