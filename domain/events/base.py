"""What every lifecycle event carries: who recorded it, in which role, why, for which request, and
when it happened in the world."""

from __future__ import annotations

from datetime import datetime

from eventsourcing.domain import Aggregate


class Event(Aggregate.Event):
    """Every lifecycle event: who recorded it, in which role, why, for which request, effective when."""

    actor: str
    role: str
    reason: str
    correlation_id: str
    effective_at: datetime

