"""Running projections: follow the event log, apply each batch of events and advance the
projections' tracking positions in one transaction (exactly once); wake on new events."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from application.governance import Governance
from application.progress import Progress
from application.projections.admission import Admission
from application.projections.catalog import Catalog
from application.projections.model_documents import ModelStates
from application.projections.projection import Projection
from application.projections.targets import TargetHistory
from application.projections.usage import UsageWindows
from application.projections.versions import VersionCards
from infrastructure.db.layout import (
    READ_WRITE,
    application_roles,
    grant_statements,
    inspect_layout,
)
from infrastructure.db.personal_data import PersonalDataCipher
from infrastructure.db.sql import SqlRunner
from infrastructure.lag_watch import DEFAULT_LAG_WARNING, LagWatch
from infrastructure.projections.batch_statements import (
    PROJECTION_TRACKING,
    SET_POSITION,
    BatchStatements,
    collector_paused,
    tracking,
)
from infrastructure.projections.event_signal import EventSignal, signal_for
from infrastructure.projections.forgettings import Forgettings
from infrastructure.projections.row_sql import Statement
from infrastructure.projections.shares import catch_up_in_shares, helpers_started
from infrastructure.projections.tables import create_statements
from infrastructure.settings import Settings

log = logging.getLogger("modelgov.projections")

# A follower's passes start at most this often (`ProjectionRunner.run`): a pass costs a few
# statements and a transaction whatever its events, so a busy store's events share passes.
COALESCE_SECONDS = 0.05


def default_projections() -> list[Projection]:
    return [
        Catalog(), VersionCards(), UsageWindows(), TargetHistory(), ModelStates(), Admission()
    ]  # fmt: skip


@dataclass
class ProjectionRunner:
    """Applies events to every projection; each projection keeps its own position.

    Projections at the same position share a batch: its events are read and decoded once and
    applied to each of them in one transaction. One runner applies one batch at a time, whichever
    thread asks (the background follower, a CLI command). Requests never apply anything: a
    reader that must see a write waits (`wait_for`) until the follower has applied it.
    Personal values in the projections' statements are written sealed by `cipher`, under the
    store's data key; readers open them with the same cipher.

    Why not the library's `eventsourcing.projection` runner and `TrackingRecorder`: they follow
    the log through a subscription, which the SQLite recorder of eventsourcing 9.5.6 does not
    have, and they apply one event per tracking record; this runner polls on SQLite, listens
    on PostgreSQL (event_signal.py) and applies a batch for several projections at once.
    """

    governance: Governance
    sql: SqlRunner
    projections: Sequence[Projection]
    batch: int = 2000
    # A rebuild's batches: fewer, larger transactions, and each touched model's documents
    # rendered once per batch (model_documents.py), at the cost of holding SQLite's write lock
    # for longer (about a second for 10,000 events) while a rebuild runs.
    rebuild_batch: int = 10_000
    signal: EventSignal | None = None
    recheck: float = 0.1  # seconds between looks at the positions while a reader waits
    coalesce_seconds: float = COALESCE_SECONDS  # the follower's passes start at most this often
    lag_warning_events: int = DEFAULT_LAG_WARNING  # MODELGOV_LAG_WARNING_EVENTS
    cipher: PersonalDataCipher = field(init=False, repr=False)
    statements: BatchStatements = field(init=False, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _applied: threading.Condition = field(
        default_factory=threading.Condition, init=False, repr=False
    )
    forgettings: Forgettings = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.signal is None:
            self.signal = signal_for(self.sql.database)
        self.statements = BatchStatements(self.governance, self.projections)
        self.cipher = self.statements.cipher
        self.forgettings = Forgettings(self.governance)

    def positions(self) -> dict[str, int]:
        rows = self.sql.execute(f"SELECT projection, position FROM {PROJECTION_TRACKING}")
        known = {str(name): int(position) for name, position in rows}
        return {p.name: known.get(p.name, 0) for p in self.projections}

    def wait_for(self, position: int, *, names: Sequence[str], timeout: float) -> int:
        """Block until the named projections have applied the store's events up to `position`,
        or `timeout` seconds pass; the position the slowest of them reached. Reads the tracking
        positions only, never applies anything: this process's follower wakes the wait when it
        applies a batch; another process's (`modelgov projections run --follow`) is seen by
        looking again every `recheck` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            positions = self.positions()
            reached = min(positions[name] for name in names)
            remaining = deadline - time.monotonic()
            if reached >= position or remaining <= 0:
                return reached
            with self._applied:
                self._applied.wait(min(self.recheck, remaining))

    def wake(self) -> None:
        """Events were written in this process: look for them now (see EventSignal.wake)."""
        assert self.signal is not None
        self.signal.wake()

    def lag(self, *, head: int | None = None) -> int:
        """Events recorded but not yet applied by the slowest projection (up to `head`, the
        newest position if the caller read it already)."""
        if head is None:
            head = self.governance.recorder.max_notification_id() or 0
        return max((head - position for position in self.positions().values()), default=0)

    def run_once(self, *, limit: int | None = None) -> int:
        """Apply up to `limit` (`batch`) new events to each projection; returns how many
        applications."""
        return self._pass(limit=limit)[0]

    def _pass(self, *, limit: int | None = None) -> tuple[int, bool]:
        """`run_once`, and whether a projection may have more to apply at once (it read a full
        batch): when not, every event recorded before the pass read the log is applied."""
        limit = limit or self.batch
        with self.lock:
            positions = self.positions()
            self.forgettings.look(up_to=min(positions.values(), default=0))
            groups: dict[int, list[Projection]] = {}
            for projection in self.projections:
                groups.setdefault(positions[projection.name], []).append(projection)
            applied, more = 0, False
            for after, group in sorted(groups.items()):
                notifications = self.governance.recorder.select_notifications(
                    start=after + 1, limit=limit
                )
                if notifications and self.write_batch(
                    group, after=after, notifications=notifications
                ):
                    applied += len(notifications) * len(group)
                    more = more or len(notifications) == limit
            return applied, more

    def apply(self, projection: Projection, *, after: int, notifications: Sequence[Any]) -> bool:
        """Apply events that follow position `after` to one projection (see `_apply`)."""
        with self.lock:
            return self.write_batch([projection], after=after, notifications=notifications)

    def write_batch(
        self, group: Sequence[Projection], *, after: int, notifications: Sequence[Any],
        made: Sequence[Statement] | None = None, last: int | None = None,
    ) -> bool:  # fmt: skip
        """Apply events that follow position `after`, with the new positions, in one transaction;
        `made`: their statements, made already (a rebuild's shares: `notifications` are then
        this process's share of positions after..`last`), else made here.

        False, and nothing applied, when a projection is no longer at `after` (another runner got
        there first, or the events are a re-delivery): each event is applied exactly once.
        """
        names = [projection.name for projection in group]
        made_here = made is None  # else the maker resets the projections after a failure
        try:
            with collector_paused(), self.sql.transaction() as transaction:
                # Checked inside the transaction, with the rows locked on PostgreSQL (SQLite's
                # BEGIN IMMEDIATE already serialises writers).
                rows = transaction.execute(
                    f"SELECT projection, position FROM {PROJECTION_TRACKING} WHERE projection "
                    f"IN ({', '.join('?' for _ in names)})"
                    + ("" if self.sql.database.kind == "sqlite" else " FOR UPDATE"),
                    names,
                )
                tracked = {str(name): int(position) for name, position in rows}
                if any(tracked.get(name, 0) != after for name in names):
                    return False
                if made is None:
                    made = self.statements.of(group, notifications)
                last = notifications[-1].id if last is None else last
                transaction.execute_all([*made, *tracking(group, last)])
        except BaseException:
            if made_here:
                for projection in group:
                    projection.reset()
            raise
        if made_here:
            self.forgettings.applied(notifications)
        else:  # a forgetting among the other shares' events too
            self.forgettings.look(up_to=last)
        with self._applied:
            self._applied.notify_all()
        return True

    def look_for_forgettings(self) -> None:
        """Look among the events applied since the last look for a forgetting (forgettings.py):
        every process needs it, the one that holds the projections' lease or not (only the
        holder runs `run_once`, which looks too)."""
        with self.lock:
            self.forgettings.look(up_to=min(self.positions().values(), default=0))

    def watch_forgettings(self, stop: threading.Event, *, every_seconds: float = 1.0) -> None:
        """`look_for_forgettings` every `every_seconds` until `stop`."""
        while not stop.wait(every_seconds):
            self.look_for_forgettings()

    def catch_up(self, *, progress: Progress | None = None, limit: int | None = None) -> int:
        """Apply what was recorded up to now (the head read once, so that it ends even while
        others keep writing), `limit` (`batch`) events at a time; returns applications. For
        commands, never for requests. `progress` hears the slowest projection's position
        against that head."""
        head = self.governance.recorder.max_notification_id() or 0
        total = 0
        while (reached := min(self.positions().values(), default=head)) < head:
            if progress is not None:
                progress(reached, head)
            applied = self.run_once(limit=limit)
            if not applied:
                break
            total += applied
        if progress is not None:
            progress(min(self.positions().values(), default=head), head)
        return total

    def rebuild(
        self, *, progress: Progress | None = None, processes: int = 1,
        settings: Settings | None = None,
    ) -> int:  # fmt: skip
        """Empty every projection's tables and position, and apply all events again.

        A role that owns the tables drops and re-creates them (a projection's columns may have
        changed) and grants the application roles their privileges again; a role that does not
        (the application's, in a two-role set-up) deletes their rows. `processes` > 1: the work
        split by model across that many processes, the helpers opening the store that
        `settings` name (shares.py).
        """
        if processes <= 1:
            self._empty()
            return self.catch_up(progress=progress, limit=self.rebuild_batch)
        if settings is None:
            raise ValueError("a rebuild in several processes needs the store's settings")
        with helpers_started(settings, self.projections, processes) as helpers:
            self._empty()
            return catch_up_in_shares(self, helpers, progress=progress)

    def _empty(self) -> None:
        owned = inspect_layout(self.sql).owned
        roles = application_roles(self.sql) if owned else []
        with self.lock:
            for projection in self.projections:
                projection.reset()
                statements = [
                    f"DROP TABLE IF EXISTS {t}" if owned else f"DELETE FROM {t}"
                    for t in projection.tables
                ]
                if owned:
                    statements += create_statements(projection.tables)
                for role in roles:
                    statements += grant_statements(
                        schema=self.sql.database.pg_schema, role=role,
                        privileges={table: READ_WRITE for table in projection.tables},
                    )  # fmt: skip
                for statement in statements:
                    self.sql.execute(statement)
                self.sql.execute(SET_POSITION, (projection.name, 0))  # a row at 0, not none

    def run(
        self, stop: threading.Event, *, poll_seconds: float | None = None, log_every: float = 60.0
    ) -> None:
        """Follow the event log until `stop` is set: woken by this process's writes and, on
        PostgreSQL, by every process's (NOTIFY), and looking every `poll_seconds` in any case
        (the signal's default; on SQLite, the only way for other processes' writes).

        Passes start at most every `coalesce_seconds`: a wake-up within that time of the last
        pass's start waits out the rest, so that a burst of writes is applied in one batch
        instead of one pass per event. An event is applied within `coalesce_seconds` plus a
        pass of its being recorded in this process (or notified) when the follower is idle, and
        within about two passes when it arrives during one; behind a backlog larger than
        `batch`, after the passes ahead of it."""
        assert self.signal is not None
        poll = self.signal.poll_seconds if poll_seconds is None else poll_seconds
        logged = 0.0
        names = ", ".join(projection.name for projection in self.projections)
        watch = LagWatch(f"projections ({names})", self.lag_warning_events, log)
        while not stop.is_set():
            watch.look(self.lag)
            started = time.monotonic()
            # Wake-ups so far are about events this pass reads: one pass answers them all.
            self.signal.drain()
            applied, more = self._pass()
            if time.monotonic() - logged >= log_every:
                log.info("projections applied %d event(s); lag %d", applied, self.lag())
                logged = time.monotonic()
            if more:
                continue
            if self.signal.wait(stop, poll):
                pause = self.coalesce_seconds - (time.monotonic() - started)
                if pause > 0:
                    stop.wait(pause)

    def close(self) -> None:
        if self.signal is not None:
            self.signal.close()
