"""Leases: each background job (sealer, projections, monitoring, webhooks) runs in one process per
store; every process that starts it waits, and one takes over when the holder stops or dies.

A lease is a row (job, holder, expires at) in `modelgov_monitor_leases` (the monitoring's table,
named before it held the other jobs' leases; /metrics reads it). The holder renews it every
RENEW_SECONDS; a process that finds it expired takes it, and one waiting looks again when the hold
runs out, so a killed holder's job carries on in another process within LEASE_SECONDS. The
database's clock judges every lease, so the servers' own clocks need not agree. The jobs stay
safe without their lease (exactly-once tracking, the ledger's unique positions, claimed
deliveries): the lease spares the duplicate work and the lost races, it does not carry
correctness.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from infrastructure.db.sql import SqlRunner

log = logging.getLogger("modelgov.leases")

LEASES = "modelgov_monitor_leases"  # created in infrastructure/db/schema.py
SEALER, PROJECTIONS, MONITOR, WEBHOOKS = "sealer", "projections", "monitor", "webhooks"
JOBS = (SEALER, PROJECTIONS, MONITOR, WEBHOOKS)
LEASE_SECONDS = 6.0
RENEW_SECONDS = 2.0  # the holder renews this often; a waiting process looks this often
SLICE_SECONDS = 0.25  # how soon a stop or the job's end is noticed
FAILED_JOB_PAUSE_SECONDS = 5.0
JOB_STOP_SECONDS = 30.0  # how long a job that lost its lease gets to stop before it is left behind


def _clock(kind: str, *, plus: float = 0.0) -> str:
    """SQL for the database's time `plus` seconds, as sortable_utc_text writes instants."""
    if kind == "sqlite":
        return f"strftime('%Y-%m-%dT%H:%M:%f000Z', 'now', '+{plus:.3f} seconds')"
    return (
        f"to_char((clock_timestamp() + interval '{plus:.3f} seconds') AT TIME ZONE 'UTC', "
        '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\')'
    )


def _seconds_between(start: str, end: str) -> float | None:
    """Seconds from one instant `_clock` wrote to another (None if either is not one)."""
    try:
        return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    except (TypeError, ValueError):  # not instants, or one without its zone
        return None


def this_process() -> str:
    """`host:pid`: this process, as lease holders and /readyz name it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def holder_id() -> str:
    """`host:pid:random`: which machine and process holds a lease (random: one per Lease)."""
    return f"{this_process()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Lease:
    """One job's lease, as seen from one process: `take()` it or renew it, `release()` it."""

    sql: SqlRunner
    name: str
    holder: str = field(default_factory=holder_id)
    seconds: float = LEASE_SECONDS
    held: bool = False
    other: str | None = None  # the process take() last found holding it (None: not known)
    expires_in: float | None = None  # and the seconds its hold had left then, by the database

    def take(self) -> bool:
        """Take the lease when it is free or expired, or renew it when held; False while another
        process holds it (`other`). Says so (WARNING) when it takes a lease whose holder let it
        expire."""
        kind = self.sql.database.kind
        previous = None
        self.other = self.expires_in = None
        if not self.held:
            rows = self.sql.execute(
                f"SELECT holder, expires_at, {_clock(kind)} FROM {LEASES} WHERE name = ?",
                (self.name,),
            )
            if rows and rows[0][0] != self.holder:
                if str(rows[0][1]) >= str(rows[0][2]):
                    self.other = str(rows[0][0])
                    self.expires_in = _seconds_between(str(rows[0][2]), str(rows[0][1]))
                    return False
                previous = rows[0]
        won = self.sql.execute(
            f"INSERT INTO {LEASES} (name, holder, expires_at) VALUES (?, ?, "
            f"{_clock(kind, plus=self.seconds)}) ON CONFLICT (name) DO UPDATE SET "
            f"holder = excluded.holder, expires_at = excluded.expires_at WHERE "
            f"{LEASES}.holder = excluded.holder OR {LEASES}.expires_at < {_clock(kind)} "
            "RETURNING holder",
            (self.name, self.holder),
        )
        if won and previous is not None:
            log.warning(
                "lease taken over: %s by %s from %s, whose lease ran out at %s",
                self.name, self.holder, previous[0], previous[1],
            )  # fmt: skip
        self.held = bool(won)
        return self.held

    def release(self) -> None:
        """Let the lease go at once (a clean stop): another process takes it at its next look."""
        self.held = False
        self.sql.execute(
            f"DELETE FROM {LEASES} WHERE name = ? AND holder = ?", (self.name, self.holder)
        )

    def current_holder(self) -> str | None:
        return lease_holders(self.sql, names=(self.name,))[self.name]


