"""Carrying out commands: a command's job, committed under the one retry policy, waited for in a
thread (`handle`) or in an event loop (`handle_awaited`), alone or in the group committer's batches.

`Handling` is the command side of `Governance` (application/governance.py), which gives it the
`Store` its batches load and save through; the query side stays there.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from application.commit import GroupCommitter, Job, Store, run_job
from application.errors import EffectiveTimeInFutureError
from application.receipts import IdempotentRequest
from application.results import Recorded
from application.retry import RETRIES
from domain.commands import Command
from domain.instants import utc_text
from domain.values import Attribution

R = TypeVar("R")

# How far an event's effective time may run ahead of the recording clock (clocks differ a little).
CLOCK_SKEW = timedelta(minutes=5)


class Handling:
    """The command side of an application: `_store` to commit through, and, once group commits
    are enabled, `_committer`."""

    _store: Store
    _committer: GroupCommitter | None = None

    def handle(
        self,
        command: Command[R],
        *,
        by: Attribution,
        expected_revision: int | None = None,
        request: IdempotentRequest | None = None,
    ) -> Recorded[R]:
        """Carry out a command on its model and save what it recorded, with its receipt.

        `expected_revision`: refuse (StaleVersionError) unless the model is at this revision.
        `request`: the Idempotency-Key request whose answer is saved with the events. A command
        that loses a write race runs again on the fresh model (application/retry.py), unless it
        expected a revision.
        """
        job = self._job(command, by, expected_revision, request)
        run = partial(run_job, job, self._store, self._committer)
        if expected_revision is not None:
            return run()
        return RETRIES.run(run, runs=lambda: job.runs)

    async def handle_awaited(
        self,
        command: Command[R],
        *,
        by: Attribution,
        expected_revision: int | None = None,
        request: IdempotentRequest | None = None,
    ) -> Recorded[R]:
        """As `handle`, awaited in an event loop (the API's command routes): with group commits,
        the command waits for its batch without holding a thread, which saves a thread hop per
        command (bench/README.md, "HTTP API benchmark"); without, it runs in a worker thread."""
        committer = self._committer
        if committer is None:
            return await asyncio.to_thread(
                self.handle, command, by=by, expected_revision=expected_revision, request=request
            )
        job = self._job(command, by, expected_revision, request)
        attempt = partial(committer.awaited, job)
        if expected_revision is not None:
            return await attempt()
        return await RETRIES.run_awaited(attempt, runs=lambda: job.runs)

    def _job(
        self,
        command: Command[Any],
        by: Attribution,
        expected_revision: int | None,
        request: IdempotentRequest | None,
    ) -> Job:
        self._check_not_in_future(by)
        return Job(command=command, by=by, expected_revision=expected_revision, request=request)

    @staticmethod
    def _check_not_in_future(by: Attribution) -> None:
        recorded = by.recorded_at or datetime.now(UTC)
        if by.effective_at > recorded + CLOCK_SKEW:
            raise EffectiveTimeInFutureError(
                f"effective_at {utc_text(by.effective_at)} is after the moment it is recorded "
                f"({utc_text(recorded)}); record an event when it has happened"
            )

    def enable_group_commits(self, *, max_batch: int = 64) -> None:
        """From now on, commands from many threads are saved several at a time (see application/commit.py)."""
        if self._committer is None:
            self._committer = GroupCommitter(self._store, max_batch=max_batch)
