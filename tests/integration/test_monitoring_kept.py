"""Batches judged from memory, on SQLite and PostgreSQL: while the evaluator runs, the batches its
process stores are kept for it (ObservationStore.keeping). What it is given is what the table holds,
in stored order, with the other processes' batches and the positions a failed append took in
between; a crash between storing and judging loses nothing and judges nothing twice."""

from __future__ import annotations

import contextlib
import itertools
import random
import sqlite3
import threading
import uuid
from datetime import timedelta

import psycopg
import pytest

from application.governance import Governance
from application.monitoring.observations import Observation
from application.receipts import Receipt
from domain.commands import Activate, ApproveRelease, RegisterVersion, SetTarget
from domain.events import BreachOpened
from infrastructure.db import fault_points
from infrastructure.db.sql import SqlRunner
from infrastructure.monitoring.monitor import EVALUATOR, MonitorRunner
from infrastructure.monitoring.observation_table import ObservationStore
from tests.factories import T0, by, card, registration

NAME = "kept"


@pytest.fixture
def app(app: Governance) -> Governance:
    """The store tests/conftest.py opens, with a model whose target the values below cross."""
    app.handle(registration(NAME, "low"), by=by("eng"))
    app.handle(RegisterVersion(name=NAME, card=card()), by=by("eng"))
    app.handle(ApproveRelease(name=NAME, version=1), by=by("ds", "ok", at=T0))
    app.handle(Activate(name=NAME, version=1, environment="production"), by=by("ops", at=T0))
    app.handle(
        SetTarget(name=NAME, dimension="accuracy", metric="auc", comparator=">=", threshold=0.8,
                  window="last", severity="critical"),
        by=by("ds", at=T0),
    )  # fmt: skip
    return app


def batch(start: int, values: list[float]) -> list[Observation]:
    return [
        Observation(model=NAME, version=1, environment="production", metric="auc", value=value,
                    observed_at=T0 + timedelta(minutes=start + i))
        for i, value in enumerate(values)
    ]  # fmt: skip


@pytest.mark.parametrize("limit", [100, 3, 2, 1])  # read a little at a time, as the evaluator may
def test_what_is_kept_is_what_the_table_holds_in_stored_order(
    app: Governance, sql: SqlRunner, limit: int
) -> None:
    kept, other = ObservationStore(sql), ObservationStore(sql)  # this process, another one
    start = kept.last_position()
    keeping = kept.keeping()
    keeping.__enter__()  # as while its evaluator runs
    first = batch(0, [0.9, 0.91, 0.92])
    kept.append(first)
    other.append(batch(10, [0.93]))
    kept.append(batch(20, [0.94, 0.95]))
    unstored = Observation(NAME, 1, None, "auc", 0.97, T0)  # type: ignore[arg-type]
    with pytest.raises((sqlite3.IntegrityError, psycopg.errors.NotNullViolation)):
        other.append([*batch(30, [0.96]), unstored])  # on PostgreSQL its positions are taken
    kept.append(batch(40, [0.98]))
    other.append(batch(50, [0.99]))

    from_table = ObservationStore(sql).after(start, limit=100)
    assert [o.value for o in from_table] == [0.9, 0.91, 0.92, 0.93, 0.94, 0.95, 0.98, 0.99]
    read: list[Observation] = []
    while found := kept.after(read[-1].position if read else start, limit=limit):
        assert len(found) <= limit
        read += found
    assert read == from_table
    assert read[0] is first[0]  # from memory, not read back


def test_a_batch_stored_but_not_judged_before_a_crash_is_judged_once_after_it(
    app: Governance, sql: SqlRunner
) -> None:
    before = MonitorRunner(app, sql)
    before.catch_up()
    before.observations.keeping().__enter__()  # as while its evaluator runs
    before.observations.append(batch(0, [0.5, 0.9]))  # acknowledged; then the process dies

    after = MonitorRunner(app, sql)  # the restarted process: nothing kept
    assert after.evaluate_once() == 2
    assert [type(e) for e in app.model_events(NAME)].count(BreachOpened) == 1
    # The old process, had it lived on, would judge nothing again.
    assert before.evaluate_once() == 0
    assert after.position(EVALUATOR) == before.position(EVALUATOR)

    before.observations.append(batch(10, [0.4]))
    assert before.evaluate_once() == 1  # from memory
    assert after.evaluate_once() == 0


def test_what_is_kept_stays_while_another_evaluator_of_the_process_still_runs(
    app: Governance, sql: SqlRunner
) -> None:
    store = ObservationStore(sql)
    start = store.last_position()
    with store.keeping():  # the evaluator that lost its lease and has not stopped yet
        taker = store.keeping()
        taker.__enter__()  # the one that took the lease over, in the same process
    stored = batch(0, [0.9])
    store.append(stored)
    assert store.keep
    assert store.after(start, limit=10)[0] is stored[0]  # kept although the first one stopped
    taker.__exit__(None, None, None)
    assert not store.keep
    assert store.after(start, limit=10)[0] is not stored[0]  # read back from the table


def test_a_follower_sees_every_row_once_in_order_while_threads_append_and_some_fail(
    app: Governance, sql: SqlRunner
) -> None:
    """Four threads append batches of random sizes over several months (partitions made on the
    way on PostgreSQL), each with a receipt, one in six failing before its commit; a follower
    reads on by position meanwhile. What it saw is what the table holds, row for row."""
    store = ObservationStore(sql)
    chance = random.Random(15)
    numbers = itertools.count(1)
    seen: list[tuple[int, float]] = []
    problems: list[object] = []
    appending = threading.Event()

    def fails_sometimes() -> None:
        if chance.random() < 1 / 6:
            raise RuntimeError("failed before the commit (a test's fault)")

    def appender() -> None:
        for _ in range(25):
            batch = [Observation(NAME, 1, "production", "auc", float(next(numbers)),
                                 T0 + timedelta(days=chance.choice([1, 40, 80]), seconds=i))
                     for i in range(chance.randint(1, 120))]  # fmt: skip
            with contextlib.suppress(RuntimeError):
                store.append(batch, receipt=Receipt(command_id=uuid.uuid4().hex))

    def follower() -> None:
        position = 0
        while True:
            following = store.after(position, limit=300)
            if not following and not appending.is_set():
                following = store.after(position, limit=300)  # all committed by now
                if not following:
                    return
            for observation in following:
                if observation.position <= position:
                    problems.append(("back", position, observation.position))
                seen.append((observation.position, observation.value))
                position = observation.position

    with store.keeping(), fault_points.armed("before_commit", fails_sometimes):
        appending.set()
        reader = threading.Thread(target=follower)
        reader.start()
        writers = [threading.Thread(target=appender) for _ in range(4)]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
        appending.clear()
        reader.join(timeout=60)

    stored = [(int(p), float(v)) for p, v in sql.execute(
        "SELECT position, value FROM modelgov_observations ORDER BY position")]  # fmt: skip
    assert not problems
    assert len(stored) > 100 and seen == stored
