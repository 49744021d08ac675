"""PostgreSQL's observations table, partitioned by month: partitions made as rows arrive, and the
one way a month's partition is dropped whole (migration 9 turns an older store's table into it).

The table is range-partitioned by `observed_at`, one partition per calendar month (UTC), the month
the purge's rule (domain/retention.py) judges a row by. Not by model: retention and legal holds
are per model, but a partition per model and month would make a table per model per month (and a
new model's first row would wait for DDL), and the models of a month are few to check. So a
month's partition is dropped only when every model with rows in it is past its retention and
under no hold, each recorded in the purges table in the same transaction; a month shared with a
model that must stay has only the other models' rows deleted, as on SQLite. Both go through
doors the database keeps: the row guard (append_only.py) and `modelgov_drop_observation_month`,
which drops a partition only when every row in it is of a month recorded as purged and all of it
is over six months old. Both functions below are SECURITY DEFINER: the application's role, which
owns no table, may make a month's partition and drop a purged one, and nothing else.

Positions stay one sequence across partitions (the key is (position, observed_at), since a
partitioned table's unique keys hold its partition column; the sequence alone makes positions
unique), so the monitor still follows every row by position. No default partition: a row of a
month without a partition would stop the month's partition from being made until moved out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from infrastructure.db.append_only import (
    OBSERVATION_PURGES_TABLE,
    OBSERVATIONS_TABLE,
    PG_PURGE_FLOOR,
    REFUSAL,
    guards,
    partition_guards,
    trigger_states,
)
from infrastructure.db.sql import Transaction

MAKE_MONTHS = "modelgov_observation_months"
DROP_MONTH = "modelgov_drop_observation_month"
_TABLE = OBSERVATIONS_TABLE
_NOT_A_MONTH = """IF month !~ '^[0-9]{4}-(0[1-9]|1[0-2])$' THEN
      RAISE EXCEPTION 'modelgov: % is not a month (YYYY-MM)', month
        USING ERRCODE = 'invalid_parameter_value';
    END IF;"""
_NEXT_MONTH = "to_date(month, 'YYYY-MM') + interval '1 month'"


def partition_of(month: str) -> str:
    """The partition holding the month `YYYY-MM`."""
    return f"{_TABLE}_{month.replace('-', '_')}"


def partition_functions(schema: str) -> list[str]:
    """The functions making months' partitions and dropping a purged month's, run as their owner."""
    definer = "LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp"
    return [
        f"""CREATE OR REPLACE FUNCTION {schema}.{MAKE_MONTHS}(months text[]) RETURNS void
{definer} AS $$
DECLARE month text; name text; part regclass; made boolean := false;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_partitioned_table
                 WHERE partrelid = '{schema}.{_TABLE}'::regclass) THEN
    RETURN;  -- one table, not partitioned (a store before schema version 9)
  END IF;
  -- As appends do: one writer at a time, so two making the same month never race.
  LOCK TABLE {schema}.{_TABLE} IN SHARE ROW EXCLUSIVE MODE;
  FOREACH month IN ARRAY months LOOP
    {_NOT_A_MONTH}
    name := '{_TABLE}_' || replace(month, '-', '_');
    IF to_regclass(format('{schema}.%I', name)) IS NULL THEN
      -- Made, then attached: ATTACH takes a lock readers pass (PARTITION OF would stop them).
      EXECUTE format('CREATE TABLE {schema}.%I (LIKE {schema}.{_TABLE} INCLUDING DEFAULTS)', name);
      EXECUTE format('ALTER TABLE {schema}.{_TABLE} ATTACH PARTITION {schema}.%I '
                     'FOR VALUES FROM (%L) TO (%L)', name, month,
                     to_char({_NEXT_MONTH}, 'YYYY-MM'));
      made := true;
    END IF;
  END LOOP;
  IF made THEN{partition_guards(schema, _TABLE)}
  END IF;
