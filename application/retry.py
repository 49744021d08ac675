"""One retry policy for every caller: a command that lost a write race runs again on the fresh model.

Another writer (another process; within one, the group committer serialises) may record on a
model between a command's read and its save: the save fails, nothing of the command is recorded
(ConcurrencyConflictError), and the command is run again on the model as it is now, its rules
checked again. A command runs at most `attempts` times in all, counting a group commit's
one-by-one rerun of a batch that lost a race. A command based on an expected revision is not run
again on a changed model: that answer (412) is its caller's to act on. `run` waits in its thread;
`run_awaited`, the same policy in an event loop, waits without holding one.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from application.errors import ConcurrencyConflictError

T = TypeVar("T")


def _nothing() -> None:
    pass


@dataclass(frozen=True)
class RetryPolicy:
    """How many runs a command gets, and how long it waits (at random, growing) between them."""

    attempts: int
    backoff_seconds: float

    def run(
        self,
        attempt: Callable[[], T],
        *,
        runs: Callable[[], int] | None = None,
        before_again: Callable[[], None] = _nothing,
    ) -> T:
        """`attempt()` until it does not lose a write race; `runs()` counts the runs so far when
        an attempt can run the command more than once (a group commit's rerun)."""
        calls = 0
        while True:
            calls += 1
            try:
                return attempt()
            except ConcurrencyConflictError:
                pause = self._pause(runs() if runs is not None else calls)
                if pause is None:
                    raise
                before_again()
                time.sleep(pause)

    async def run_awaited(
        self, attempt: Callable[[], Awaitable[T]], *, runs: Callable[[], int] | None = None
    ) -> T:
        """As `run`, for an attempt awaited in an event loop: it waits between runs without
        holding a thread."""
        calls = 0
        while True:
            calls += 1
            try:
                return await attempt()
            except ConcurrencyConflictError:
                pause = self._pause(runs() if runs is not None else calls)
                if pause is None:
                    raise
                await asyncio.sleep(pause)

    def _pause(self, done: int) -> float | None:
        """How long to wait before the next run, after `done` runs; None: no run is left."""
        if done >= self.attempts:
            return None
        return random.uniform(0, self.backoff_seconds * done)


# Conflicts come from writers the group commit does not serialise: other processes, and this
# process's monitoring (which saves on its own). 8 clients on one model through 2 workers
# (bench/api.py) lost 8-29 commands in about 4,000 with 5 runs, 0-1 with 10.
RETRIES = RetryPolicy(attempts=10, backoff_seconds=0.01)
