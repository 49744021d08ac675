"""Receipts: a row committed with a command's events, so that the command's outcome is never in doubt.

Every command carries a receipt with an id of its own. When a commit fails ambiguously (the
connection dropped at the commit, or the store retried a transaction whose acknowledgement was lost
and ran into its own rows), the receipt tells whether the transaction committed: a committed
command is answered as recorded and never run again. A request sent with an Idempotency-Key puts
its key and its answer on the receipt, so the key is answered in the very transaction that records
the events: a key is either answered or free, never "in flight". The store (infrastructure) writes
the receipts inside the events' transaction and reads them back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from eventsourcing.persistence import IntegrityError, PersistenceError

from application.errors import (
    AnsweredBeforeError,
    ApplicationError,
    CommandOutcomeError,
    NothingRecordedError,
    OutcomeUnknownError,
)
from application.results import Answer, AnsweredRequest, Recorded
from domain.errors import DomainError


@dataclass(frozen=True)
class IdempotentRequest:
    """A request sent with an Idempotency-Key, and how a success of its command is answered."""

    principal: str
    key: str
    request_hash: str
    answer: Callable[[Recorded[Any]], Answer]


@dataclass(frozen=True)
class Receipt:
    """The row saved in a command's transaction: its id and, for an idempotent request, its answer."""

    command_id: str
    principal: str | None = None
    key: str | None = None
    request_hash: str | None = None
    answer: Answer | None = None

    @classmethod
    def for_command(cls, recorded: Recorded[Any], request: IdempotentRequest | None) -> Receipt:
        command_id = uuid.uuid4().hex
        if request is None:
            return cls(command_id=command_id)
        return cls(
            command_id=command_id,
            principal=request.principal,
            key=request.key,
            request_hash=request.request_hash,
            answer=request.answer(recorded),
        )


@runtime_checkable
class ReceiptStore(Protocol):
    """Where receipts are kept: the event recorder, which writes them in the events' transaction
    when `Application.save` is given `receipts=[...]`."""

    def committed_receipts(self, command_ids: Sequence[str]) -> set[str]:
        """The ids among `command_ids` whose receipts are stored (their transactions committed)."""
        ...

    def answered_request(self, *, principal: str, key: str) -> AnsweredRequest | None:
        """The answer stored for the principal's key, if a request with it was answered."""
        ...

    def insert_receipt(self, receipt: Receipt) -> bool:
        """Store a receipt in a transaction of its own; False when its key was answered first."""
        ...


def committed(store: ReceiptStore | None, receipts: Sequence[Receipt]) -> bool:
    """Whether the failed transaction that carried `receipts` committed after all.

    Raises OutcomeUnknownError when the store cannot be asked. Without a receipt store (an
    application not opened by modelgov's store), a failed save is taken as not committed, as the
    library itself takes it.
    """
    if store is None or not receipts:
        return False
    try:
        return bool(store.committed_receipts([receipt.command_id for receipt in receipts]))
    except Exception as error:
        raise OutcomeUnknownError(
            "the event store failed while committing the command and cannot be asked whether it "
            "was recorded: the outcome is unknown; retry with the same Idempotency-Key to learn it "
            "(a retry never records it twice)"
        ) from error


@contextmanager
def judged_by_receipts(
    receipts: Sequence[Receipt],
    *,
    store: ReceiptStore | None,
    conflicts: tuple[type[Exception], ...] = (IntegrityError,),
) -> Iterator[None]:
    """Judge a failure of the write inside (one transaction that carries `receipts`) by them.

    A conflict (another writer came first: a model's next version, a name, an Idempotency-Key)
    is raised as it is: nothing was recorded. A failed write whose receipts are stored did commit
    (the acknowledgement of its commit was lost; the store's retry ran into its own rows): the
    block ends normally. Any other failure raises NothingRecordedError, or OutcomeUnknownError when
    the store cannot be asked. A context, not a callback: the write stays in its caller's code.
    """
    try:
        yield
    except conflicts:
        if not committed(store, receipts):
            raise
    except Exception as error:
        if not committed(store, receipts):
            raise NothingRecordedError(
                f"the command could not be committed ({type(error).__name__}); nothing of it was "
                "recorded: send it again",
                store_failed=isinstance(error, PersistenceError),
            ) from error


def raise_if_answered(store: ReceiptStore | None, request: IdempotentRequest | None) -> None:
    """Raise AnsweredBeforeError when another request with `request`'s key was answered first."""
    if store is None or request is None:
        return
    try:
        answered = store.answered_request(principal=request.principal, key=request.key)
    except Exception as error:
        # Only asked once this command's own transaction is known not to have committed.
        raise NothingRecordedError(
            "the event store failed; nothing of the command was recorded: send it again",
            store_failed=True,
        ) from error
    if answered is not None:
        raise AnsweredBeforeError(answered)


def nothing_recorded(error: Exception) -> CommandOutcomeError:
    """A fault before anything was saved, as the command's caller learns of it (cause attached)."""
    if isinstance(error, CommandOutcomeError):
        return error
    failure = NothingRecordedError(
        f"the command failed before anything was saved ({type(error).__name__}); nothing of it "
        "was recorded",
        store_failed=isinstance(error, PersistenceError),
    )
    failure.__cause__ = error
    return failure


@contextmanager
def nothing_recorded_on_failure() -> Iterator[None]:
    """Before a save: a failure that is not a refusal is a fault, and nothing was recorded."""
    try:
        yield
    except (DomainError, ApplicationError):
        raise
    except Exception as error:
        raise nothing_recorded(error) from error