END $$""",
        f"""CREATE OR REPLACE FUNCTION {schema}.{DROP_MONTH}(month text) RETURNS bigint
{definer} AS $$
DECLARE name text := '{_TABLE}_' || replace(month, '-', '_'); rows bigint; unpurged bigint;
BEGIN
  {_NOT_A_MONTH}
  IF NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = '{schema}.{_TABLE}'::regclass
                 AND inhrelid = to_regclass(format('{schema}.%I', name))) THEN
    RAISE EXCEPTION 'modelgov: no partition of observations holds %', month
      USING ERRCODE = 'undefined_table';
  END IF;
  LOCK TABLE {schema}.{_TABLE} IN ACCESS EXCLUSIVE MODE;
  IF to_char({_NEXT_MONTH}, 'YYYY-MM-DD') > {PG_PURGE_FLOOR} THEN
    RAISE EXCEPTION '{REFUSAL}: dropping the month % refused (not all of it over six months old)',
      month USING ERRCODE = 'insufficient_privilege';
  END IF;
  EXECUTE format('SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM '
                 '{schema}.{OBSERVATION_PURGES_TABLE} p WHERE p.model = o.model AND p.month = %L)) '
                 'FROM {schema}.%I o', month, name) INTO rows, unpurged;
  IF unpurged > 0 THEN
    RAISE EXCEPTION '{REFUSAL}: dropping the month % refused (% row(s) of a model whose month '
      'is not recorded as purged)', month, unpurged USING ERRCODE = 'insufficient_privilege';
  END IF;
  EXECUTE format('DROP TABLE {schema}.%I', name);
  RETURN rows;
END $$""",
    ]


def is_partitioned(execute: Callable[..., list[Any]], *, schema: str) -> bool:
    """Whether the observations table is partitioned (`execute`: a runner's or a transaction's)."""
    return bool(
        execute(
            "SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(?)",
            (f"{schema}.{_TABLE}",),
        )
    )


def make_months(schema: str, months: Iterable[str]) -> tuple[str, Sequence[Any]]:
    """The statement making the partitions `months` (YYYY-MM) lack, before rows of them go in."""
    return f"SELECT {schema}.{MAKE_MONTHS}(?::text[])", (sorted(set(months)),)


def drop_month(transaction: Transaction, *, schema: str, month: str) -> int:
    """Drop the month's partition (its models' purges recorded first, in `transaction`); the rows
    it held."""
    [(rows,)] = transaction.execute(f"SELECT {schema}.{DROP_MONTH}(?)", (month,))
    return int(rows)


def partition_by_month(transaction: Transaction, *, schema: str, statements: list[str]) -> None:
    """Migration 9's work on PostgreSQL: the functions, then (a table not yet partitioned) the
    table made again partitioned by `statements` with every row, position, index and guard
    of the old one; the old table and its sequence are dropped once their rows are copied.

    A guard missing from the old table stays missing (a finding of `verify`, put back only by
    `modelgov db triggers install`, recorded); one disabled is made disabled again."""
    for statement in partition_functions(schema):
        transaction.execute(statement)
    if is_partitioned(transaction.execute, schema=schema):
        return  # created partitioned, by this release
    _, states = trigger_states(transaction.execute, kind="postgres", schema=schema)
    old = f"{_TABLE}_before_partitions"
    [(sequence,)] = transaction.execute(
        "SELECT pg_get_serial_sequence(?, 'position')", (f"{schema}.{_TABLE}",)
    )
    columns = ", ".join(
        f'"{name}"'
        for (name,) in transaction.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(?) AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum",
            (f"{schema}.{_TABLE}",),
        )
    )
    transaction.execute(f"ALTER TABLE {schema}.{_TABLE} RENAME TO {old}")
    transaction.execute(f"ALTER TABLE {schema}.{old} DROP CONSTRAINT IF EXISTS {_TABLE}_pkey")
    for index in (f"{_TABLE}_key", f"{_TABLE}_model_time"):  # their names go to the new table's
        transaction.execute(f"DROP INDEX IF EXISTS {schema}.{index}")
    transaction.execute(f"ALTER SEQUENCE {sequence} RENAME TO {_TABLE}_position_before")
    for statement in statements:
        transaction.execute(statement)
    for guard in guards("postgres", schema=schema, tables=(_TABLE,)):
        if guard.trigger in states:
            transaction.execute(guard.create)
        if states.get(guard.trigger) == "disabled":
            transaction.execute(f"ALTER TABLE {schema}.{_TABLE} DISABLE TRIGGER {guard.trigger}")
    months = transaction.execute(f"SELECT DISTINCT substr(observed_at, 1, 7) FROM {schema}.{old}")
    transaction.execute(*make_months(schema, (str(month) for (month,) in months)))
    transaction.execute(
        f"INSERT INTO {schema}.{_TABLE} ({columns}) SELECT {columns} FROM {schema}.{old}"
    )
    transaction.execute(
        f"SELECT setval(pg_get_serial_sequence(?, 'position'), last_value, is_called) "
        f"FROM {schema}.{_TABLE}_position_before",
        (f"{schema}.{_TABLE}",),
    )
    transaction.execute(f"DROP TABLE {schema}.{old}")  # its sequence with it
