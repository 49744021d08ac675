"""Committing commands: each command run on its model, their events and receipts saved in one transaction.

One path for every command, whether it runs alone (in its caller's thread) or in a group commit's
batch. Group commits: the event store serialises writers (one table lock per transaction), so one
commit per command caps throughput at the commit rate; a single committer thread
(`GroupCommitter`) takes whatever commands are waiting and commits them as one batch, and each
caller waits for its own command's outcome. A model is read once per batch, so the commands on one
model see each other; a command the rules refuse is answered with its refusal and records nothing, and
the others still commit. Each command's receipt (and, for an Idempotency-Key, its answer) is saved
in the same transaction (application/receipts.py); a key appears at most once per transaction, so
a second request with the same key runs after the batch and finds the first one's answer. A
batch whose transaction loses a race with another writer runs its commands again one by one; a
command alone that loses one is answered ConcurrencyConflictError (application/retry.py runs it
again). This module knows nothing of the application that uses it: it is given where to `load`
and `save` models (a `Store`).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Recording

from application.errors import (
    ApplicationError,
    ConcurrencyConflictError,
    ModelAlreadyRegisteredError,
    ModelNotFoundError,
    StaleVersionError,
)
from application.receipts import (
    IdempotentRequest,
    Receipt,
    ReceiptStore,
    judged_by_receipts,
    nothing_recorded,
    raise_if_answered,
)
from application.results import Recorded
from domain.commands import Command, RegisterModel
from domain.errors import DomainError
from domain.model import Model
from domain.values import Attribution

Load = Callable[[str], Model | None]
Save = Callable[..., Sequence[Recording[UUID]]]  # `Application.save(*models, receipts=...)`
Outcome = Recorded[Any] | Exception


@dataclass(eq=False)
class Job:
    """A command to commit: who sends it, the revision it expects, its idempotent request, if any."""

    command: Command[Any]
    by: Attribution
    expected_revision: int | None = None
    request: IdempotentRequest | None = None
    runs: int = 0  # how often it was run (application/retry.py counts them)

    @property
    def name(self) -> str:
        return self.command.name

    @property
    def key(self) -> tuple[str, str] | None:
        return None if self.request is None else (self.request.principal, self.request.key)


@dataclass(frozen=True)
class Store:
    """Where a batch reads its models and saves them, with their receipts (one transaction)."""

    load: Load
    save: Save
    receipts: ReceiptStore | None
    # Told each saved batch's models and their revisions before it, after the save (snapshots.py).
    saved: Callable[[Sequence[Model], dict[int, int]], None] | None = None


def run_job(job: Job, store: Store, committer: GroupCommitter | None) -> Recorded[Any]:
    """Commit one job: in the group committer's next batch if there is one, else right here."""
    if committer is not None:
        return committer.submit(job)
    outcome = commit([job], store, alone=True)[job]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def save_with_receipts(
    store: Store, models: Sequence[Model], receipts: Sequence[Receipt]
) -> dict[str, int]:
    """Save the models' events and the commands' receipts in one transaction; each model's store
    position (notification id of its last event) after it, by name.

    Raises IntegrityError when another writer came first; a save found committed after a failure
    returns no positions (they are not known); see `judged_by_receipts` for the rest.
    """
    recordings: Sequence[Recording[UUID]] = ()
    before = {id(model): model.version - len(model.pending_events) for model in models}
    with judged_by_receipts(receipts, store=store.receipts):
        recordings = store.save(*models, receipts=receipts)
    if recordings and store.saved is not None:  # known saved (not found committed after a failure)
        store.saved(models, before)
    names = {model.id: model.name for model in models}
    return {names[r.domain_event.originator_id]: r.notification.id for r in recordings}


def commit(jobs: Sequence[Job], store: Store, *, alone: bool) -> dict[Job, Outcome]:
    """Run each job's command and save what they recorded together; every job's outcome.

    `alone`: the jobs run in their callers' threads, one at a time; else they are a group
    commit's batch, and a batch that loses a write race is committed again one job at a time.
    """
    outcomes: dict[Job, Outcome] = {}
    models: dict[str, Model] = {}
    tainted: set[str] = set()
    accepted: list[tuple[Job, Recorded[Any], Receipt]] = []
    keys: set[tuple[str, str]] = set()
    after: list[Job] = []
    for job in jobs:
        if job.key is not None:
            if job.key in keys:
                after.append(job)
                continue
            keys.add(job.key)
        try:
            model, recorded, receipt = _run(job, models.get(job.name) or store.load(job.name))
        except _TaintedError as taint:
            tainted.add(job.name)
            outcomes[job] = _refusal_or_fault(taint.error)
            continue
        except Exception as error:
            outcomes[job] = _refusal_or_fault(error)
            continue
        models[job.name] = model
        accepted.append((job, recorded, receipt))
    again = [job for job, _, _ in accepted if job.name in tainted]
    accepted = [item for item in accepted if item[0].name not in tainted]
    models = {name: model for name, model in models.items() if name not in tainted}
    if accepted:
        outcomes.update(_save(models, accepted, store, alone=alone))
    for job in again + after:
        outcomes.update(_alone(job, store))
    return outcomes


