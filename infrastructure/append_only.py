"""Append-only enforced by the database: triggers refuse to change or remove stored events and snapshots."""

from __future__ import annotations

from application.governance import Governance

_MESSAGE = "modelgov: the event store is append-only"

# The event store's tables, as the library names them.
SQLITE_EVENT_TABLES = ("stored_events", "stored_snapshots")
PG_EVENT_TABLES = ("modelgov_events", "modelgov_snapshots")


def sqlite_triggers(tables: tuple[str, ...], *, keyed: bool = True) -> list[str]:
    """UPDATE and DELETE refused; with `keyed`, also INSERT OR REPLACE over an existing event.

    INSERT OR REPLACE deletes the old row without firing DELETE triggers; the library's own
    inserts of an existing (id, version) still fail as a conflict, as on the unique key.
    """
    statements = [
        f"""CREATE TRIGGER IF NOT EXISTS modelgov_append_only_{table}_{action.lower()}
            BEFORE {action} ON {table}
            BEGIN SELECT RAISE(ABORT, '{_MESSAGE}: {action} on {table} refused'); END"""
        for table in tables
        for action in ("UPDATE", "DELETE")
    ]
    if keyed:
        statements += [
            f"""CREATE TRIGGER IF NOT EXISTS modelgov_append_only_{table}_replace
                BEFORE INSERT ON {table}
                WHEN EXISTS (SELECT 1 FROM {table} WHERE originator_id = NEW.originator_id
                             AND originator_version = NEW.originator_version)
                BEGIN SELECT RAISE(ABORT,
                    '{_MESSAGE}: UNIQUE constraint failed, {table} row exists'); END"""
            for table in tables
        ]
    return statements


def pg_triggers(tables: tuple[str, ...], *, schema: str) -> list[str]:
    """UPDATE, DELETE (row triggers, which also cover INSERT ... ON CONFLICT DO UPDATE) and TRUNCATE.

    Triggers, not REVOKE: the library's LOCK TABLE ... IN EXCLUSIVE MODE needs the UPDATE privilege.
    """
    function = f"""
CREATE OR REPLACE FUNCTION {schema}.modelgov_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '{_MESSAGE}: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$"""
    triggers = [
        f"""DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'modelgov_append_only_{kind}'
                         AND tgrelid = '{schema}.{table}'::regclass) THEN
            CREATE TRIGGER modelgov_append_only_{kind} BEFORE {ops} ON {schema}.{table}
              FOR EACH {level} EXECUTE FUNCTION {schema}.modelgov_refuse_change();
          END IF;
        END $$"""
        for table in tables
        for kind, ops, level in (
            (f"{table}_rows", "UPDATE OR DELETE", "ROW"),
            (f"{table}_truncate", "TRUNCATE", "STATEMENT"),
        )
    ]
    return [function, *triggers]


def install_append_only_triggers(app: Governance, *, schema: str = "public") -> None:
    """Create the event store's triggers if they are missing; safe to run at every start."""
    datastore = app.recorder.datastore  # type: ignore[attr-defined]
    if app.env.get("PERSISTENCE_MODULE") == "eventsourcing.sqlite":
        statements = sqlite_triggers(SQLITE_EVENT_TABLES)
    else:
        statements = pg_triggers(PG_EVENT_TABLES, schema=schema)
    with datastore.transaction(commit=True) as cursor:
        for statement in statements:
            cursor.execute(statement)