def lease_rows(sql: SqlRunner) -> list[tuple[str, str, bool]]:
    """Every lease row: (job, holder, unexpired by the database's clock)."""
    rows = sql.execute(
        f"SELECT name, holder, expires_at >= {_clock(sql.database.kind)} FROM {LEASES} "
        "ORDER BY name"
    )
    return [(str(name), str(holder), bool(live)) for name, holder, live in rows]


def lease_holders(sql: SqlRunner, *, names: tuple[str, ...] = JOBS) -> dict[str, str | None]:
    """Who holds each job's lease now (None: nobody, or a holder whose lease ran out)."""
    held = {name: holder for name, holder, live in lease_rows(sql) if live}
    return {name: held.get(name) for name in names}


Job = Callable[[threading.Event], None]  # runs until the event is set
T = TypeVar("T")


def start_leased(lease: Lease, job: Job, *, name: str) -> Callable[[], None]:
    """Run `job` in a thread while this process holds `lease`, waiting for it otherwise, until
    stopped; returns a function that stops it (releasing the lease) and waits."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_while_holding, args=(lease, job, stop), name=name, daemon=True
    )
    thread.start()

    def stopper() -> None:
        stop.set()
        thread.join(timeout=JOB_STOP_SECONDS)

    return stopper


def run_while_holding(lease: Lease, job: Job, stop: threading.Event) -> None:
    """Until `stop`: wait for the lease, run `job` while it is held (renewing it), stop the job
    when it is lost. A job that fails starts again after a pause; a job that ends by itself
    (e.g. a sealer that found the ledger inconsistent) lets the lease go to another process."""
    waiting_for = ""
    try:
        while not stop.is_set():
            try:
                held = lease.take()
            except Exception as error:  # the database away: say so, look again
                log.warning("lease %s: could not take it (%s); trying again", lease.name, error)
                held = False
            if not held:  # the holder take() saw; asked again only after a lost race
                holder = lease.other or _quietly(lease.current_holder) or "nobody"
                if holder != waiting_for:
                    log.info("lease %s is held by %s; waiting", lease.name, holder)
                    waiting_for = holder
                # Looking again when the hold runs out, if that is sooner: a dead holder's job
                # resumes within LEASE_SECONDS of its last renewal, not up to RENEW_SECONDS later.
                left = lease.expires_in
                stop.wait(RENEW_SECONDS if left is None else min(RENEW_SECONDS, left + 0.05))
                continue
            waiting_for = ""
            ended = _work_while_held(lease, job, stop)
            if ended == "finished":
                return
            if ended == "failed":
                _quietly(lease.release)
                stop.wait(FAILED_JOB_PAUSE_SECONDS)
    finally:
        if lease.held:
            _quietly(lease.release)


def _work_while_held(lease: Lease, job: Job, stop: threading.Event) -> str:
    """Run the job in a thread of its own and renew the lease; "stopped", "lost", "failed" (the
    job raised) or "finished" (the job returned by itself)."""
    until = threading.Event()
    failed = threading.Event()

    def work() -> None:
        try:
            job(until)
        except Exception:
            log.exception("%s failed; starting again in %g s", lease.name, FAILED_JOB_PAUSE_SECONDS)
            failed.set()

    worker = threading.Thread(target=work, name=f"modelgov-{lease.name}", daemon=True)
    worker.start()
    try:
        while not stop.is_set():
            renew_at = time.monotonic() + RENEW_SECONDS
            while worker.is_alive() and not stop.wait(SLICE_SECONDS):  # prompt either way
                if time.monotonic() >= renew_at:
                    break
            if not worker.is_alive():
                return "failed" if failed.is_set() else "finished"
            if stop.is_set():
                break
            try:
                renewed = lease.take()
            except Exception as error:  # cannot renew: stop before another process takes over
                log.warning(
                    "lease %s: could not renew it (%s); stopping the job", lease.name, error
                )
                renewed = False
            if not renewed:
                log.warning("lease %s: lost it; stopping the job here", lease.name)
                lease.held = False
                return "lost"
        return "stopped"
    finally:  # a Ctrl-C in the thread that holds the lease ends the job too
        until.set()
        worker.join(JOB_STOP_SECONDS)
        if worker.is_alive():
            log.error("%s did not stop within %g s", lease.name, JOB_STOP_SECONDS)


def _quietly(action: Callable[[], T]) -> T | None:
    try:
        return action()
    except Exception:  # the database away: the lease runs out by itself
        return None
