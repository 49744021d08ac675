"""What every lifecycle event carries: who recorded it, in which role, why, for which request, and
when it happened in the world."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from eventsourcing.domain import Aggregate


class Event(Aggregate.Event):
    """Every lifecycle event: who recorded it, in which role, why, for which request, effective when."""

    actor: str
    role: str
    reason: str
    correlation_id: str
    effective_at: datetime


E = TypeVar("E", bound=type[Event])
# Every concrete lifecycle event, in the order its module defines it (`EVENT_CLASSES`).
CATALOGUE: list[type[Event]] = []


def catalogued(cls: E) -> E:
    """Put an event class in the catalogue: `Model` exposes it as `Model.<Event>` and reads it back."""
    CATALOGUE.append(cls)
    return cls
