"""A sealed ledger over real stores, and damage done to it as a database administrator would
(SQL with the append-only triggers disabled): shared by the ledger's own tests and by the
tests of outside verifiers (tests/interop)."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import psycopg

from application.governance import Governance
from domain.commands import Activate, ReportCost
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.db.append_only import LEDGER_TABLES
from infrastructure.ledger.keys import write_key_pair
from infrastructure.ledger.online import Ledger, open_ledger
from infrastructure.settings import Settings
from tests.conftest import PG_URL
from tests.factories import by, seed_app_model

KINDS = ["modified", "deleted", "inserted", "reordered", "truncated"]


def sealed_ledger(app: Governance, backend: Settings, tmp_path: Path) -> Ledger:
    """Three models' events (15), sealed with heads every 5 events."""
    settings = backend.model_copy(
        update={"signing_key_file": tmp_path / "signing.key", "seal_every_events": 5}
    )
    write_key_pair(settings.signing_key_file, passphrase=None)
    for name in ("alpha", "beta", "gamma"):
        seed_app_model(app, name=name)
        app.handle(
            ReportCost(name=name, period="2026-10", amount="1", currency="EUR", business_unit="R"),
            by=by("bo"),
        )
        app.handle(Activate(name=name, version=1, environment="staging"), by=by("ops"))
    opened = open_ledger(settings, app)
    seal_until_caught_up(opened)
    return opened


def as_dba(settings: Settings, *statements: str) -> None:
    """Run SQL the way a database administrator would: triggers disabled first."""
    if settings.database.kind == "sqlite":
        with sqlite3.connect(settings.database.path) as connection:
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            ):
                connection.execute(f"DROP TRIGGER {name}")
            for statement in statements:
                connection.execute(statement)
        return
    with psycopg.connect(PG_URL, autocommit=True) as connection:
        connection.execute(f"SET search_path TO {settings.database.schema}")
        for table in ("modelgov_events", *LEDGER_TABLES):
            connection.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for statement in statements:
            connection.execute(statement)


def events_table(settings: Settings) -> tuple[str, str]:
    """The events table and its commit-order column."""
    return (
        ("stored_events", "rowid")
        if settings.database.kind == "sqlite"
        else ("modelgov_events", "notification_id")
    )


def nid_at(ledger: Ledger, position: int) -> int:
    """The notification id of the event sealed at `position`."""
    leaf = ledger.tables.leaf_at(position)
    assert leaf is not None
    return leaf.notification_id


def tamper(kind: str, ledger: Ledger) -> tuple[list[str], int]:
    """SQL for one kind of damage, and the position at which it must be reported."""
    table, nid = events_table(ledger.settings)
    if kind == "modified":
        change = (
            "randomblob(length(state))" if table == "stored_events" else "state || '\\x00'::bytea"
        )
        return [f"UPDATE {table} SET state = {change} WHERE {nid} = {nid_at(ledger, 7)}"], 7
    if kind == "deleted":
        return [f"DELETE FROM {table} WHERE {nid} = {nid_at(ledger, 4)}"], 4
    if kind == "truncated":
        return [f"DELETE FROM {table} WHERE {nid} >= {nid_at(ledger, 12)}"], 12
    if kind == "reordered":
        a, b = nid_at(ledger, 2), nid_at(ledger, 9)
        return [
            f"UPDATE {table} SET {nid} = -1 WHERE {nid} = {a}",
            f"UPDATE {table} SET {nid} = {a} WHERE {nid} = {b}",
            f"UPDATE {table} SET {nid} = {b} WHERE {nid} = -1",
        ], 2
    assert kind == "inserted"
    columns = "originator_id, originator_version, topic, state"
    forged_id = f"'{uuid.uuid4()}'" if table == "modelgov_events" else f"'{uuid.uuid4().hex}'"
    return [
        f"INSERT INTO {table} ({nid}, {columns}) SELECT {nid_at(ledger, 0) - 1}, {forged_id}, 1, topic, state "
        f"FROM {table} WHERE {nid} = {nid_at(ledger, 3)}"
    ], 0
