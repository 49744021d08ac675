"""A rebuild's work split across processes, by model.

Every read model row belongs to one model, and each projection's changes for a model depend on
that model's events alone. So a rebuild with `processes` > 1 starts helper processes; each batch
of events is split by model (`share_of`, the model id's number modulo the processes): the
rebuilding process makes the statements of its own share while each helper makes its share's,
from the same batch, read from the store by its own position range. The rebuilding process then
writes every share's statements and the new tracking positions in one transaction, as a rebuild
in one process does: a failure between two batches leaves the read models consistent at the
last batch written, for `modelgov projections run` (or the follower) to go on from.

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

from application.progress import Progress
from application.projections.projection import Projection
from infrastructure.db.faults import one_line
from infrastructure.projections.batch_statements import BatchStatements, collector_paused
from infrastructure.projections.row_sql import Statement
from infrastructure.settings import Settings

if TYPE_CHECKING:  # the runner starts the helpers: no import of it at run time
    from infrastructure.projections.runner import ProjectionRunner

HELPER_STOP_SECONDS = 10.0  # idle helpers are asked to stop, then terminated after this long
MOST_PROCESSES = 8  # the default's ceiling: each helper holds a database connection
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


def share_of(notification: Any, shares: int) -> int:
    """Which process makes the statements of `notification`'s model (0: the rebuilding one)."""
    originator_id = notification.originator_id
    return int(originator_id.int % shares)


def mine(notifications: Sequence[Any], share: int, shares: int) -> list[Any]:
    return [n for n in notifications if share_of(n, shares) == share]


def _help(
    connection: Connection, settings: Settings, kinds: Sequence[type[Projection]],
    share: int, shares: int,
) -> None:  # fmt: skip
    """A helper's life: for each (start, stop) asked, the statements of its share of the events
    at positions start..stop, in the order of `kinds`; None asked: stop. A failure is sent
    back as ("error", (the error on one line, its traceback)) and ends the helper."""
    from infrastructure.db.store import open_governance  # in the helper: not at import

    governance = None
    try:
        governance = open_governance(settings.for_reading())
        projections = [kind() for kind in kinds]
        statements = BatchStatements(governance, projections)
        connection.send(("ready", None))
        while (asked := connection.recv()) is not None:
            start, stop = asked
            batch = governance.recorder.select_notifications(
                start=start, limit=stop - start + 1, stop=stop
            )
            with collector_paused():
                made = statements.of(projections, mine(batch, share, shares))
            connection.send(("ok", made))
    except BaseException as error:  # everything, KeyboardInterrupt included, goes back as text
        said = f"{type(error).__name__}: {one_line(error)}", traceback.format_exc(limit=8)
        with contextlib.suppress(OSError):  # unless the rebuilding process is gone
            connection.send(("error", said))
    finally:
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

    def collect(self) -> list[Statement]:
        return [statement for helper in self.helpers for statement in helper.answer()]


@contextmanager
def helpers_started(
    settings: Settings, projections: Sequence[Projection], processes: int
) -> Iterator[Helpers]:
    """`processes` - 1 helpers, ready (each has opened the store), stopped when the block ends."""
    context = multiprocessing.get_context("spawn")
    kinds = [type(projection) for projection in projections]
    # A helper reads on one thread: one database connection, not a pool's worth.
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
    """`catch_up` from empty projections, each batch's statements made by this process and
    `helpers`, each for its share of the models, and written with the positions by a writer
    thread, a batch at a time, in order: while one is written, the next one is made."""
    head = runner.governance.recorder.max_notification_id() or 0
    group, total, after = list(runner.projections), 0, 0

    def batch_after(position: int) -> Sequence[Any]:
        return runner.governance.recorder.select_notifications(
            start=position + 1, limit=runner.rebuild_batch, stop=head
        )

    batch = batch_after(0) if head else []
    if batch:
        helpers.ask(1, batch[-1].id)
    writing: tuple[Future[bool], int] | None = None  # a batch being written, its applications
    with runner.lock, ThreadPoolExecutor(1, thread_name_prefix="rebuild-writer") as writer:
        try:
            while True:
                if batch:
                    if progress is not None:
                        progress(after, head)
                    with collector_paused():
                        made = runner.statements.of(group, mine(batch, 0, helpers.shares))
                    made += helpers.collect()
                    following = batch_after(batch[-1].id)
                    if following:
                        helpers.ask(batch[-1].id + 1, following[-1].id)
                if writing is not None:  # the batch before this one, written meanwhile
                    if not writing[0].result():
                        break  # another runner applied it first
                    total += writing[1]
                    writing = None
                if not batch:
                    if progress is not None:
                        progress(after, head)
                    return total
                future = writer.submit(
                    runner.write_batch, group, after=after, notifications=batch, made=made
                )
                writing = (future, len(batch) * len(group))
                after, batch = batch[-1].id, following
        except BaseException:
            for projection in group:
                projection.reset()
            raise
    for projection in group:  # go on as the other runner does, in one process
        projection.reset()
    return total + runner.catch_up(progress=progress, limit=runner.rebuild_batch)
