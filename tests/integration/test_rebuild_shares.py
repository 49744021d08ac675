"""A rebuild split across processes by model (infrastructure/projections/shares.py): the same rows
as in one process, on both stores; a helper killed mid-way leaves the read models consistent at
the last batch written, and `catch_up` goes on from there; another runner applying batches at
the same time is met, not doubled."""

from __future__ import annotations

import base64
import multiprocessing
import os
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from application.demo import seed_demo_portfolio
from application.governance import Governance
from infrastructure.cli.exit_codes import UNEXPECTED, report_fault
from infrastructure.db.sql import SqlRunner
from infrastructure.projections.batch_statements import PROJECTION_TRACKING
from infrastructure.projections.runner import ProjectionRunner
from infrastructure.projections.runner import default_projections as projections
from infrastructure.projections.shares import (
    LAST_BYTE,
    MOST_PROCESSES,
    RebuildHelperError,
    ShareReader,
    processes_for,
    slots_of,
)
from infrastructure.settings import Settings
from tests.conftest import environ_for, wait_until
from tests.integration.test_cli import run

BATCH = 10  # events per batch: the demo portfolio's hundred-odd events make a dozen batches


def share_of(notification: Any, shares: int) -> int:
    """The share of a notification's model, as the rule says it (ShareReader applies it in SQL)."""
    slot = (notification.originator_id.int & 0xFF) % (2 * shares - 1)
    return next(share for share in range(shares) if slot in slots_of(share))


def _rows(sql: SqlRunner) -> dict[str, list[tuple[Any, ...]]]:
    tables = [table for projection in projections() for table in projection.tables]
    return {table: sorted(sql.execute(f"SELECT * FROM {table}"), key=repr) for table in tables}


def _positions(sql: SqlRunner) -> set[int]:
    return {int(p) for (p,) in sql.execute(f"SELECT position FROM {PROJECTION_TRACKING}")}


@pytest.fixture
def seeded(app: Governance) -> Governance:
    seed_demo_portfolio(app, now=datetime.now(UTC))
    return app


def _runner(app: Governance, sql: SqlRunner) -> ProjectionRunner:
    return ProjectionRunner(app, sql, projections(), rebuild_batch=BATCH)


@pytest.mark.parametrize("processes", [2, 3])
def test_a_rebuild_in_processes_writes_the_rows_of_a_rebuild_in_one(
    seeded: Governance, backend: Settings, processes: int
) -> None:
    sql = SqlRunner(backend.database)
    head = seeded.recorder.max_notification_id()
    notifications = seeded.recorder.select_notifications(start=1, limit=head)
    models = {n.originator_id for n in notifications if n.topic.startswith("modelgov/Model.")}
    assert len(models) >= 7 and len({share_of(n, processes) for n in notifications}) == processes
    one = _runner(seeded, sql)
    applications = one.rebuild()
    in_one = _rows(sql)
    assert in_one["modelgov_catalog"] and in_one["modelgov_incidents"]
    shared = _runner(seeded, sql)
    assert shared.rebuild(processes=processes, settings=backend) == applications
    assert _rows(sql) == in_one
    assert _positions(sql) == {head} and shared.lag() == 0
    sql.close()


def test_a_helper_killed_mid_way_stops_the_rebuild_with_what_it_wrote_consistent(
    seeded: Governance, backend: Settings
) -> None:
    sql = SqlRunner(backend.database)
    _runner(seeded, sql).rebuild()
    in_one = _rows(sql)
    reached: list[int] = []

    def kill_a_helper(position: int, head: int) -> None:
        reached.append(position)
        if len(reached) == 3:
            (helper,) = multiprocessing.active_children()
            os.kill(helper.pid, signal.SIGKILL)
            helper.join()

    rebuilding = _runner(seeded, sql)
    with pytest.raises(
        RebuildHelperError, match=r"helper 1 stopped \(exit code -9\).*projections run"
    ):
        rebuilding.rebuild(processes=2, settings=backend, progress=kill_a_helper)
    # Two batches written with their positions, nothing of the third.
    (position,) = _positions(sql)
    assert position == reached[2] > 0
    assert multiprocessing.active_children() == []
    going_on = _runner(seeded, sql)
    assert going_on.catch_up() > 0
    assert _rows(sql) == in_one and going_on.lag() == 0
    sql.close()


