"""The background jobs' leases on both stores: one holder per job, a takeover once the holder's
lease runs out (said on `modelgov.leases`), and a job that works only while its lease is held."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from application.governance import Governance
from infrastructure.db.sql import SqlRunner
from infrastructure.leases import (
    JOBS,
    LEASE_SECONDS,
    MONITOR,
    RENEW_SECONDS,
    SEALER,
    Lease,
    lease_holders,
    start_leased,
)
from infrastructure.settings import Settings
from tests.conftest import wait_until


@pytest.fixture
def sql(app: Governance, backend: Settings) -> Iterator[SqlRunner]:
    """The store's own tables (the leases' among them), created by opening the store (`app`)."""
    runner = SqlRunner(backend.database)
    yield runner
    runner.close()


def test_one_process_holds_a_lease_until_it_lets_go(sql: SqlRunner) -> None:
    first, second = Lease(sql, MONITOR), Lease(sql, MONITOR)
    assert first.take()
    assert not second.take()
    assert second.other == first.holder  # whom it waits for, without asking again
    assert second.current_holder() == first.holder
    assert first.take()  # renewed by its holder
    first.release()
    assert second.take()
    assert not first.take()
    assert lease_holders(sql) == {job: second.holder if job == MONITOR else None for job in JOBS}


def test_an_expired_lease_is_taken_over_and_the_takeover_is_said(
    sql: SqlRunner, caplog: pytest.LogCaptureFixture
) -> None:
    dead = Lease(sql, SEALER, seconds=0.3)
    assert dead.take()
    successor = Lease(sql, SEALER)
    assert not successor.take()
    assert successor.expires_in is not None and 0 < successor.expires_in <= 0.3  # looks then
    time.sleep(0.4)  # the holder did not renew: as if it had been killed
    assert lease_holders(sql)[SEALER] is None  # an expired lease holds nothing
    with caplog.at_level(logging.WARNING, logger="modelgov.leases"):
        assert successor.take()
    [record] = [r for r in caplog.records if r.name == "modelgov.leases"]
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith("lease taken over: sealer by ")
    assert dead.holder in record.getMessage()
    assert not dead.take()  # the old holder, back, does not take it back
    assert lease_holders(sql)[SEALER] == successor.holder


def test_a_lease_let_go_is_taken_without_a_takeover(
    sql: SqlRunner, caplog: pytest.LogCaptureFixture
) -> None:
    first = Lease(sql, SEALER)
    assert first.take()
    first.release()
    with caplog.at_level(logging.WARNING, logger="modelgov.leases"):
        assert Lease(sql, SEALER).take()
    assert not [r for r in caplog.records if r.name == "modelgov.leases"]


def test_a_leased_job_works_in_one_runner_at_a_time_and_the_other_carries_on_when_it_stops(
    sql: SqlRunner, caplog: pytest.LogCaptureFixture
) -> None:
    working: dict[str, int] = {}
    lock = threading.Lock()

    def job(name: str) -> Callable[[threading.Event], None]:
        def run(until: threading.Event) -> None:
            while not until.wait(0.05):
                with lock:
                    working[name] = working.get(name, 0) + 1

        return run

    caplog.set_level(logging.INFO, logger="modelgov.leases")
    first = Lease(sql, MONITOR)
    stop_first = start_leased(first, job("first"), name="first")
    assert wait_until(lambda: "first" in working, timeout=5)
    stop_second = start_leased(Lease(sql, MONITOR), job("second"), name="second")
    time.sleep(2.5)  # the waiting runner looked for the lease at least once meanwhile
    assert "second" not in working
    waiting = [r.getMessage() for r in caplog.records if r.getMessage().endswith("; waiting")]
    assert waiting == [f"lease monitor is held by {first.holder}; waiting"]  # said once
    stop_first()  # lets the lease go: the other takes it at its next look, not when it expires
    assert wait_until(lambda: "second" in working, timeout=RENEW_SECONDS + 1)
    assert RENEW_SECONDS + 1 < LEASE_SECONDS
    stop_second()
    assert lease_holders(sql)[MONITOR] is None


def test_a_runner_waiting_for_a_dead_holder_takes_over_when_its_lease_runs_out(
    sql: SqlRunner,
) -> None:
    """Not up to RENEW_SECONDS later: the waiting runner looks again when the hold runs out."""
    dead = Lease(sql, MONITOR, seconds=1.0)
    assert dead.take()  # and never renewed: as if killed at once
    started: list[float] = []
    stop = start_leased(
        Lease(sql, MONITOR), lambda until: started.append(time.monotonic()) or until.wait(30),
        name="successor",
    )  # fmt: skip
    begun = time.monotonic()
    try:
        assert wait_until(lambda: bool(started), timeout=RENEW_SECONDS + 2)
        # Its first look saw it held; the next, RENEW_SECONDS later, would have been too late.
        assert started[0] - begun < RENEW_SECONDS - 0.2
    finally:
        stop()
