"""One retry policy: a command that loses a write race runs again, a bounded number of times."""

from __future__ import annotations

import asyncio

import pytest

from application.errors import ConcurrencyConflictError, ModelNotFoundError
from application.retry import RETRIES, RetryPolicy

NO_WAIT = RetryPolicy(attempts=3, backoff_seconds=0)


def test_a_command_that_keeps_losing_races_runs_at_most_the_attempts_and_then_says_so() -> None:
    runs: list[int] = []
    again: list[int] = []

    def conflict() -> None:
        runs.append(1)
        raise ConcurrencyConflictError("another writer came first")

    with pytest.raises(ConcurrencyConflictError):
        NO_WAIT.run(conflict, before_again=lambda: again.append(1))
    assert len(runs) == 3 and len(again) == 2


def test_a_command_that_wins_on_a_later_run_returns_its_answer() -> None:
    runs: list[int] = []

    def second_time_lucky() -> str:
        runs.append(1)
        if len(runs) < 2:
            raise ConcurrencyConflictError("another writer came first")
        return "recorded"

    assert NO_WAIT.run(second_time_lucky) == "recorded"
    assert len(runs) == 2


def test_runs_already_made_elsewhere_count_toward_the_attempts() -> None:
    """A group commit's one-by-one rerun counts: the caller's count is the command's own."""
    runs = [0]

    def ran_twice_per_attempt() -> None:
        runs[0] += 2
        raise ConcurrencyConflictError("another writer came first")

    with pytest.raises(ConcurrencyConflictError):
        NO_WAIT.run(ran_twice_per_attempt, runs=lambda: runs[0])
    assert runs[0] == 4  # 2 runs, then 4 >= 3: no third attempt


def test_a_refusal_is_never_retried() -> None:
    runs: list[int] = []

    def refused() -> None:
        runs.append(1)
        raise ModelNotFoundError("no model named 'nope' is registered")

    with pytest.raises(ModelNotFoundError):
        NO_WAIT.run(refused)
    assert runs == [1]


def test_every_caller_shares_one_policy_with_a_bounded_wait() -> None:
    """Enough runs for one model written through several workers, a bounded wait in all."""
    worst_wait = sum(RETRIES.backoff_seconds * done for done in range(1, RETRIES.attempts))
    assert 1 < RETRIES.attempts <= 10 and worst_wait <= 0.5


def test_the_awaited_form_keeps_the_same_policy() -> None:
    """`run_awaited` (a command awaited in an event loop): the same bound, the same answers."""
    runs: list[int] = []

    async def conflict() -> None:
        runs.append(1)
        raise ConcurrencyConflictError("another writer came first")

    async def second_time_lucky() -> str:
        runs.append(1)
        if len(runs) < 2:
            raise ConcurrencyConflictError("another writer came first")
        return "recorded"

    with pytest.raises(ConcurrencyConflictError):
        asyncio.run(NO_WAIT.run_awaited(conflict))
    assert len(runs) == 3
    runs.clear()
    assert asyncio.run(NO_WAIT.run_awaited(second_time_lucky)) == "recorded"
    assert len(runs) == 2
    counted = [0]

    async def ran_twice_per_attempt() -> None:
        counted[0] += 2
        raise ConcurrencyConflictError("another writer came first")

    with pytest.raises(ConcurrencyConflictError):
        asyncio.run(NO_WAIT.run_awaited(ran_twice_per_attempt, runs=lambda: counted[0]))
    assert counted[0] == 4
