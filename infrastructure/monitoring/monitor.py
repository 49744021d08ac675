"""Running monitoring: follow the observations table (evaluation) and the event log (the game
plan's responses, cost budgets), each from a tracked position, woken early by new input.

Restart-safe: positions advance after what they cover is recorded. A batch judged again after a
crash or a failure records nothing twice (an opening that a recorded breach already covers is not
repeated; a response to a breach that is over does nothing), and the windows are restored from
the stored observations. One process judges at a time: the monitor's lease (infrastructure/leases.py),
so several `serve` processes on one database take turns, never judge twice.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from application.feed import read_feed
from application.governance import Governance
from application.monitoring.evaluation import Key
from application.monitoring.observations import Observation
from application.monitoring.service import Monitoring, Outcome
from infrastructure.background import follow
from infrastructure.db.sql import SqlRunner
from infrastructure.lag_watch import DEFAULT_LAG_WARNING, LagWatch
from infrastructure.leases import MONITOR, WEBHOOKS, Lease, start_leased
from infrastructure.monitoring.observation_table import ObservationStore
from infrastructure.projections.runner import ProjectionRunner
from infrastructure.webhooks.delivery import Deliverer

log = logging.getLogger("modelgov.monitoring")

TRACKING = "modelgov_monitor_tracking"
HISTORY_LIMIT = 1_000  # observations restored per key after a restart
ATTEMPTS_PER_BATCH = 3  # a batch that keeps failing is skipped (and logged) after this many
EVALUATOR = "evaluator"
REACTOR = "reactor"
REACT_SCAN = 50_000  # positions the reactor looks at, at most, per run


@dataclass
class MonitorRunner:
    """Evaluates new observations and reacts to new events; `run_once()` or `run()` until stopped."""

    governance: Governance
    sql: SqlRunner
    batch: int = 10_000
    lag_warning_events: int = DEFAULT_LAG_WARNING  # MODELGOV_LAG_WARNING_EVENTS
    monitoring: Monitoring = field(init=False)
    observations: ObservationStore = field(init=False)
    wake: threading.Event = field(default_factory=threading.Event)
    totals: Outcome = field(default_factory=Outcome)
    _failures: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.monitoring = Monitoring(self.governance)
        self.observations = ObservationStore(self.sql)

    def position(self, name: str) -> int:
        rows = self.sql.execute(f"SELECT position FROM {TRACKING} WHERE name = ?", (name,))
        return int(rows[0][0]) if rows else 0

    def _advance(self, name: str, position: int) -> None:
        self.sql.execute(
            f"INSERT INTO {TRACKING} (name, position) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET position = excluded.position",
            (name, position),
        )

    def evaluate_once(self) -> int:
        """Judge the observations stored since the last run; returns how many were judged."""
        after = self.position(EVALUATOR)
        observations = self.observations.after(after, limit=self.batch)
        if not observations:
            return 0
        first = observations[0].position
        by_model: dict[str, list[Observation]] = defaultdict(list)
        for observation in observations:
            by_model[observation.model].append(observation)

        def history(model: str, key: Key) -> tuple[list[Observation], bool]:
            stored = self.observations.recent(model, key, before=first, limit=HISTORY_LIMIT)
            return stored, len(stored) < HISTORY_LIMIT

        for model, batch in by_model.items():
            try:
                outcome = self.monitoring.evaluate(model, batch, history)
            except Exception:
                # Judged again from the stored observations next time; after a few failures of
                # the same batch, the model's part of it is skipped so the others go on.
                self.monitoring.evaluator.forget()
                failures = self._failures[first] = self._failures.get(first, 0) + 1
                if failures < ATTEMPTS_PER_BATCH:
                    raise
                log.exception(
                    "monitoring: %d observation(s) of %s at positions %d-%d skipped after %d "
                    "failed attempts", len(batch), model, batch[0].position, batch[-1].position,
                    failures,
                )  # fmt: skip
                continue
            self._log(model, outcome)
        self._failures.pop(first, None)
        self._advance(EVALUATOR, observations[-1].position)
        return len(observations)

    def react_once(self, *, limit: int = 500) -> int:
        """React to the events recorded since the last run; returns how many positions it
        looked at. Only the kinds reacted to are read (by topic, in the store: the others are
        never decoded), and the position moves past every event looked at, of any kind."""
        after = self.position(REACTOR)
        # Read before the events, and the end of what this run looks at: an event committed
        # meanwhile is after it. Events commit in position order (the library locks the events
        # table for each write on PostgreSQL; SQLite has one writer), so none recorded later
        # can come before it.
        stop = min(self.governance.recorder.max_notification_id() or 0, after + REACT_SCAN)
        if stop <= after:
            return 0
        page = read_feed(
            self.governance, after=after, limit=limit, topics=Monitoring.REACTS_TO, stop=stop
        )
        for _, model, event in page.entries:
            self._log(model, self.monitoring.react(model, event))
        # Once per read, not per event: reacting again after a crash does nothing (a response
        # to a breach that is over, or a cost judgement already recorded, records nothing).
        # A full page ends at its last event, the rest of the range is read next time.
        reached = stop if page.at_end else page.scanned_to
        self._advance(REACTOR, reached)
        return reached - after

    def run_once(self) -> int:
        return self.evaluate_once() + self.react_once()

    def catch_up(self) -> int:
        total = 0
        while done := self.run_once():
            total += done
        return total

    def lag(self, *, head: int | None = None) -> dict[str, int]:
        """Observations and events not yet looked at (events up to `head`, the newest position
        if the caller read it already)."""
        if head is None:
            head = self.governance.recorder.max_notification_id() or 0
        return {
            "observations": self.observations.last_position() - self.position(EVALUATOR),
            "events": head - self.position(REACTOR),
        }

    def _log(self, model: str, outcome: Outcome) -> None:
        self.totals.merge(outcome)
        # Breaches opened and what the game plan did about them have lines of their own, with
        # their fields (application/monitoring/service.py).
        for what, items in (
            ("closed breach", outcome.breaches_closed),
            ("raised bias flag", outcome.bias_flags),
        ):
            for item in items:
                log.info("%s %s", what, item)

    def run(self, stop: threading.Event, *, poll_seconds: float = 0.25) -> None:
        """Until `stop` is set (run it under the monitor's lease: `start_monitoring`); `wake`
        (set by the API after storing observations) cuts a poll short. Meanwhile the batches
        this process stores are judged from memory, not read back (ObservationStore.keeping); the
        position still advances only once they are judged, so a crash loses none of them."""
        watch = LagWatch("monitoring (observations and events)", self.lag_warning_events, log)
        with self.observations.keeping():
            while not stop.is_set():
                self.wake.clear()
                try:
                    watch.look(lambda: max(self.lag().values()))
                    done = self.run_once()
                except Exception:  # keep monitoring after a database hiccup; say what happened
                    log.exception("monitoring failed; retrying in 5 s")
                    stop.wait(5)
                    continue
                if done == 0:
                    self.wake.wait(poll_seconds)


def start_monitoring(
    monitor: MonitorRunner, outbox: ProjectionRunner, deliverer: Deliverer
) -> list[Callable[[], None]]:
    """Evaluation and the game plans' responses under the monitor's lease; the webhooks' outbox
    and their delivery under the webhooks' lease; returns their stoppers."""
    return [
        start_leased(Lease(monitor.sql, MONITOR), monitor.run, name="modelgov-monitoring"),
        start_leased(
            Lease(deliverer.sql, WEBHOOKS),
            partial(deliver_webhooks, outbox, deliverer),
            name="modelgov-webhooks",
        ),
    ]


def deliver_webhooks(outbox: ProjectionRunner, deliverer: Deliverer, stop: threading.Event) -> None:
    """Queue new events for their routes (the outbox follows the log: woken by NOTIFY on
    PostgreSQL, polling on SQLite) and deliver what is due, until `stop` is set."""
    stop_feeding = follow(outbox.run, "modelgov-outbox")
    try:
        deliverer.run(stop)
    finally:
        stop_feeding()
