"""What every lifecycle event carries: who recorded it, in which role, why, for which request, and
when it happened in the world."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from eventsourcing.domain import Aggregate

from domain.state import unshared

T = TypeVar("T")


class Attributed(Aggregate.Event):
    """Who recorded it, in which role, why, for which request, effective when: what a model's
    events, the log of erasures (domain/people.py) and of store maintenance all carry."""

    actor: str
    role: str
    reason: str
    correlation_id: str
    effective_at: datetime


class Event(Attributed):
    """Every lifecycle event of a model."""

    def entity(self, kind: type[T], **named: Any) -> T:
        """A `kind` (a dataclass of the model's state) made of this event's fields of the same
        names, dicts and lists copied, and of `named` for the fields the event calls otherwise."""
        carried = _field_names(type(self))
        taken = {
            name: unshared(getattr(self, name))
            for name in _field_names(kind)  # type: ignore[arg-type]
            if name in carried and name not in named
        }
        return kind(**taken, **named)


@cache
def _field_names(cls: type) -> dict[str, None]:
    """A dataclass's field names, in order, as keys (read once per class: folding asks for
    every event's, and `dataclasses.fields` is a third of an event's fold)."""
    return dict.fromkeys(field.name for field in fields(cls))


E = TypeVar("E", bound=type[Event])
# Every concrete lifecycle event, in the order its module defines it (`EVENT_CLASSES`).
CATALOGUE: list[type[Event]] = []


def catalogued(cls: E) -> E:
    """Put an event class in the catalogue: `Model` exposes it as `Model.<Event>` and reads it back."""
    CATALOGUE.append(cls)
    return cls
