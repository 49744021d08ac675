"""Observations partitioned by month on PostgreSQL (schema version 9): a store migrated or made
so keeps every row, position and guard, makes a month's partition as its rows arrive (from two
connections at once too), and its purge drops a month's partition only when every model in it
goes; monitoring reads the same rows by position after a purge on either store."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from eventsourcing.persistence import OperationalError

from application.governance import Governance
from application.monitoring.observations import Observation
from domain.hold_commands import PlaceLegalHold, ReleaseLegalHold
from domain.retention import add_months, month_start
from infrastructure.db import fault_points
from infrastructure.db.append_only import (
    OBSERVATION_PURGES_TABLE,
    OBSERVATIONS_TABLE,
    guard_findings,
    install_statements,
)
from infrastructure.db.layout import inspect_layout
from infrastructure.db.migrations import CURRENT_VERSION, MIGRATIONS, migrate
from infrastructure.db.observation_partitions import MAKE_MONTHS, partition_of
from infrastructure.db.sql import SqlRunner
from infrastructure.monitoring.monitor import MonitorRunner
from infrastructure.monitoring.observation_purge import ObservationPurge
from infrastructure.monitoring.observation_table import ObservationStore
from infrastructure.settings import Settings
from tests.conftest import PG_URL, environ_for
from tests.factories import by, seed_app_model
from tests.integration.test_cli import run
from tests.integration.test_migrations import OldStore, postgres_store  # noqa: F401 (a fixture)

NOW = datetime.now(UTC)
THIS_MONTH = month_start(NOW.strftime("%Y-%m"))
MONTHS = [add_months(THIS_MONTH, -back).strftime("%Y-%m") for back in (10, 9, 8, 1, 0)]
OLD, RECENT = MONTHS[:3], MONTHS[3:]  # past six months' retention, and within it
Row = tuple[int, str, str]


def _figures(models: tuple[str, ...], months: list[str]) -> list[Observation]:
    """Two figures a month per model: on the 3rd and on the month's last microsecond."""
    return [
        Observation(model=model, version=1, environment="staging", metric="latency_ms",
                    value=100.0, observed_at=min(at, NOW))
        for model in models
        for start in map(month_start, months)
        for at in (start + timedelta(days=2), add_months(start, 1) - timedelta(microseconds=1))
    ]  # fmt: skip


def _rows(sql: SqlRunner) -> list[Row]:
    found = sql.execute(f"SELECT position, model, observed_at FROM {OBSERVATIONS_TABLE} ORDER BY 1")
    return [(int(position), str(model), str(at)) for position, model, at in found]


def _partitions(sql: SqlRunner) -> list[str]:
    found = sql.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(?) ORDER BY 1",
        (f"{sql.database.pg_schema}.{OBSERVATIONS_TABLE}",),
    )
    return [str(name) for (name,) in found]


def _partitioned_by_range(sql: SqlRunner) -> bool:
    found = sql.execute(
        "SELECT partstrat FROM pg_partitioned_table WHERE partrelid = to_regclass(?)",
        (f"{sql.database.pg_schema}.{OBSERVATIONS_TABLE}",),
    )
    return [tuple(row) for row in found] == [("r",)]


# The shared `backend` (and `app`, `sql`) on PostgreSQL alone, for what only it has.
ON_POSTGRES = pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@ON_POSTGRES
def test_a_new_postgresql_store_makes_a_month_s_partition_as_its_first_rows_arrive(
    app: Governance, sql: SqlRunner
) -> None:
    assert _partitioned_by_range(sql) and _partitions(sql) == []
    ObservationStore(sql).append(_figures(("churn",), RECENT))
    assert _partitions(sql) == [partition_of(month) for month in RECENT]
    ObservationStore(sql).append(_figures(("churn",), MONTHS))
    assert _partitions(sql) == [partition_of(month) for month in MONTHS]
    positions = [position for position, _, _ in _rows(sql)]
    assert positions == list(range(1, 15))  # 4, then 10: one sequence across partitions
    assert OBSERVATIONS_TABLE in inspect_layout(sql).tables  # partitions are no store tables
    assert not {t for t in inspect_layout(sql).tables if t.startswith(f"{OBSERVATIONS_TABLE}_2")}


