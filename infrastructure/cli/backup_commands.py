"""`modelgov backup` and `modelgov restore`: a consistent copy of the store while it serves, and
putting one back (infrastructure/db/backup.py says how, on SQLite and on PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from application.ledger.records import SignedHead
from infrastructure.cli.progress import progress
from infrastructure.db import backup as copies
from infrastructure.db.backup import Copied
from infrastructure.db.store import open_governance
from infrastructure.errors import CommandFailedError, LedgerLookupError
from infrastructure.ledger.keys import head_file_for
from infrastructure.ledger.online import open_ledger
from infrastructure.settings import Settings, get_settings

KEYS_REMINDER = (
    "the backup holds no keys: keep the data key (MODELGOV_CIPHER_KEY or its file), the signing "
    'key with its .pub and .head files, and the webhook secret apart (README "Backups")'
)
JsonOption = Annotated[bool, typer.Option("--json", help="Print the outcome as one JSON object.")]


def _say(copied: Copied, *, done: str, as_json: bool, extra: dict[str, object]) -> None:
    if as_json:
        typer.echo(json.dumps({"where": copied.where, "events": copied.events,
                               "last_position": copied.last_position, **extra}))  # fmt: skip
        return
    typer.echo(f"{done} {copied.where}: {copied.events:,} events, the last at position "
               f"{copied.last_position:,}")  # fmt: skip
    for value in extra.values():
        if isinstance(value, str) and value:
            typer.echo(value)


def backup(
    out: Annotated[Path, typer.Option("--out", help="The backup file to write (replaced).")],
    as_json: JsonOption = False,
) -> None:
    """Copy the store, consistently, while it serves: every event committed before the backup
    began is in the copy (SQLite's online backup API; pg_dump on PostgreSQL)."""
    settings = get_settings()
    with progress(f"backing up {settings.database.describe()}", quiet=as_json) as shown:
        if shown is not None:
            shown(0)  # one step, however large the store: a spinner and the time it takes
        copied = copies.backup(settings.database, out)
    _say(copied, done="backed up to", as_json=as_json, extra={"keys": KEYS_REMINDER})


def restore(
    backup_file: Annotated[Path, typer.Argument(help="A file `modelgov backup` wrote.")],
    replace: Annotated[
        bool,
        typer.Option(
            help="Put the backup in place of the store there now (stop the server first)."
        ),
    ] = False,
    accept_rollback: Annotated[
        bool,
        typer.Option(
            help="The signing key's head file names a longer log than the backup holds (events "
            "sealed after the backup, now lost): keep that file aside, dated, and start again "
            "from the backup's latest signed head, so that `modelgov verify` passes."
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Put a backup back where MODELGOV_DATABASE_URL points, then compare it with the signing
    key's head file: a backup older than the last head signed is a rollback, said in numbers."""
    settings = get_settings()
    copied = copies.restore(settings.database, backup_file, replace=replace)
    rollback = _rollback_note(settings, accept=accept_rollback)
    _say(copied, done="restored", as_json=as_json, extra={"rollback": rollback})


def _rollback_note(settings: Settings, *, accept: bool) -> str:
    """'' when the restored log reaches the head file's head; else what is lost and what to do."""
    head_file = head_file_for(settings.signing_key_file)
    last_signed = head_file.load()
    if last_signed is None:
        return ""
    governance = open_governance(settings)
    try:
        latest: SignedHead | None = open_ledger(settings, governance).latest_head()
    except LedgerLookupError:  # nothing was sealed when the backup was taken
        latest = None
    finally:
        governance.close()
    restored_size = latest.head.tree_size if latest else 0
    missing = last_signed.head.tree_size - restored_size
    if missing <= 0:
        return ""
    lost = (
        f"the signing key's head file ({head_file.path}) names a log of {last_signed.head.tree_size:,} "
        f"events; the backup's latest signed head, {restored_size:,}: the {missing:,} events sealed "
        "after the backup are not in the restored store"
    )
    if not accept:
        raise CommandFailedError(
            f"restored, but {lost}. `modelgov verify` reports this rollback until you run "
            f"`modelgov restore {{FILE}} --replace --accept-rollback`, which keeps the head file "
            "aside, dated, and starts again from the backup's latest signed head"
        )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = head_file.path.with_name(f"{head_file.path.name}.before-restore-{stamp}")
    head_file.path.replace(kept)
    if latest is not None:
        head_file.save(latest)
    return f"{lost}; the head file is kept as {kept} and now names the backup's latest head"
