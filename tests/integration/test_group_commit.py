"""Group commits: many threads' commands saved several per transaction, each answered with its own outcome."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from application.commit import GroupCommitter, Job, Store
from application.errors import AnsweredBeforeError, StaleVersionError
from application.governance import Governance
from application.receipts import IdempotentRequest
from application.results import Answer, AnsweredRequest, Recorded
from domain.commands import Activate, ApproveRelease, ReportCost
from domain.errors import ActivationRefusedError, DomainError
from domain.model import Model
from infrastructure.db.store import open_governance
from infrastructure.settings import Settings
from tests.conftest import wait_until
from tests.factories import by, record_of, seed_app_model


def _in_threads(calls: list[Callable[[], Any]]) -> list[Any]:
    outcomes: list[Any] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = calls[index]()
        except Exception as error:
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _cost(app: Governance, name: str, amount: int) -> Callable[[], Any]:
    return lambda: app.handle(
        ReportCost(
            name=name, period="2026-10", amount=str(amount), currency="EUR", business_unit="Retail"
        ),
        by=by("bo"),
    )


def test_commands_from_many_threads_are_all_recorded_once_in_order(app: Governance) -> None:
    for name in ("alpha", "beta"):
        seed_app_model(app, name=name)
    app.enable_group_commits()
    outcomes = _in_threads([_cost(app, "alpha" if i % 2 else "beta", i) for i in range(16)])
    assert not [o for o in outcomes if isinstance(o, Exception)]
    committer = app._committer
    assert committer is not None and committer.commands_committed == 16
    assert committer.transactions < 16  # some commands shared a transaction
    for name in ("alpha", "beta"):
        amounts = [int(report.amount) for report in record_of(app, name).cost_reports]
        assert len(amounts) == 8
        assert app.get_model(name).cost_months["2026-10"].total("EUR") == sum(amounts)
        assert [e.originator_version for e in app.model_events(name)] == list(range(1, 12))
        # every caller got the model version right after its own command
        mine = sorted(o.model_revision for o in outcomes if o.name == name)
        assert mine == list(range(4, 12))


def test_a_refused_command_in_a_batch_records_nothing_and_spares_the_others(
    app: Governance,
) -> None:
    seed_app_model(app, tier="high")  # version 1 lacks the high tier's gates
    app.enable_group_commits()
    calls = [_cost(app, "churn", i) for i in range(6)]
    calls.append(
        lambda: app.handle(
            Activate(name="churn", version=1, environment="production"), by=by("ops")
        )
    )
    outcomes = _in_threads(calls)
    assert isinstance(outcomes[-1], ActivationRefusedError)
    assert not [o for o in outcomes[:-1] if isinstance(o, Exception)]
    model = app.get_model("churn")
    assert len(record_of(app).cost_reports) == 6 and model.active == {}


def test_an_expected_revision_is_checked_against_the_model_in_the_batch(app: Governance) -> None:
    seed_app_model(app)
    app.enable_group_commits()
    with pytest.raises(StaleVersionError):
        app.handle(
            Activate(name="churn", version=1, environment="staging"),
            by=by("ops"),
            expected_revision=2,
        )
    recorded = app.handle(
        Activate(name="churn", version=1, environment="staging"), by=by("ops"), expected_revision=3
    )
    assert recorded.model_revision == 4


def test_a_batch_that_loses_a_race_with_another_process_is_rerun_one_by_one(
    app: Governance, backend: Settings
) -> None:
    seed_app_model(app)
    other = open_governance(backend)
    loads: list[str] = []

    def load_while_another_process_writes(name: str) -> Model:
        # Another process records on the same model between this batch's load and its save (once).
        model = app.get_model(name)
        if not loads:
            other.handle(_cost_of("1"), by=by("bo"))
        loads.append(name)
        return model

    committer = GroupCommitter(
        Store(load=load_while_another_process_writes, save=app.save,
              receipts=app.receipts)
    )  # fmt: skip
    recorded = committer.submit(Job(command=_cost_of("2"), by=by("bo")))
    committer.close()
    other.close()
    # The batch's save failed on the version constraint; the command ran again on its own.
    assert loads == ["churn", "churn"]
    assert [str(c.amount) for c in record_of(app).cost_reports] == ["1", "2"]
    assert recorded.model_revision == 5


def _cost_of(amount: str) -> ReportCost:
    return ReportCost(
        name="churn", period="2026-10", amount=Decimal(amount), currency="EUR", business_unit="R"
    )


def test_refusals_are_domain_errors_for_the_caller_not_the_committer(app: Governance) -> None:
    seed_app_model(app)
    app.enable_group_commits()
    with pytest.raises(DomainError):
        app.handle(ApproveRelease(name="churn", version=1), by=by("ds"))  # already approved by ds
    assert (
        app.handle(
            ReportCost(
                name="churn", period="2026-10", amount="3", currency="EUR", business_unit="R"
            ),
            by=by("bo"),
        ).model_revision
        == 4
    )


def test_two_commands_with_one_idempotency_key_in_a_batch_run_once(app: Governance) -> None:
    seed_app_model(app)
    committer, loading, release = _committer_held_at_its_first_load(app)  # while twins queue up
    request = IdempotentRequest(
        principal="bo", key="cost-1", request_hash="the same request",
        answer=lambda recorded: Answer(status=200, body=b"sealed", etag=None),
    )  # fmt: skip
    refused = Job(command=ApproveRelease(name="churn", version=1), by=by("ds"))  # approved before
    outcomes: list[Any] = []
    first = threading.Thread(target=lambda: _outcome(committer, refused))
    first.start()
    assert loading.wait(timeout=10)
    twins = [
        threading.Thread(
            target=lambda: outcomes.append(
                _outcome(committer, Job(command=_cost_of("2"), by=by("bo"), request=request))
            )
        )
        for _ in range(2)
    ]
    for twin in twins:
        twin.start()
    assert wait_until(lambda: committer.waiting == 2, timeout=10)
    release.set()
    for thread in (first, *twins):
        thread.join(timeout=10)
    committer.close()
    assert sorted(type(outcome).__name__ for outcome in outcomes) == [
        "AnsweredBeforeError",
        "Recorded",
    ]
    answered = next(o for o in outcomes if isinstance(o, AnsweredBeforeError)).answered
    assert answered == AnsweredRequest(
        request_hash="the same request", answer=Answer(200, b"sealed", None)
    )
    assert [str(c.amount) for c in record_of(app).cost_reports] == ["2"]


def _outcome(committer: GroupCommitter, job: Job) -> Any:
    try:
        return committer.submit(job)
    except (AnsweredBeforeError, DomainError) as refusal:
        return refusal


def test_a_command_withdrawn_before_its_batch_records_nothing_and_the_committer_goes_on(
    app: Governance,
) -> None:
    """A caller that stops waiting (an awaited request cancelled) before its batch starts takes its
    command back; the committer drops it, answers the others and takes the next batch."""
    seed_app_model(app)
    committer, loading, release = _committer_held_at_its_first_load(app)
    first = committer.enqueue(Job(command=_cost_of("1"), by=by("bo")))
    assert loading.wait(timeout=10)
    withdrawn = committer.enqueue(Job(command=_cost_of("2"), by=by("bo")))
    kept = committer.enqueue(Job(command=_cost_of("3"), by=by("bo")))
    assert withdrawn.cancel()
    release.set()
    assert first.result(timeout=10).model_revision == 4
    assert kept.result(timeout=10).model_revision == 5
    after = committer.submit(Job(command=_cost_of("4"), by=by("bo")))
    committer.close()
    assert after.model_revision == 6
    assert [str(c.amount) for c in record_of(app).cost_reports] == ["1", "3", "4"]


def _committer_held_at_its_first_load(app: Governance) -> tuple[GroupCommitter, Any, Any]:
    """The app's group committer, made to wait at its first load until released: meanwhile
    commands queue up for its next batch. Returns it, the event set when it waits, the release."""
    app.enable_group_commits()
    committer = app._committer
    assert committer is not None
    loading, release = threading.Event(), threading.Event()

    def load_slowly_at_first(name: str) -> Model | None:
        if not loading.is_set():
            loading.set()
            release.wait(timeout=10)
        return app.get_model(name)

    committer.store = replace(committer.store, load=load_slowly_at_first)
    return committer, loading, release


def test_awaited_commands_and_threads_commands_share_one_batch(app: Governance) -> None:
    """`handle_awaited` (the API's routes): commands awaited in an event loop and a command from a
    thread, queued together, are committed in one transaction, each with its own outcome; a
    refusal is raised to its awaiter and records nothing."""
    seed_app_model(app)
    committer, loading, release = _committer_held_at_its_first_load(app)
    first = committer.enqueue(Job(command=_cost_of("0"), by=by("bo")))
    assert loading.wait(timeout=10)

    async def awaited() -> list[Any]:
        commands = [app.handle_awaited(_cost_of(str(i)), by=by("bo")) for i in range(1, 7)]
        refused = app.handle_awaited(ApproveRelease(name="churn", version=1), by=by("ds"))
        return await asyncio.gather(*commands, refused, return_exceptions=True)

    outcomes: list[Any] = []
    threads = [
        threading.Thread(target=lambda: outcomes.append(asyncio.run(awaited()))),
        threading.Thread(target=lambda: outcomes.append(_cost(app, "churn", 7)())),
    ]
    for thread in threads:
        thread.start()
    assert wait_until(lambda: committer.waiting == 8, timeout=10)
    release.set()
    for thread in threads:
        thread.join(timeout=10)
    assert first.result(timeout=10).model_revision == 4
    awaited_outcomes = next(o for o in outcomes if isinstance(o, list))
    from_thread = next(o for o in outcomes if isinstance(o, Recorded))
    *recorded, refusal = awaited_outcomes
    assert isinstance(refusal, DomainError)
    revisions = sorted([r.model_revision for r in recorded] + [from_thread.model_revision])
    assert revisions == list(range(5, 12))  # seven commands, seven revisions, none twice
    assert (committer.transactions, committer.commands_committed) == (2, 8)
    assert len(record_of(app).cost_reports) == 8


def test_an_awaited_command_cancelled_before_its_batch_records_nothing(app: Governance) -> None:
    """A request's task cancelled while its command waits for a batch (a server shutting down):
    the command is withdrawn, nothing of it is recorded, the committer goes on."""
    seed_app_model(app)
    committer, loading, release = _committer_held_at_its_first_load(app)
    first = committer.enqueue(Job(command=_cost_of("1"), by=by("bo")))
    assert loading.wait(timeout=10)

    async def cancelled_then_another() -> Recorded[Any]:
        waiting = asyncio.ensure_future(app.handle_awaited(_cost_of("2"), by=by("bo")))
        while committer.waiting == 0:
            await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        release.set()
        # Bounded: a committer that died on the withdrawn command would never answer this one.
        return await asyncio.wait_for(app.handle_awaited(_cost_of("3"), by=by("bo")), timeout=10)

    after = asyncio.run(cancelled_then_another())
    assert first.result(timeout=10).model_revision == 4
    assert after.model_revision == 5
    assert [str(c.amount) for c in record_of(app).cost_reports] == ["1", "3"]


def test_without_group_commits_an_awaited_command_runs_in_a_worker_thread(app: Governance) -> None:
    """`handle_awaited` on an application without a committer (the CLI's, a test's): the command
    runs as `handle` would, in a worker thread, and its refusals are raised the same way."""
    seed_app_model(app)
    assert app._committer is None

    async def awaited() -> tuple[Any, Any]:
        recorded = await app.handle_awaited(_cost_of("5"), by=by("bo"))
        try:
            await app.handle_awaited(ApproveRelease(name="churn", version=1), by=by("ds"))
        except DomainError as refusal:
            return recorded, refusal
        return recorded, None

    recorded, refusal = asyncio.run(awaited())
    assert recorded.model_revision == 4
    assert isinstance(refusal, DomainError)
    assert [str(c.amount) for c in record_of(app).cost_reports] == ["5"]
