"""Opening the event store: the library's persistence settings, the data key, append-only triggers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from eventsourcing.cryptography import AESCipher
from eventsourcing.domain import EventSourcingError
from eventsourcing.persistence import PersistenceError

from application.governance import Governance
from infrastructure.append_only import install_append_only_triggers
from infrastructure.errors import SettingsError, StoreUnavailableError
from infrastructure.event_signal import install_event_notification
from infrastructure.receipts import adopt_legacy_answers
from infrastructure.settings import Settings, check_cipher_key

CIPHER_TOPIC = "eventsourcing.cryptography:AESCipher"
# The library's recorders, with commands' receipts saved in the events' transaction.
SQLITE_RECORDER_TOPIC = "infrastructure.receipts:SQLiteReceiptRecorder"
POSTGRES_RECORDER_TOPIC = "infrastructure.receipts:PostgresReceiptRecorder"
# pg_advisory_lock key for start-up: "modelgov" as a number.
SETUP_LOCK_ID = 0x6D6F64656C676F76


def load_cipher_key(settings: Settings, *, create: bool = False) -> str:
    """The data key: MODELGOV_CIPHER_KEY, else the key file; `create` writes a new file (mode 0600)."""
    if settings.cipher_key:
        return settings.cipher_key
    path = settings.cipher_key_file
    try:
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
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"cannot use the cipher key file {path}: {error}") from None


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
    if settings.model_cache_size:
        # The library's LRU cache, fast-forwarded from the store on every read, so a model changed
        # by another process is caught up, never served stale; callers get a deep copy.
        env["AGGREGATE_CACHE_MAXSIZE"] = str(settings.model_cache_size)
    db = settings.database
    if db.kind == "sqlite":
        env.update(
            PERSISTENCE_MODULE="eventsourcing.sqlite",
            APPLICATION_RECORDER_TOPIC=SQLITE_RECORDER_TOPIC,
            SQLITE_DBNAME=db.path,
        )
    else:
        env.update(
            PERSISTENCE_MODULE="eventsourcing.postgres",
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


def open_governance(settings: Settings, *, create_key: bool = False) -> Governance:
    """The governance application over the configured store, tables created and made append-only.

    Raises SettingsError when the data key does not decrypt the store, StoreUnavailableError when
    the database cannot be opened or reached.
    """
    key = load_cipher_key(settings, create=create_key)
    where = settings.database.describe()
    try:
        with setup_lock(settings):
            app = Governance(
                library_env(settings, cipher_key=key), snapshot_interval=settings.snapshot_interval
            )
            install_append_only_triggers(app, schema=settings.database.schema or "public")
            install_event_notification(app, schema=settings.database.schema or "public")
            check_key_decrypts(app, where=where)
            # Only with the right key, which seals them; under the lock, so that one process does it.
            adopt_legacy_answers(app.recorder, app.mapper.cipher)
    except (PersistenceError, OSError, psycopg.Error) as error:
        raise StoreUnavailableError(f"cannot open {where}: {error}") from None
    return app


@contextmanager
def setup_lock(settings: Settings) -> Iterator[None]:
    """Serialise table and trigger creation between processes starting at once (PostgreSQL)."""
    db = settings.database
    if db.kind == "sqlite":
        Path(db.path).resolve().parent.mkdir(parents=True, exist_ok=True)
        yield
        return
    with psycopg.connect(
        host=db.host, port=db.port, user=db.user, password=db.password, dbname=db.dbname,
        connect_timeout=5, autocommit=True,
    ) as connection:  # fmt: skip
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
