"""A consistent copy of the store while it serves, and putting one back.

SQLite: the online backup API copies the file in one step, as of the moment the step begins (a
read transaction: writers go on meanwhile, in the WAL), so the copy holds every event committed
before the backup began; copying the file itself while serving loses what the WAL holds. The
copy is written beside the target and renamed into place, then checked (`PRAGMA
integrity_check`, its events counted). PostgreSQL: `pg_dump --format=custom` of the store's
schema (pg_dump reads one snapshot), checked with `pg_restore --list`; `pg_restore` puts it back.

What a backup does not hold: the keys. The data key (MODELGOV_CIPHER_KEY or its file), the
signing key with its public key and head file, and the webhook secret live outside the database
and are backed up apart (README "Backups"): without the data key a backup cannot be read.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg

from infrastructure.db.append_only import event_tables
from infrastructure.errors import CommandFailedError
from infrastructure.setting_values import Database

SQLITE_MAGIC = b"SQLite format 3\x00"
DUMP_MAGIC = b"PGDMP"
EVENTS_TABLE = {kind: event_tables(kind)[0] for kind in ("sqlite", "postgres")}


def _read_only_uri(path: Path) -> str:
    """What sqlite3.connect(..., uri=True) opens read-only: any SQLite file, the store's or not."""
    return Database(kind="sqlite", path=str(path), read_only=True).sqlite_target()


@dataclass(frozen=True)
class Copied:
    """What a backup or a restore holds: its events and the last position among them."""

    where: str  # the backup file, or the store restored
    events: int
    last_position: int


