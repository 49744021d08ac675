"""A rebuild's work split across processes, by model.

Every read model row belongs to one model, and each projection's changes for a model depend on
that model's events alone. So a rebuild with `processes` > 1 starts helper processes, and each
batch of positions is split by model (`ShareReader`, by the model id's last byte; the
rebuilding process takes a smaller share, as it also writes): each process reads its share's events of the
batch straight from the events table (`ShareReader`) and makes their statements. A writer thread
of the rebuilding process writes every share's statements and the new tracking positions in one
transaction, as a rebuild in one process does, while the next batch is made: a failure between
two batches leaves the read models consistent at the last batch written, for `modelgov
projections run` (or the follower) to go on from.

Helpers open the store read-only and write nothing. They are started with `spawn` (not `fork`:
the rebuilding process may hold a pool's threads and its connections).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import Notification

from application.progress import Progress
from application.projections.projection import Projection
from infrastructure.db.append_only import event_position, event_tables
from infrastructure.db.faults import one_line
from infrastructure.db.sql import SqlRunner
from infrastructure.projections.batch_statements import BatchStatements, collector_paused
from infrastructure.projections.row_sql import Statement
from infrastructure.settings import Settings

if TYPE_CHECKING:  # the runner starts the helpers: no import of it at run time
    from infrastructure.projections.runner import ProjectionRunner

HELPER_STOP_SECONDS = 10.0  # idle helpers are asked to stop, then terminated after this long
MOST_PROCESSES = 8  # the default's ceiling: each helper holds two database connections
GO_ON = (
    "the batches written before stay: run `modelgov projections run` to go on, or "
    "`modelgov projections rebuild` to start again"
)


class RebuildHelperError(RuntimeError):
    """A helper process of a rebuild failed or stopped; the batches written before stay."""


class HelperFailedError(Exception):
    """What failed in a helper, as its traceback's text: the cause of a RebuildHelperError."""


def processes_for(events: int, batch: int) -> int:
    """The processes a rebuild of `events` in batches of `batch` uses unless told: one per core
    this process may run on (at most MOST_PROCESSES) from two batches on (a helper takes about
    half a second to start), one below that."""
    return 1 if events < 2 * batch else min(len(os.sched_getaffinity(0)), MOST_PROCESSES)


def slots_of(share: int) -> tuple[int, ...]:
    """The slots of a share: the model id's last byte modulo 2 x shares - 1 picks a model's
    slot; slot 0 is the rebuilding process's (share 0), and each helper has two, as the
    rebuilding process also writes every batch."""
    return (0,) if share == 0 else (2 * share - 1, 2 * share)


# The last byte of a model id in SQL: SQLite keeps ids as hex text (the last two characters),
# PostgreSQL as uuid; and a remainder (`mod` on PostgreSQL, where psycopg reads `%` as a
# placeholder; SQLite may be built without its math functions).
LAST_BYTE = {
    "sqlite": "((instr('0123456789abcdef', lower(substr(originator_id, -2, 1))) - 1) * 16"
    " + instr('0123456789abcdef', lower(substr(originator_id, -1, 1))) - 1)",
    "postgres": "get_byte(uuid_send(originator_id), 15)",
}


_MODULO = {
    "sqlite": lambda value, by: f"({value}) % {by}",
    "postgres": lambda value, by: f"mod({value}, {by})",
}


class ShareReader:
    """The events of one share of the models (`slots_of`) at positions start..stop, read
    straight from the events table with the share's filter, so that no process reads the rows
    of another's (the library's `select_notifications` has no such filter)."""

    def __init__(self, sql: SqlRunner, share: int, shares: int) -> None:
        self.sql = sql
        kind = sql.database.kind
        table, key = event_tables(kind)[0], event_position(kind)
        slots = ", ".join(str(slot) for slot in slots_of(share))
        self._select = (
            f"SELECT {key}, originator_id, originator_version, topic, state FROM {table} "
            f"WHERE {key} BETWEEN ? AND ? AND {_MODULO[kind](LAST_BYTE[kind], 2 * shares - 1)} "
            f"IN ({slots}) "
            f"ORDER BY {key}"
        )

    def rows(self, start: int, stop: int) -> list[Notification]:
        return [
            Notification(
                id=position,
                originator_id=model_id if isinstance(model_id, UUID) else UUID(model_id),
                originator_version=revision,
                topic=topic,
                state=bytes(state),
            )
            for position, model_id, revision, topic, state in self.sql.execute(
                self._select, (start, stop), binary=True
            )
        ]


def _help(
    connection: Connection, settings: Settings, kinds: Sequence[type[Projection]],
    share: int, shares: int,
) -> None:  # fmt: skip
    """A helper's life: for each (start, stop) asked, how many events of its share there are at
    positions start..stop and their statements, in the order of `kinds`; None asked: stop. A
    failure is sent back as ("error", (the error on one line, its traceback)) and ends it."""
    from infrastructure.db.store import open_governance  # in the helper: not at import

    governance = sql = None
    try:
        reading = settings.for_reading()
        governance = open_governance(reading)
        sql = SqlRunner(reading.database)
        reader = ShareReader(sql, share, shares)
        projections = [kind() for kind in kinds]
        statements = BatchStatements(governance, projections)
        connection.send(("ready", None))
        while (asked := connection.recv()) is not None:
            batch = reader.rows(*asked)
            with collector_paused():
                made = statements.of(projections, batch)
            connection.send(("ok", (len(batch), made)))
    except BaseException as error:  # everything, KeyboardInterrupt included, goes back as text
        said = f"{type(error).__name__}: {one_line(error)}", traceback.format_exc(limit=8)
        with contextlib.suppress(OSError):  # unless the rebuilding process is gone
            connection.send(("error", said))
    finally:
        if sql is not None:
            sql.close()
        if governance is not None:
            governance.close()
        connection.close()


