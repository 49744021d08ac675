"""Append-only enforced by the database: triggers refuse to change or remove stored rows.

One door is left, on the observations only: a row may be deleted once its model's month is
recorded in the (append-only) purges table and the row is more than six months old by the
database's clock (EU AI Act Art. 19's floor): `modelgov observations purge` records the month
and deletes its rows in one transaction (infrastructure/monitoring/observation_purge.py).

Each trigger is a `Guard`. They are created with their table; a guard found missing (or, on
PostgreSQL, disabled) later is a finding of `verify`, stops every command that writes, and comes
back only through `modelgov db triggers install`, which records who reinstalled it and why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from infrastructure.db.sql import SqlRunner
from infrastructure.errors import AppendOnlyTriggersMissingError

REFUSAL = "modelgov: the event store is append-only"
_UNPURGED = "DELETE but of a purged month over six months old"
INSTALL_COMMAND = 'modelgov db triggers install --reason "..."'

# The event store's tables, as the library names them.
SQLITE_EVENT_TABLES = ("stored_events", "stored_snapshots")
PG_EVENT_TABLES = ("modelgov_events", "modelgov_snapshots")
# modelgov's own append-only tables (created in infrastructure/db/schema.py).
CHECKPOINTS_TABLE = "modelgov_ledger_checkpoints"  # since schema version 3
COSIGNATURES_TABLE = "modelgov_ledger_cosignatures"  # since schema version 4
LEDGER_TABLES = (
    "modelgov_ledger_leaves",
    "modelgov_ledger_heads",
    "modelgov_ledger_keys",
    CHECKPOINTS_TABLE,
    COSIGNATURES_TABLE,
)
OBSERVATIONS_TABLE = "modelgov_observations"
# What `modelgov observations purge` dropped: a row per model, month and purge (schema version 7).
OBSERVATION_PURGES_TABLE = "modelgov_observation_purges"
_PURGE_DOOR = (
    f"EXISTS (SELECT 1 FROM {{schema}}{OBSERVATION_PURGES_TABLE} p WHERE p.model = OLD.model "
    "AND p.month = substr(OLD.observed_at, 1, 7)) AND substr(OLD.observed_at, 1, 10) < {floor}"
)
_SQLITE_FLOOR = "date('now', '-6 months')"
_WORSE = ("enabled", "disabled", "missing")  # a guard's states, from in force to absent
# Six months before now by the database's clock, as YYYY-MM-DD: a purged row dated before it may go.
PG_PURGE_FLOOR = "to_char((now() AT TIME ZONE 'UTC') - interval '6 months', 'YYYY-MM-DD')"


@dataclass(frozen=True)
class Guard:
    """One append-only trigger: the table it guards, what it refuses, the statement creating it."""

    table: str
    trigger: str
    refuses: str
    create: str
    door: bool = False  # lets through the rows of a month `observations purge` recorded

    def describe(self) -> str:
        return f"{self.table}: {self.trigger} (refuses {self.refuses})"


@dataclass(frozen=True)
class GuardFinding:
    """A guard that is not in force: "missing", or "disabled" (PostgreSQL's ALTER TABLE ... DISABLE)."""

    guard: Guard
    state: str

    def describe(self) -> str:
        return f"append-only trigger {self.state} on {self.guard.describe()}"


def event_tables(kind: str) -> tuple[str, str]:
    return SQLITE_EVENT_TABLES if kind == "sqlite" else PG_EVENT_TABLES


def event_position(kind: str) -> str:
    """The events table's column that holds an event's position in the store (notification id)."""
    return "rowid" if kind == "sqlite" else "notification_id"


def guarded_tables(kind: str) -> tuple[str, ...]:
    return (*event_tables(kind), *LEDGER_TABLES, OBSERVATIONS_TABLE, OBSERVATION_PURGES_TABLE)


def guards(kind: str, *, schema: str, tables: tuple[str, ...] | None = None) -> list[Guard]:
    """The triggers that keep `tables` (default: every append-only table) append-only."""
    keyed = set(event_tables(kind))
    chosen = guarded_tables(kind) if tables is None else tables
    if kind == "sqlite":
        return [guard for table in chosen for guard in _sqlite_guards(table, keyed=table in keyed)]
    return [guard for table in chosen for guard in _pg_guards(table, schema=schema)]


def _sqlite_guards(table: str, *, keyed: bool) -> list[Guard]:
    """UPDATE and DELETE refused; with `keyed`, also INSERT OR REPLACE over an existing event.

    INSERT OR REPLACE deletes the old row without firing DELETE triggers; the library's own
    inserts of an existing (id, version) still fail as a conflict, as on the unique key.
    """
    found = []
    for action in ("UPDATE", "DELETE"):
        door = table == OBSERVATIONS_TABLE and action == "DELETE"
        when = f"WHEN NOT ({_PURGE_DOOR.format(schema='', floor=_SQLITE_FLOOR)})" if door else ""
        found.append(
            Guard(
                table=table,
                trigger=f"modelgov_append_only_{table}_{action.lower()}",
                refuses=_UNPURGED if door else action,
                door=door,
                create=f"""CREATE TRIGGER IF NOT EXISTS modelgov_append_only_{table}_{action.lower()}
                    BEFORE {action} ON {table} {when}
                    BEGIN SELECT RAISE(ABORT, '{REFUSAL}: {action} on {table} refused'); END""",
            )
        )
    if keyed:
        found.append(
            Guard(
                table=table,
                trigger=f"modelgov_append_only_{table}_replace",
                refuses="INSERT OR REPLACE",
                create=f"""CREATE TRIGGER IF NOT EXISTS modelgov_append_only_{table}_replace
                    BEFORE INSERT ON {table}
                    WHEN EXISTS (SELECT 1 FROM {table} WHERE originator_id = NEW.originator_id
                                 AND originator_version = NEW.originator_version)
                    BEGIN SELECT RAISE(ABORT,
                        '{REFUSAL}: UNIQUE constraint failed, {table} row exists'); END""",
            )
        )
    return found


def _pg_guards(table: str, *, schema: str) -> list[Guard]:
    """UPDATE, DELETE (row triggers, which also cover INSERT ... ON CONFLICT DO UPDATE) and TRUNCATE.

    Triggers, and not only missing privileges: the library's LOCK TABLE ... IN EXCLUSIVE MODE
    needs the UPDATE privilege, and a table's owner can always grant itself more. The triggers
    belong to the table's owner; a role that does not own the table cannot drop or disable them.
    """
    found = []
    for kind, ops, level in (
        (f"{table}_rows", "UPDATE OR DELETE", "ROW"),
        (f"{table}_truncate", "TRUNCATE", "STATEMENT"),
    ):
        door = table == OBSERVATIONS_TABLE and level == "ROW"
        function = "modelgov_refuse_unpurged" if door else "modelgov_refuse_change"
        # Row triggers are cloned onto every partition by PostgreSQL; statement triggers are not.
        partitions = partition_guards(schema, table) if level == "STATEMENT" else ""
        found.append(
            Guard(
                table=table,
                trigger=f"modelgov_append_only_{kind}",
                refuses=f"UPDATE and {_UNPURGED}" if door else ops.replace(" OR ", " and "),
                door=door,
                create=f"""DO $$ DECLARE part regclass; BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'modelgov_append_only_{kind}'
                             AND tgrelid = '{schema}.{table}'::regclass) THEN
                CREATE TRIGGER modelgov_append_only_{kind} BEFORE {ops} ON {schema}.{table}
                  FOR EACH {level} EXECUTE FUNCTION {schema}.{function}();
              END IF;{partitions}
            END $$""",
            )
        )
    return found


def partition_guards(schema: str, table: str) -> str:
    """PL/pgSQL (declaring `part regclass`) giving each partition of `table` the TRUNCATE guard it
    lacks: a partition truncated by name fires its own statement triggers, not its parent's."""
    trigger = f"modelgov_append_only_{table}_truncate"
    return f"""
              FOR part IN SELECT i.inhrelid::regclass FROM pg_inherits i
                  WHERE i.inhparent = '{schema}.{table}'::regclass AND NOT EXISTS (
                    SELECT 1 FROM pg_trigger t WHERE t.tgrelid = i.inhrelid
                    AND t.tgname = '{trigger}') LOOP
                EXECUTE format('CREATE TRIGGER {trigger} BEFORE TRUNCATE ON %s FOR EACH '
                               'STATEMENT EXECUTE FUNCTION {schema}.modelgov_refuse_change()', part);
              END LOOP;"""


def refuse_function(schema: str) -> str:
    """The PostgreSQL function every guard calls."""
    return f"""
CREATE OR REPLACE FUNCTION {schema}.modelgov_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '{REFUSAL}: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$"""


def purge_door_function(schema: str) -> str:
    """The PostgreSQL function guarding the observations' rows: UPDATE refused, DELETE refused
    unless the row's model and month are recorded as purged and the row is over six months old."""
    door = _PURGE_DOOR.format(schema=f"{schema}.", floor=PG_PURGE_FLOOR)
    return f"""
CREATE OR REPLACE FUNCTION {schema}.modelgov_refuse_unpurged() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND {door} THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '{REFUSAL}: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$"""


def guard_functions(schema: str) -> list[str]:
    """The PostgreSQL functions the guards call, created before them."""
    return [refuse_function(schema), purge_door_function(schema)]


def trigger_states(
    execute: Callable[..., list[Any]], *, kind: str, schema: str
) -> tuple[set[str], dict[str, str]]:
    """The tables there are, and each trigger's state ("enabled", "disabled", or "missing" from a
    partition of its table), read with `execute` (a SqlRunner's, or an open transaction's)."""
    if kind == "sqlite":
        present = {
            str(name) for (name,) in execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        triggers = execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return present, {str(name): "enabled" for (name,) in triggers}
    present = {
        str(name)
        for (name,) in execute("SELECT tablename FROM pg_tables WHERE schemaname = ?", (schema,))
    }
    # tgenabled: 'D' disabled; 'O', 'R', 'A' fire (in origin, replica or always mode). A
    # partitioned table's guard is in force only where every partition has it, enabled: one
    # disabled or missing (M) on a partition is the guard's state.
    states: dict[str, str] = {}
    for name, enabled in execute(
        "SELECT t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND NOT t.tgisinternal "
        "UNION ALL SELECT t.tgname, 'M' FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_inherits i ON i.inhparent = c.oid "
        "WHERE n.nspname = ? AND NOT t.tgisinternal AND NOT EXISTS (SELECT 1 FROM pg_trigger p "
        "WHERE p.tgrelid = i.inhrelid AND p.tgname = t.tgname)",
        (schema, schema),
    ):
        state = {"D": "disabled", "M": "missing"}.get(str(enabled), "enabled")
        states[str(name)] = max(state, states.get(str(name), state), key=_WORSE.index)
    return present, states


def guard_findings(sql: SqlRunner) -> list[GuardFinding]:
    """Every guard not in force on an existing table (a table not created yet is no finding)."""
    database = sql.database
    present, states = trigger_states(sql.execute, kind=database.kind, schema=database.pg_schema)
    return [
        GuardFinding(guard, states.get(guard.trigger, "missing"))
        for guard in guards(database.kind, schema=database.pg_schema)
        if guard.table in present and states.get(guard.trigger) != "enabled"
    ]


def check_triggers_in_force(sql: SqlRunner) -> None:
    """Refuse to go on (and so to write) while an append-only trigger is missing or disabled."""
    findings = guard_findings(sql)
    if findings:
        raise AppendOnlyTriggersMissingError(
            f"{findings_text(findings)} in {sql.database.describe()}: nothing is written "
            f"until it is back; the tables' owner runs `{INSTALL_COMMAND}`, which puts the "
            "triggers back and records who did it and why in the ledger"
        )


def findings_text(findings: list[GuardFinding]) -> str:
    """The first finding, and how many more."""
    more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
    return f"{findings[0].describe()}{more}"


def install_statements(kind: str, *, schema: str, findings: list[GuardFinding]) -> list[str]:
    """What puts the found guards back in force: create the missing, enable the disabled."""
    statements = [] if kind == "sqlite" else guard_functions(schema)
    for finding in findings:
        guard = finding.guard
        if finding.state == "disabled":
            statements.append(f"ALTER TABLE {schema}.{guard.table} ENABLE TRIGGER {guard.trigger}")
        else:
            statements.append(guard.create)
    return statements