@ON_POSTGRES
def test_two_connections_making_the_same_month_at_once_both_succeed(
    app: Governance, sql: SqlRunner, backend: Settings
) -> None:
    schema = backend.database.pg_schema
    make = f"SELECT {schema}.{MAKE_MONTHS}(%s::text[])"
    with psycopg.connect(PG_URL, autocommit=False) as first:
        first.execute(make, (["2024-02"],))  # made, not committed: the second must wait
        done: list[object] = []

        def second() -> None:
            with psycopg.connect(PG_URL, autocommit=True) as connection:
                connection.execute(make, (["2024-02", "2024-03"],))
                done.append(True)

        waiter = threading.Thread(target=second)
        waiter.start()
        waiter.join(timeout=1)
        assert waiter.is_alive()  # waiting for the first's lock, not failing
        first.commit()
        waiter.join(timeout=10)
    assert done == [True]
    assert _partitions(sql) == [partition_of("2024-02"), partition_of("2024-03")]

    runners = [SqlRunner(backend.database) for _ in range(2)]
    barrier, failures = threading.Barrier(2), []

    def append(runner: SqlRunner, value: float) -> None:
        barrier.wait()
        try:
            for month in ("2023-05", "2023-06", "2023-07"):
                figures = [
                    Observation("churn", 1, "staging", "auc", value, month_start(month))
                ] * 50
                ObservationStore(runner).append(figures)
        except Exception as error:
            failures.append(error)

    threads = [threading.Thread(target=append, args=(r, n)) for n, r in enumerate(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for runner in runners:
        runner.close()
    assert failures == []
    assert len(_partitions(sql)) == 5
    positions = [position for position, _, _ in _rows(sql)]
    assert len(positions) == 300 and positions == sorted(set(positions))


@pytest.mark.postgres
def test_a_store_migrated_to_version_9_keeps_every_row_position_and_guard(
    postgres_store: OldStore,  # noqa: F811 (the fixture imported above)
) -> None:
    sql = SqlRunner(postgres_store.settings.database)
    try:
        eight = migrate(sql, before=inspect_layout(sql), migrations=MIGRATIONS[:8])
        assert [m.version for m in eight.applied] == list(range(1, 9))
        ObservationStore(sql).append(_figures(("churn", "fraud"), MONTHS))  # one table still
        before = sql.execute(f"SELECT * FROM {OBSERVATIONS_TABLE} ORDER BY position")
        assert len(before) == 3 + 20 and not _partitioned_by_range(sql)

        nine = migrate(sql, before=inspect_layout(sql), migrations=MIGRATIONS[:9])

        assert [m.version for m in nine.applied] == [9]
        assert sql.execute(f"SELECT * FROM {OBSERVATIONS_TABLE} ORDER BY position") == before
        months = sorted({str(row[8])[:7] for row in before})
        assert _partitioned_by_range(sql)
        assert _partitions(sql) == [partition_of(month) for month in months]
        assert guard_findings(sql) == []
        _refuses_every_change(sql, partition=partition_of(OLD[0]))
        ObservationStore(sql).append(_figures(("churn",), ["2022-01"]))  # a month with no partition
        [(first_new,)] = sql.execute(
            f"SELECT min(position) FROM {OBSERVATIONS_TABLE} WHERE observed_at < '2023'"
        )
        assert first_new == max(row[0] for row in before) + 1  # the sequence goes on
        assert {t for t in inspect_layout(sql).tables if t.startswith(OBSERVATIONS_TABLE)} == {
            OBSERVATIONS_TABLE
        }  # the old table gone; partitions are no tables of the store's layout
        later = migrate(sql, before=inspect_layout(sql))  # the migrations after 9 go on from it
        assert [m.version for m in later.applied] == list(range(10, CURRENT_VERSION + 1))
        assert guard_findings(sql) == []
    finally:
        sql.close()


def _refuses_every_change(sql: SqlRunner, *, partition: str) -> None:
    for change in (
        f"DELETE FROM {OBSERVATIONS_TABLE}",
        f"UPDATE {OBSERVATIONS_TABLE} SET value = 0",
        f"TRUNCATE {OBSERVATIONS_TABLE}",
        f"DELETE FROM {partition}",
        f"TRUNCATE {partition}",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            sql.execute(change)


@ON_POSTGRES
def test_a_guard_disabled_or_missing_on_one_partition_is_found_and_put_back(
    app: Governance, sql: SqlRunner
) -> None:
    ObservationStore(sql).append(_figures(("churn",), OLD))
    first, second = partition_of(OLD[0]), partition_of(OLD[1])
    rows = f"modelgov_append_only_{OBSERVATIONS_TABLE}_rows"
    truncate = f"modelgov_append_only_{OBSERVATIONS_TABLE}_truncate"
    sql.execute(f"ALTER TABLE {first} DISABLE TRIGGER {rows}")
    sql.execute(f"DROP TRIGGER {truncate} ON {second}")

    findings = {(f.guard.trigger, f.state) for f in guard_findings(sql)}

    assert findings == {(rows, "disabled"), (truncate, "missing")}
    database = sql.database
    for statement in install_statements(
        database.kind, schema=database.pg_schema, findings=guard_findings(sql)
    ):
        sql.execute(statement)
    assert guard_findings(sql) == []
    _refuses_every_change(sql, partition=second)
    _refuses_every_change(sql, partition=first)


def test_a_purge_drops_a_month_whole_only_when_every_model_in_it_goes(
    app: Governance, backend: Settings, sql: SqlRunner
) -> None:
    for name, tier in (("alpha", "low"), ("beta", "low"), ("gamma", "high")):
        seed_app_model(app, name=name, tier=tier)  # six months' retention; gamma 24
    store, postgres = ObservationStore(sql), backend.database.kind == "postgres"
    store.append(_figures(("alpha", "beta"), MONTHS) + _figures(("gamma",), OLD[:1]))
    MonitorRunner(app, sql).catch_up()
    app.handle(PlaceLegalHold(name="beta", matter="CASE-9"), by=by("co", "litigation"))
    rows = _rows(sql)

    held = ObservationPurge(app, sql).run(now=NOW)

    assert {(d.stored.model, d.stored.month) for d in held.dropped} == {("alpha", m) for m in OLD}
    kept = [row for row in rows if row[1] != "alpha" or row[2][:7] not in OLD]
    assert _rows(sql) == kept  # beta's held rows stay in the months alpha left
    assert [o.position for o in store.after(0, limit=1_000)] == [r[0] for r in kept]
    if postgres:  # beta's rows keep every month's partition
        assert _partitions(sql) == [partition_of(month) for month in MONTHS]
    assert held.partitions_dropped == []

    app.handle(ReleaseLegalHold(name="beta"), by=by("co", "case closed"))
    released = ObservationPurge(app, sql).run(now=NOW)

    assert {(d.stored.model, d.stored.month) for d in released.dropped} == {
        ("beta", m) for m in OLD
    }
    remaining = [row for row in kept if row[1] != "beta" or row[2][:7] not in OLD]
    assert _rows(sql) == remaining and {r[1] for r in remaining if r[2][:7] in OLD} == {"gamma"}
    if postgres:  # gamma's rows keep its month; the others' partitions are dropped whole
        assert _partitions(sql) == [partition_of(m) for m in OLD[:1] + RECENT]
    assert released.partitions_dropped == (OLD[1:] if postgres else [])
    recorded = sql.execute(
        f"SELECT model, month, observations FROM {OBSERVATION_PURGES_TABLE} ORDER BY 1, 2"
    )
    assert [tuple(r) for r in recorded] == [(m, month, 2) for m in ("alpha", "beta")
                                            for month in OLD]  # fmt: skip

    # Monitoring follows by position as before: what is left, then what comes after.
    last = remaining[-1][0]
    assert [o.position for o in store.after(0, limit=1_000)] == [r[0] for r in remaining]
    store.append(_figures(("alpha",), OLD[1:2] + RECENT[-1:]))
    after = store.after(last, limit=1_000)
    assert [o.position for o in after] == list(range(last + 1, last + 5))
    assert [o.observed_at.strftime("%Y-%m") for o in after] == [OLD[1]] * 2 + RECENT[-1:] * 2


@ON_POSTGRES
def test_a_partition_drop_that_fails_or_is_killed_leaves_the_month_whole(
    app: Governance, sql: SqlRunner, pg_schema: str, tmp_path: Path
) -> None:
    seed_app_model(app)
    ObservationStore(sql).append(_figures(("churn",), OLD))
    MonitorRunner(app, sql).catch_up()
    rows = _rows(sql)

    def connection_lost() -> None:
        raise OperationalError("the database went away (a test's fault)")

    with fault_points.armed("during_purge", connection_lost), pytest.raises(OperationalError):
        ObservationPurge(app, sql).run(now=NOW)
    assert _rows(sql) == rows and _partitions(sql) == [partition_of(m) for m in OLD]
    assert sql.execute(f"SELECT count(*) FROM {OBSERVATION_PURGES_TABLE}") == [(0,)]

    env = environ_for("postgres", tmp_path, pg_schema, MODELGOV_FAULT_POINT="during_purge:kill")
    killed = run(tmp_path, "observations", "purge", env=env)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert _rows(sql) == rows and len(_partitions(sql)) == 3

    env.pop("MODELGOV_FAULT_POINT")
    done = run(tmp_path, "observations", "purge", env=env)
    assert done.returncode == 0, done.stderr
    assert "in 3 month(s) (3 month partition(s) dropped whole)" in done.stdout.splitlines()[-1]
    assert _rows(sql) == [] and _partitions(sql) == []
    assert sql.execute(f"SELECT count(*) FROM {OBSERVATION_PURGES_TABLE}") == [(3,)]


@ON_POSTGRES
def test_the_database_drops_no_partition_of_a_month_not_purged_or_too_recent(
    app: Governance, sql: SqlRunner, backend: Settings
) -> None:
    ObservationStore(sql).append(_figures(("churn", "fraud"), [OLD[0], RECENT[-1]]))
    drop = f"SELECT {backend.database.pg_schema}.modelgov_drop_observation_month(?)"
    record = (f"INSERT INTO {OBSERVATION_PURGES_TABLE} (model, month, purged_at, observations, "
              "retention_months) VALUES (?, ?, ?, 2, 6)")  # fmt: skip
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="not recorded as purged"):
        sql.execute(drop, (OLD[0],))
    with sql.transaction() as transaction:  # one model of the two recorded: still refused
        transaction.execute(record, ("churn", OLD[0], NOW.isoformat()))
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="2 row"):
        sql.execute(drop, (OLD[0],))
    with sql.transaction() as transaction:
        transaction.execute(record, ("churn", RECENT[-1], NOW.isoformat()))
        transaction.execute(record, ("fraud", RECENT[-1], NOW.isoformat()))
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="six months"):
        sql.execute(drop, (RECENT[-1],))
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="not a month"):
        sql.execute(drop, ("2026-13",))
    assert len(_rows(sql)) == 8 and len(_partitions(sql)) == 2


@ON_POSTGRES
def test_a_long_read_of_the_table_makes_the_purge_delete_rows_instead_of_waiting_for_it(
    app: Governance, sql: SqlRunner, backend: Settings
) -> None:
    seed_app_model(app)
    ObservationStore(sql).append(_figures(("churn",), OLD[:1]))
    MonitorRunner(app, sql).catch_up()
    with psycopg.connect(PG_URL, autocommit=False) as reader:  # a report reading, for minutes
        reader.execute(f"SELECT count(*) FROM {backend.database.pg_schema}.{OBSERVATIONS_TABLE}")

        outcome = ObservationPurge(app, sql).run(now=NOW)

        reader.rollback()
    assert [d.stored.month for d in outcome.dropped] == OLD[:1]
    assert outcome.partitions_dropped == [] and _rows(sql) == []
    assert _partitions(sql) == [partition_of(OLD[0])]  # left empty: its rows went one by one
