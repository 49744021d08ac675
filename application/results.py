"""What a command returns to its caller, and the answer kept for its Idempotency-Key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Recorded(Generic[T]):
    """What a command recorded: the model's revision after it, and the command's own result.

    A model's revision is the number of its events (its ETag); a model's *version* is an ML
    release (`RegisterVersion` returns its number as `value`). `position` is the store position
    (notification id) of the last event the command recorded, once saved: a reader waits for the
    read models to reach it. None when it recorded nothing, or when its commit was only learnt
    of afterwards (a lost acknowledgement, application/receipts.py).
    """

    name: str
    model_revision: int
    value: T
    position: int | None = None


@dataclass(frozen=True)
class Answer:
    """A request's answer as its retries get it; `body` is sealed (encrypted) by whoever built it."""

    status: int
    body: bytes
    etag: str | None


@dataclass(frozen=True)
class AnsweredRequest:
    """The answer stored for an Idempotency-Key, and the hash of the request it answered."""

    request_hash: str
    answer: Answer
