"""What a command returns to its caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Recorded(Generic[T]):
    """What a command recorded: the model's version after it, and the command's own result."""

    name: str
    model_version: int
    value: T
