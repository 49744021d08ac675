"""Opening the event store: the library's persistence settings, the data key, append-only triggers.

A store opens for writing (tables created where this role may, append-only triggers checked) or,
for the read commands, read-only (nothing created, nothing written: see Database.read_only).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from eventsourcing.cryptography import AESCipher
from eventsourcing.domain import EventSourcingError
from eventsourcing.persistence import PersistenceError

from application.governance import Governance
from infrastructure.db.append_only import check_triggers_in_force
from infrastructure.db.faults import not_writable_reason, one_line, store_fault
from infrastructure.db.layout import inspect_layout
from infrastructure.db.migrations import check_current, check_not_newer, migrate
from infrastructure.db.personal_data import PersonalDataCipher
from infrastructure.db.recorders import adopt_legacy_answers
from infrastructure.db.schema import check_usable, no_store_message
from infrastructure.db.sql import SqlRunner
from infrastructure.errors import (
    SettingsError,
    StoreNotFoundError,
    StoreNotWritableError,
    StoreUnavailableError,
)
from infrastructure.files import create_once
from infrastructure.settings import Settings, check_cipher_key

CIPHER_TOPIC = "eventsourcing.cryptography:AESCipher"
READ_ONLY_POSTGRES = "infrastructure.db.read_only:ReadOnlyPostgresFactory"
# The library's recorders, with commands' receipts saved in the events' transaction.
SQLITE_RECORDER_TOPIC = "infrastructure.db.recorders:SQLiteReceiptRecorder"
POSTGRES_RECORDER_TOPIC = "infrastructure.db.recorders:PostgresReceiptRecorder"
# pg_advisory_lock key for start-up: "modelgov" as a number.
SETUP_LOCK_ID = 0x6D6F64656C676F76


def load_cipher_key(settings: Settings, *, create: bool = False) -> str:
    """The data key: MODELGOV_CIPHER_KEY, else the key file; `create` writes a new file (mode 0600)."""
    if settings.cipher_key:
        return settings.cipher_key
    path = settings.cipher_key_file
    try:
        if path.exists():
            return _read_cipher_key(path)
        if not create:
            raise SettingsError(
                f"no cipher key: set MODELGOV_CIPHER_KEY or MODELGOV_CIPHER_KEY_FILE, or run "
                f"`modelgov init` to create {path} (events are encrypted with it: keep it safe)"
            )
        return write_cipher_key(path)
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"cannot use the cipher key file {path}: {error}") from None


def write_cipher_key(path: Path) -> str:
    """A new data key in a new key file; the file's key when another process, starting at the
    same moment, created it first."""
    key = AESCipher.create_key(32)
    return key if create_once(path, (key + "\n").encode()) else _read_cipher_key(path)


def _read_cipher_key(path: Path) -> str:
    key = path.read_text().strip()
    check_cipher_key(key, source=f"the cipher key file {path}")
    return key


def library_env(
    settings: Settings, *, cipher_key: str, create_tables: bool = True
) -> dict[str, str]:
    """The eventsourcing library's settings, built from ours."""
    env = {"CIPHER_TOPIC": CIPHER_TOPIC, "CIPHER_KEY": cipher_key}
    if not create_tables or settings.database.read_only:
        env["CREATE_TABLE"] = "n"
    if settings.model_cache_size:
        # The library's LRU cache, fast-forwarded from the store on every read, so a model changed
        # by another process is caught up, never served stale; callers get a deep copy.
        env["AGGREGATE_CACHE_MAXSIZE"] = str(settings.model_cache_size)
    db = settings.database
    if db.kind == "sqlite":
        env.update(
            PERSISTENCE_MODULE="eventsourcing.sqlite",
            APPLICATION_RECORDER_TOPIC=SQLITE_RECORDER_TOPIC,
            SQLITE_DBNAME=db.sqlite_target(),
        )
    else:
        env.update(
            PERSISTENCE_MODULE=READ_ONLY_POSTGRES if db.read_only else "eventsourcing.postgres",
            APPLICATION_RECORDER_TOPIC=POSTGRES_RECORDER_TOPIC,
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


def open_governance(
    settings: Settings, *, create_key: bool = False, check_triggers: bool = True
) -> Governance:
    """The governance application over the configured store.

    For writing, the schema is migrated to this release's where this role may (it owns the store,
    or there is none yet): missing tables are created, each append-only one with its triggers; a
    role that may not refuses a store at another version (SchemaVersionError, as does anyone for
    a store written by a newer release); a trigger missing or disabled
    on an existing table stops the opening (AppendOnlyTriggersMissingError) unless
    `check_triggers` is off. Read-only (`settings.for_reading()`), nothing is created or written,
    and StoreNotFoundError says when there is no store. Raises SettingsError when the data key
    does not decrypt the store, StoreUnavailableError when the database cannot be opened or reached.
    """
    key = load_cipher_key(settings, create=create_key)
    app = _opened(settings, cipher_key=key, check_triggers=check_triggers)
    check_key_decrypts(app, where=settings.database.describe())
    if not settings.database.read_only:
        # Only with the right key, which seals them; under the lock, so that one process does it.
        with setup_lock(settings):
            adopt_legacy_answers(
                app.recorder, app.mapper.cipher, PersonalDataCipher.of_store(app).seal
            )
    return app


def create_store_schema(settings: Settings) -> None:
    """Create the store's tables and triggers (`modelgov db init`): no data key is needed for that."""
    throwaway = AESCipher.create_key(32)
    _opened(settings, cipher_key=throwaway, check_triggers=False).close()


def _opened(settings: Settings, *, cipher_key: str, check_triggers: bool) -> Governance:
    database, where = settings.database, settings.database.describe()
    if database.read_only and database.kind == "sqlite" and not Path(database.path).is_file():
        raise StoreNotFoundError(no_store_message(where))
    sql = SqlRunner(database)
    try:
        with setup_lock(settings):
            layout = inspect_layout(sql)
            if not database.read_only:  # reads of an older store go on as they are
                (check_not_newer if layout.owned else check_current)(layout, database)
            check_usable(layout, database)
            app = Governance(
                library_env(settings, cipher_key=cipher_key, create_tables=layout.owned),
                snapshot_interval=settings.snapshot_interval,
            )
            try:
                if not database.read_only and layout.owned:
                    migrate(sql, before=layout)
                if not database.read_only and check_triggers:
                    check_triggers_in_force(sql)
            except BaseException:
                app.close()
                raise
    except OSError as error:  # the SQLite file's directory cannot be made
        raise StoreNotWritableError(
            f"cannot create {where}: {not_writable_reason(error)}; point MODELGOV_DATABASE_URL "
            "at a writable path"
        ) from None
    except (PersistenceError, psycopg.Error, sqlite3.Error) as error:
        raise store_fault(error, where=where) or StoreUnavailableError(
            f"cannot open {where}: {one_line(error)}"
        ) from None
    finally:
        sql.close()
    return app


@contextmanager
def setup_lock(settings: Settings) -> Iterator[None]:
    """Serialise table and trigger creation between processes starting at once: an advisory
    lock on PostgreSQL; on SQLite a lock on the file's folder (flock, not the file's own: SQLite's
    locks on it would go when any descriptor of it closed), without which two processes creating
    one new store at once could wait longer than the library's 5 s lock timeout for each other."""
    db = settings.database
    if db.read_only and db.kind == "postgres":
        # Nothing to serialise; but one plain connection first, so that an unreachable server is
        # told by its own error at once, not by the pool's timeout after 10 s.
        psycopg.connect(**db.connect_kwargs()).close()
    if db.read_only:  # creates nothing, not even the file's folder
        yield
        return
    if db.kind == "sqlite":
        folder = Path(db.path).resolve().parent
        folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # and with it the lock
        return
    with psycopg.connect(**db.connect_kwargs(autocommit=True)) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK_ID,))
        try:
            yield
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK_ID,))


def check_key_decrypts(app: Governance, *, where: str) -> None:
    """Read the first stored event: a store written with another key fails here, not mid-command."""
    first = app.recorder.select_notifications(start=1, limit=1)
    if not first:
        return
    try:
        app.mapper.to_domain_event(first[0])
    except (ValueError, EventSourcingError):
        app.close()
        raise SettingsError(
            f"the data key does not decrypt the events in {where}: this store was written with "
            "another key (check MODELGOV_CIPHER_KEY / MODELGOV_CIPHER_KEY_FILE)"
        ) from None