@dataclass
class Helper:
    process: Any  # multiprocessing's SpawnProcess
    connection: Connection
    share: int
    ready: bool = False  # it has opened the store (nothing is emptied before every helper is)
    pending: bool = True  # an answer is owed (the first: "ready"); it may block sending it

    def ask(self, start: int, stop: int) -> None:
        """Ask for the statements of the events at positions start..stop."""
        try:
            self.connection.send((start, stop))
        except OSError:
            raise self._stopped() from None
        self.pending = True

    def answer(self) -> Any:
        """The helper's next answer; RebuildHelperError if it failed or stopped."""
        try:
            kind, value = self.connection.recv()
        except (EOFError, OSError):
            raise self._stopped() from None
        self.pending = False
        if kind == "error":
            said, where = value
            raise RebuildHelperError(
                f"rebuild helper {self.share} failed: {said}; {self._after()}"
            ) from HelperFailedError(where)
        self.ready = True
        return value

    def _stopped(self) -> RebuildHelperError:
        self.process.join(timeout=HELPER_STOP_SECONDS)
        code = self.process.exitcode
        return RebuildHelperError(
            f"rebuild helper {self.share} stopped (exit code {code}); {self._after()}"
        )

    def _after(self) -> str:
        return GO_ON if self.ready else "before it was ready: nothing was changed"

    def stop(self, deadline: float) -> None:
        """Ask an idle helper to end; one owing an answer (a rebuild stopped part-way) may be
        blocked sending it, and is terminated. Terminated too if still alive at `deadline`."""
        if not self.pending:
            with contextlib.suppress(OSError):  # it is gone already
                self.connection.send(None)
            self.process.join(timeout=max(0.0, deadline - time.monotonic()))
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
        self.connection.close()


class Helpers:
    """The helpers of one rebuild: `ask` each for its share of a batch, then `collect`."""

    def __init__(self, helpers: Sequence[Helper]) -> None:
        self.helpers = list(helpers)
        self.shares = len(self.helpers) + 1

    def ask(self, start: int, stop: int) -> None:
        for helper in self.helpers:
            helper.ask(start, stop)

    def collect(self) -> tuple[int, list[Statement]]:
        """How many events the helpers' shares of the batch hold, and their statements."""
        events, statements = 0, []
        for helper in self.helpers:
            count, made = helper.answer()
            events += count
            statements += made
        return events, statements


@contextmanager
def helpers_started(
    settings: Settings, projections: Sequence[Projection], processes: int
) -> Iterator[Helpers]:
    """`processes` - 1 helpers, ready (each has opened the store), stopped when the block ends."""
    context = multiprocessing.get_context("spawn")
    kinds = [type(projection) for projection in projections]
    # A helper reads on one thread: the store's one connection, not a pool's worth (and its
    # ShareReader's).
    settings = settings.model_copy(update={"pg_pool_size": 1})
    started: list[Helper] = []
    try:
        for share in range(1, processes):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=_help, args=(theirs, settings, kinds, share, processes),
                name=f"modelgov-rebuild-{share}", daemon=True,
            )  # fmt: skip
            process.start()
            theirs.close()
            started.append(Helper(process, ours, share))
        for helper in started:
            helper.answer()  # "ready", or why not
        yield Helpers(started)
    finally:
        deadline = time.monotonic() + HELPER_STOP_SECONDS
        for helper in started:
            helper.stop(deadline)


def catch_up_in_shares(
    runner: ProjectionRunner, helpers: Helpers, *, progress: Progress | None
) -> int:
    """`catch_up` from empty projections, in batches of positions: each batch's statements made
    by this process and `helpers`, each for its share of the models, and written with the
    positions by a writer thread, a batch at a time, in order, while the next one is made."""
    head = runner.governance.recorder.max_notification_id() or 0
    group, total, after, width = list(runner.projections), 0, 0, runner.rebuild_batch
    reader = ShareReader(runner.sql, 0, helpers.shares)
    runner.forgettings.look(up_to=0)  # from here, each batch written looks for a forgetting
    if head:
        helpers.ask(1, min(width, head))
    writing: tuple[Future[bool], int] | None = None  # a batch being written, its applications
    with runner.lock, ThreadPoolExecutor(1, thread_name_prefix="rebuild-writer") as writer:
        try:
            while True:
                last = min(after + width, head)
                if after < head:
                    if progress is not None:
                        progress(after, head)
                    mine = reader.rows(after + 1, last)
                    with collector_paused():
                        made = runner.statements.of(group, mine)
                    events, theirs = helpers.collect()
                    made += theirs
                    events += len(mine)
                    if last < head:
                        helpers.ask(last + 1, min(last + width, head))
                if writing is not None:  # the batch before this one, written meanwhile
                    if not writing[0].result():
                        break  # another runner applied it first
                    total += writing[1]
                    writing = None
                if after >= head:
                    if progress is not None:
                        progress(after, head)
                    return total
                future = writer.submit(
                    runner.write_batch, group, after=after, notifications=mine, made=made,
                    last=last,
                )  # fmt: skip
                writing = (future, events * len(group))
                after = last
        except BaseException:
            for projection in group:
                projection.reset()
            raise
    for projection in group:  # go on as the other runner does, in one process
        projection.reset()
    return total + runner.catch_up(progress=progress, limit=runner.rebuild_batch)
