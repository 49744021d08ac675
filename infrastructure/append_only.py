"""Append-only enforced by the database: triggers refuse to change or remove stored events and snapshots."""

from __future__ import annotations

from application.governance import Governance

_MESSAGE = "modelgov: the event store is append-only"

# SQLite: the library names its tables stored_events and stored_snapshots. The INSERT trigger stops
# INSERT OR REPLACE, which deletes the old row without firing DELETE triggers; the library's own
# inserts of an existing (id, version) still fail as a conflict, as they would on the unique key.
_SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS modelgov_append_only_{table}_{action.lower()}
        BEFORE {action} ON {table}
        BEGIN SELECT RAISE(ABORT, '{_MESSAGE}: {action} on {table} refused'); END"""
    for table in ("stored_events", "stored_snapshots")
    for action in ("UPDATE", "DELETE")
] + [
    f"""CREATE TRIGGER IF NOT EXISTS modelgov_append_only_{table}_replace
        BEFORE INSERT ON {table}
        WHEN EXISTS (SELECT 1 FROM {table} WHERE originator_id = NEW.originator_id
                     AND originator_version = NEW.originator_version)
        BEGIN SELECT RAISE(ABORT, '{_MESSAGE}: UNIQUE constraint failed, {table} row exists'); END"""
    for table in ("stored_events", "stored_snapshots")
]

# PostgreSQL: the library names its tables after the application (modelgov_events, ...).
# Triggers, not REVOKE: the library's LOCK TABLE ... IN EXCLUSIVE MODE needs the UPDATE privilege.
# A row trigger on UPDATE also covers INSERT ... ON CONFLICT DO UPDATE.
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


def install_append_only_triggers(app: Governance, *, schema: str = "public") -> None:
    """Create the triggers if they are missing; safe to run at every start."""
    datastore = app.recorder.datastore  # type: ignore[attr-defined]
    if app.env.get("PERSISTENCE_MODULE") == "eventsourcing.sqlite":
        statements = _SQLITE
    else:
        statements = [_PG_FUNCTION.format(schema=schema)]
        statements += [trigger.format(schema=schema) for trigger in _PG_TRIGGERS]
    with datastore.transaction(commit=True) as cursor:
        for statement in statements:
            cursor.execute(statement)