def backup(database: Database, out: Path) -> Copied:
    """A consistent copy of the store in `out` (replaced if it exists); nothing half-written is
    ever left at `out`: the copy is made beside it and renamed when checked."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if database.kind == "sqlite":
            _sqlite_backup(Path(database.path), partial)
            copied = _sqlite_contents(partial)
        else:
            copied = _pg_dump(database, partial)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return Copied(str(out), copied.events, copied.last_position)


def restore(database: Database, backup_file: Path, *, replace: bool) -> Copied:
    """Put a backup back where the settings point. A store already there is refused unless
    `replace`; the server must be stopped first (a SQLite file is swapped whole)."""
    if not backup_file.is_file():
        raise CommandFailedError(f"no backup file {backup_file}")
    head = backup_file.open("rb").read(len(SQLITE_MAGIC))
    if database.kind == "sqlite":
        if not head.startswith(SQLITE_MAGIC):
            raise CommandFailedError(
                f"{backup_file} is not a SQLite backup (the store is SQLite); a PostgreSQL store's "
                "backup (pg_dump) is restored into PostgreSQL"
            )
        return _sqlite_restore(backup_file, Path(database.path), replace=replace)
    if not head.startswith(DUMP_MAGIC):
        raise CommandFailedError(
            f"{backup_file} is not a pg_dump archive (the store is PostgreSQL); a SQLite backup "
            "is restored by pointing MODELGOV_DATABASE_URL at a SQLite file"
        )
    return _pg_restore(database, backup_file, replace=replace)


# ----------------------------------------------------------------------------------- SQLite


def _sqlite_backup(source_path: Path, target: Path) -> None:
    if not source_path.is_file():
        raise CommandFailedError(f"no store to back up: {source_path} does not exist")
    source = sqlite3.connect(_read_only_uri(source_path), uri=True, timeout=30)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy, pages=-1)  # one step: one snapshot, as of its beginning
            # A file of its own: the store's WAL mode came with the pages; no -wal beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    finally:
        source.close()


def _sqlite_contents(path: Path) -> Copied:
    """The copy checked: intact, and a modelgov store; its events counted."""
    connection = sqlite3.connect(_read_only_uri(path), uri=True)
    # Each failure is read inside, told outside: a fault told inside an `except` would carry
    # the driver's error along (the CLI names a missing table as a store to migrate).
    check, row = "", None
    try:
        (check,) = connection.execute("PRAGMA integrity_check").fetchone()
        row = connection.execute(
            f"SELECT COUNT(*), COALESCE(MAX(rowid), 0) FROM {EVENTS_TABLE['sqlite']}"
        ).fetchone()
    except sqlite3.DatabaseError as error:
        check = check or str(error)
    finally:
        connection.close()
    if check != "ok":
        raise CommandFailedError(f"{path} is damaged or not a SQLite file: {check}")
    if row is None:
        raise CommandFailedError(f"{path} is a SQLite file but not a modelgov store")
    count, last = row
    return Copied(str(path), int(count), int(last))


def _sqlite_restore(backup_file: Path, target: Path, *, replace: bool) -> Copied:
    contents = _sqlite_contents(backup_file)
    if target.exists() and not replace:
        raise CommandFailedError(
            f"a store is already at {target}; stop the server and pass --replace to put the "
            "backup in its place (what the store holds now and the backup does not is lost)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".restoring")
    partial.unlink(missing_ok=True)
    try:
        _sqlite_backup(backup_file, partial)
        for stale in ("-wal", "-shm"):  # the old file's log must not be replayed into the new
            target.with_name(target.name + stale).unlink(missing_ok=True)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return Copied(str(target), contents.events, contents.last_position)


# ------------------------------------------------------------------------------- PostgreSQL


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise CommandFailedError(
            f"{name} is not installed: a PostgreSQL store is backed up with PostgreSQL's own "
            f"{name} (Debian: apt-get install postgresql-client), of the server's major version"
        )
    return found


def _check_versions(database: Database, tool: str) -> None:
    """pg_dump refuses a newer server; say so before it starts, with both versions."""
    done = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False)
    found = re.search(r"(\d+)\.\d+", done.stdout)
    with psycopg.connect(**database.connect_kwargs()) as connection:
        server = connection.info.server_version // 10000
    if found is None or int(found.group(1)) < server:
        raise CommandFailedError(
            f"{tool} is {done.stdout.strip() or 'of an unknown version'}; the server is "
            f"PostgreSQL {server}: install the client tools of version {server} or newer"
        )


def _libpq_env(database: Database) -> dict[str, str]:
    return {
        **os.environ, "PGHOST": database.host, "PGPORT": str(database.port),
        "PGUSER": database.user, "PGDATABASE": database.dbname,
        **({"PGPASSWORD": database.password} if database.password else {}),
    }  # fmt: skip


def _run(command: list[str], database: Database, what: str) -> str:
    done = subprocess.run(
        command, capture_output=True, text=True, env=_libpq_env(database), check=False
    )
    if done.returncode != 0:
        raise CommandFailedError(f"{what} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def _pg_counts(database: Database) -> tuple[int, int]:
    table = f'"{database.pg_schema}".{EVENTS_TABLE["postgres"]}'
    with psycopg.connect(**database.connect_kwargs()) as connection:
        row = connection.execute(
            f"SELECT COUNT(*), COALESCE(MAX(notification_id), 0) FROM {table}"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def _pg_dump(database: Database, target: Path) -> Copied:
    tool = _tool("pg_dump")
    _check_versions(database, tool)
    _run(
        [tool, "--format=custom", f"--schema={database.pg_schema}", f"--file={target}"],
        database, "pg_dump",
    )  # fmt: skip
    listing = _run([_tool("pg_restore"), "--list", str(target)], database, "pg_restore --list")
    if f"TABLE {database.pg_schema} {EVENTS_TABLE['postgres']} " not in listing:
        raise CommandFailedError(
            f"the dump of schema {database.pg_schema} holds no {EVENTS_TABLE['postgres']} table: "
            "is MODELGOV_DATABASE_URL (and MODELGOV_PG_SCHEMA) the store's?"
        )
    # pg_dump's snapshot is not ours to count in; the store's events now are at least as many.
    count, last = _pg_counts(database)
    return Copied(str(target), count, last)


def _pg_restore(database: Database, backup_file: Path, *, replace: bool) -> Copied:
    tool = _tool("pg_restore")
    listing = _run([tool, "--list", str(backup_file)], database, "pg_restore --list")
    if f"TABLE {database.pg_schema} {EVENTS_TABLE['postgres']} " not in listing:
        schemas = sorted(set(re.findall(rf"TABLE (\S+) {EVENTS_TABLE['postgres']} ", listing)))
        raise CommandFailedError(
            f"{backup_file} holds no store in schema {database.pg_schema} (it holds "
            f"{', '.join(schemas) or 'none'}): set MODELGOV_PG_SCHEMA to the backup's schema"
        )
    with psycopg.connect(**database.connect_kwargs()) as connection:
        present = connection.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = %s",
            (database.pg_schema, EVENTS_TABLE["postgres"]),
        ).fetchone()
    if present and not replace:
        raise CommandFailedError(
            f"a store is already in schema {database.pg_schema}; stop the servers and pass "
            "--replace to put the backup in its place (what it holds now and the backup does not "
            "is lost)"
        )
    command = [tool, "--single-transaction", "--no-owner", f"--dbname={database.dbname}"]
    if present:
        command += ["--clean", "--if-exists"]
    _run([*command, str(backup_file)], database, "pg_restore")
    count, last = _pg_counts(database)
    return Copied(database.describe(), count, last)