class _TaintedError(Exception):
    """A command failed after it had recorded events: its model's state is not to be trusted."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _refusal_or_fault(error: Exception) -> Exception:
    """A refusal as the rules gave it; a fault belongs to this caller only, who reports it."""
    return error if isinstance(error, DomainError | ApplicationError) else nothing_recorded(error)


def _run(job: Job, model: Model | None) -> tuple[Model, Recorded[Any], Receipt]:
    """Run the job's command on the model as the batch has it so far; its answer and receipt."""
    command = job.command
    job.runs += 1
    if isinstance(command, RegisterModel):
        if model is not None:
            raise ModelAlreadyRegisteredError(
                f"a model named {command.name!r} is already registered"
            )
        model = Model.register(command, job.by)
        recorded: Recorded[Any] = Recorded(command.name, model_revision=model.version, value=None)
        return model, recorded, Receipt.for_command(recorded, job.request)
    if model is None:
        raise ModelNotFoundError(f"no model named {command.name!r} is registered")
    if job.expected_revision is not None and job.expected_revision != model.version:
        raise StaleVersionError(name=job.name, expected=job.expected_revision, actual=model.version)
    before = len(model.pending_events)
    try:
        value = model.handle(command, job.by)
        recorded = Recorded(job.name, model_revision=model.version, value=value)
        return model, recorded, Receipt.for_command(recorded, job.request)
    except Exception as error:
        if len(model.pending_events) != before:
            # The rules check before recording; if one did not (or a fault came after
            # recording), the batch's other commands on this model are run again on their own.
            raise _TaintedError(error) from error
        raise


def _save(
    models: dict[str, Model],
    accepted: list[tuple[Job, Recorded[Any], Receipt]],
    store: Store,
    *,
    alone: bool,
) -> dict[Job, Outcome]:
    if not any(model.pending_events for model in models.values()) and not any(
        job.request for job, _, _ in accepted
    ):
        return {
            job: recorded for job, recorded, _ in accepted
        }  # nothing to save, no answer to keep
    try:
        positions = save_with_receipts(
            store, list(models.values()), [receipt for _, _, receipt in accepted]
        )
    except IntegrityError:
        if not alone:  # another process wrote one of the models, or answered one of the keys
            outcomes: dict[Job, Outcome] = {}
            for job, _, _ in accepted:
                outcomes.update(_alone(job, store))
            return outcomes
        return {job: _conflict(job, store) for job, _, _ in accepted}
    except Exception as error:
        return {job: error for job, _, _ in accepted}
    return {
        job: replace(recorded, position=positions.get(job.name)) for job, recorded, _ in accepted
    }


def _alone(job: Job, store: Store) -> dict[Job, Outcome]:
    try:
        # A twin with the same key may have been answered meanwhile (in this batch or by
        # another process): its answer is this request's answer, and nothing runs again.
        raise_if_answered(store.receipts, job.request)
    except Exception as answered:
        return {job: answered}
    return commit([job], store, alone=True)


def _conflict(job: Job, store: Store) -> Exception:
    """Why a job alone could not be saved: a twin answered first, the name is taken, or a race."""
    try:
        raise_if_answered(store.receipts, job.request)
    except Exception as answered:
        return answered
    if isinstance(job.command, RegisterModel):
        return ModelAlreadyRegisteredError(
            f"a model named {job.command.name!r} is already registered"
        )
    return ConcurrencyConflictError(
        f"model {job.name!r} was changed by another writer while this command ran; "
        "nothing was recorded: read it again and retry"
    )


_Submitted = tuple[Job, Future[Recorded[Any]]]


class GroupCommitter:
    """Runs submitted commands on one thread, committing up to `max_batch` of them at a time."""

    def __init__(self, store: Store, *, max_batch: int = 64) -> None:
        self.store = store
        self.max_batch = max_batch
        self._queue: queue.Queue[_Submitted | None] = queue.Queue()
        # For operators and tests: how many transactions carried how many commands.
        self.transactions = 0
        self.commands_committed = 0
        self._thread = threading.Thread(target=self._run, name="modelgov-group-commit", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> Recorded[Any]:
        """Commit the job's command in the next batch; block until it is committed or refused."""
        return self.enqueue(job).result()

    def awaited(self, job: Job) -> asyncio.Future[Recorded[Any]]:
        """As `submit`, for a caller in an event loop: the outcome, to await without a thread."""
        return asyncio.wrap_future(self.enqueue(job))

    def enqueue(self, job: Job) -> Future[Recorded[Any]]:
        """Commit the job's command in the next batch; its outcome, to wait for. Cancelling it
        before its batch starts withdraws the command (nothing is recorded); after, it commits."""
        outcome: Future[Recorded[Any]] = Future()
        self._queue.put((job, outcome))
        return outcome

    @property
    def waiting(self) -> int:
        """Commands submitted and not yet taken into a batch."""
        return self._queue.qsize()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    submitted = self._queue.get_nowait()
                except queue.Empty:
                    break
                if submitted is None:
                    self._commit(batch)
                    return
                batch.append(submitted)
            self._commit(batch)

    def _commit(self, batch: list[_Submitted]) -> None:
        # A job whose caller stopped waiting (its future cancelled) is dropped; the others' futures
        # can no longer be cancelled, so each is sure to get its outcome.
        futures = {job: future for job, future in batch if future.set_running_or_notify_cancel()}
        if not futures:
            return
        try:
            outcomes = commit(list(futures), self.store, alone=False)
        except Exception as error:  # never leave a caller waiting
            outcomes = {job: error for job in futures}
        recorded = [job for job, outcome in outcomes.items() if isinstance(outcome, Recorded)]
        if recorded:
            self.transactions += 1
            self.commands_committed += len(recorded)
        for job, future in futures.items():
            outcome = outcomes[job]
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
