"""What a command returns to its caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Recorded(Generic[T]):
    """What a command recorded: the model's revision after it, and the command's own result.

    A model's revision is the number of its events (its ETag); a model's *version* is an ML
    release (`RegisterVersion` returns its number as `value`).
    """

    name: str
    model_revision: int
    value: T
