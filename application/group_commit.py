"""Group commits: commands from many threads, their events saved several at a time in one transaction.

The event store serialises writers (one table lock per transaction), so one commit per command caps
throughput at the commit rate. A single committer thread takes whatever commands are waiting, runs
each against its model (loaded once per batch, so commands on one model see each other), saves all
their events in one transaction, and then answers every caller with its own outcome. A command the
rules refuse is answered with its error and records nothing; the others in the batch still commit.
Each command's receipt (and, for an Idempotency-Key, its answer) is saved in the same transaction;
a key appears at most once per transaction, so a second request with the same key runs after the
batch and finds the first one's answer. If the batch's transaction fails (another process wrote
one of the models, or answered one of the keys), every command in it is run again on its own,
exactly as without group commits.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import IntegrityError

from application.errors import ApplicationError, StaleVersionError
from application.receipts import IdempotentRequest, Receipt, nothing_recorded, raise_if_answered
from application.results import Recorded
from domain.errors import DomainError
from domain.model import Model

if TYPE_CHECKING:
    from application.governance import Governance

log = logging.getLogger("modelgov.group_commit")


@dataclass
class _Pending:
    name: str
    expected_version: int | None
    command: Callable[[Model], Any]
    request: IdempotentRequest | None = None
    outcome: Future[Recorded[Any]] = field(default_factory=Future)

    @property
    def key(self) -> tuple[str, str] | None:
        return None if self.request is None else (self.request.principal, self.request.key)


class GroupCommitter:
    """Runs submitted commands on one thread, committing up to `max_batch` of them at a time."""

    def __init__(self, governance: Governance, *, max_batch: int = 64) -> None:
        self.governance = governance
        self.max_batch = max_batch
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        # For operators and tests: how many transactions carried how many commands.
        self.transactions = 0
        self.commands_committed = 0
        self._thread = threading.Thread(target=self._run, name="modelgov-group-commit", daemon=True)
        self._thread.start()

    def submit(
        self,
        name: str,
        *,
        expected_version: int | None,
        command: Callable[[Model], Any],
        request: IdempotentRequest | None = None,
    ) -> Recorded[Any]:
        """Run `command` on the model in the next batch; block until it is committed or refused."""
        pending = _Pending(
            name=name, expected_version=expected_version, command=command, request=request
        )
        self._queue.put(pending)
        return pending.outcome.result()

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
                    pending = self._queue.get_nowait()
                except queue.Empty:
                    break
                if pending is None:
                    self._commit(batch)
                    return
                batch.append(pending)
            self._commit(batch)

    def _commit(self, batch: list[_Pending]) -> None:
        models: dict[str, Model] = {}
        tainted: set[str] = set()
        accepted: list[tuple[_Pending, Recorded[Any], Receipt]] = []
        keys: set[tuple[str, str]] = set()
        after_batch: list[_Pending] = []
        for pending in batch:
            if pending.key is not None:
                if pending.key in keys:
                    after_batch.append(pending)
                    continue
                keys.add(pending.key)
            try:
                model = models.get(pending.name) or self.governance.get_model(pending.name)
                if (
                    pending.expected_version is not None
                    and pending.expected_version != model.version
                ):
                    raise StaleVersionError(
                        name=pending.name, expected=pending.expected_version, actual=model.version
                    )
                before = len(model.pending_events)
                try:
                    value = pending.command(model)
                    recorded = Recorded(name=pending.name, model_version=model.version, value=value)
                    receipt = Receipt.for_command(recorded, pending.request)
                except Exception:
                    if len(model.pending_events) != before:
                        # The rules check before recording; if one did not (or a fault came after
                        # recording), this model's state is not to be trusted: its batch commands
                        # are re-run on their own.
                        tainted.add(pending.name)
                    raise
                models[pending.name] = model
                accepted.append((pending, recorded, receipt))
            except (DomainError, ApplicationError) as refusal:
                pending.outcome.set_exception(refusal)
            except Exception as error:  # a fault belongs to this caller only, who reports it
                pending.outcome.set_exception(nothing_recorded(error))
        for item in [item for item in accepted if item[0].name in tainted]:
            accepted.remove(item)
            self._run_alone(item[0])
        models = {name: model for name, model in models.items() if name not in tainted}
        if accepted:
            self._save(models, accepted)
        for pending in after_batch:
            self._run_alone(pending)

    def _save(
        self, models: dict[str, Model], accepted: list[tuple[_Pending, Recorded[Any], Receipt]]
    ) -> None:
        try:
            self.governance.save_with_receipts(
                *models.values(), receipts=[receipt for _, _, receipt in accepted]
            )
        except IntegrityError:
            log.info(
                "batch of %d conflicted with another writer; running them one by one", len(accepted)
            )
            for pending, _, _ in accepted:
                self._run_alone(pending)
            return
        except Exception as error:
            for pending, _, _ in accepted:
                pending.outcome.set_exception(error)
            return
        self.transactions += 1
        self.commands_committed += len(accepted)
        for pending, recorded, _ in accepted:
            pending.outcome.set_result(recorded)

    def _run_alone(self, pending: _Pending) -> None:
        try:
            # A twin with the same key may have been answered meanwhile (in this batch or by
            # another process): its answer is this request's answer, and nothing runs again.
            raise_if_answered(self.governance.receipts, pending.request)
            recorded = self.governance.change_directly(
                pending.name,
                expected_version=pending.expected_version,
                command=pending.command,
                request=pending.request,
            )
        except Exception as error:
            pending.outcome.set_exception(error)
        else:
            pending.outcome.set_result(recorded)