def test_another_runner_applying_meanwhile_is_met_not_doubled(
    seeded: Governance, backend: Settings
) -> None:
    sql = SqlRunner(backend.database)
    applications = _runner(seeded, sql).rebuild()
    in_one = _rows(sql)
    other = ProjectionRunner(seeded, sql, projections(), batch=BATCH)
    calls: list[int] = []

    def the_follower_applies_a_batch(position: int, head: int) -> None:
        calls.append(position)
        if len(calls) == 3:  # two batches made, the second perhaps still being written
            assert wait_until(lambda: min(other.positions().values()) == position, timeout=30)
            assert other.run_once() > 0  # the third batch, before the rebuild writes it

    rebuilding = _runner(seeded, sql)
    done = rebuilding.rebuild(processes=2, settings=backend, progress=the_follower_applies_a_batch)
    assert done == applications - len(projections()) * BATCH  # all but the follower's batch
    assert _rows(sql) == in_one
    assert rebuilding.lag() == 0 and multiprocessing.active_children() == []
    sql.close()


def test_a_rebuild_in_processes_needs_the_settings(seeded: Governance, backend: Settings) -> None:
    sql = SqlRunner(backend.database)
    with pytest.raises(ValueError, match="settings"):
        _runner(seeded, sql).rebuild(processes=2)
    sql.close()


def test_the_rebuild_command_shares_the_work_when_told_and_says_so(
    seeded: Governance, backend: Settings, tmp_path: Path
) -> None:
    schema = backend.database.pg_schema if backend.database.kind == "postgres" else ""
    environ = environ_for(backend.database.kind, tmp_path, schema)
    sql = SqlRunner(backend.database)
    alone = run(tmp_path, "projections", "rebuild", env=environ)  # a small store: one process
    assert alone.returncode == 0, alone.stderr
    assert alone.stdout.endswith("in 1 process(es)\n")
    in_one = _rows(sql)
    shared = run(tmp_path, "projections", "rebuild", "--processes", "2", env=environ)
    assert shared.returncode == 0, shared.stderr
    assert shared.stdout.endswith("in 2 process(es)\n") and shared.stderr == ""
    assert _rows(sql) == in_one
    refused = run(tmp_path, "projections", "rebuild", "--processes", "0", env=environ)
    assert refused.returncode == 2 and "--processes" in refused.stderr
    sql.close()


def test_a_helper_that_cannot_open_the_store_stops_the_rebuild_before_anything_is_emptied(
    seeded: Governance, backend: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    sql = SqlRunner(backend.database)
    _runner(seeded, sql).rebuild()
    before = _rows(sql)
    wrong_key = backend.model_copy(update={"cipher_key": base64.b64encode(bytes(32)).decode()})
    with pytest.raises(RebuildHelperError) as refused:
        _runner(seeded, sql).rebuild(processes=2, settings=wrong_key)
    message = str(refused.value)
    assert message.startswith("rebuild helper 1 failed: SettingsError: ") and "\n" not in message
    assert message.endswith("; before it was ready: nothing was changed")
    assert "Traceback" in str(refused.value.__cause__)  # shown by the CLI's --debug
    assert report_fault(refused.value) == UNEXPECTED  # as the CLI ends
    assert capsys.readouterr().err == f"modelgov: {message}\n"
    assert _rows(sql) == before and _positions(sql) == {seeded.recorder.max_notification_id()}
    assert multiprocessing.active_children() == []
    sql.close()


def test_the_default_is_one_process_for_a_small_store_and_the_cores_for_a_large_one() -> None:
    cores = len(os.sched_getaffinity(0))
    assert processes_for(19_999, 10_000) == 1
    assert processes_for(20_000, 10_000) == min(cores, MOST_PROCESSES) >= 1


@pytest.mark.parametrize("shares", [2, 3, 4])
def test_the_shares_read_in_sql_are_the_shares_of_the_model_ids_and_every_event_is_in_one(
    seeded: Governance, backend: Settings, shares: int
) -> None:
    sql = SqlRunner(backend.database)
    head = seeded.recorder.max_notification_id()
    every = {n.id: n for n in seeded.recorder.select_notifications(start=1, limit=head)}
    read = {share: ShareReader(sql, share, shares).rows(1, head) for share in range(shares)}
    assert sorted(n.id for rows in read.values() for n in rows) == sorted(every)  # each once
    for share, rows in read.items():
        assert all(n == every[n.id] and share_of(n, shares) == share for n in rows)
    sql.close()


def test_the_last_byte_of_a_model_id_in_sql_is_the_last_byte_of_its_number(
    backend: Settings,
) -> None:
    sql = SqlRunner(backend.database)
    sqlite = backend.database.kind == "sqlite"
    literal = "SELECT ? AS originator_id" if sqlite else "SELECT CAST(? AS uuid) AS originator_id"
    expression = LAST_BYTE[backend.database.kind]
    for last in range(256):
        model_id = UUID(int=(uuid4().int & ~0xFF) | last)
        for written in (model_id.hex, model_id.hex.upper()) if sqlite else (str(model_id),):
            found = sql.execute(f"SELECT {expression} FROM ({literal}) AS t", (written,))
            assert found == [(last,)], (written, found)
    sql.close()
