"""The store's own logs, kept in the ledger beside the models' events: the log of erasures
(domain/people.py) and of store maintenance (domain/maintenance.py).

A log is one aggregate per store, with a fixed id. Its events carry what a model's events carry
(who, in which role, why, effective when) but are not model events: the model views, the
projections, the reports and the event feed skip them; the ledger seals them like any other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Self

from eventsourcing.domain import Aggregate

from domain.events.base import Attributed
from domain.values import Attribution

if TYPE_CHECKING:
    from uuid import UUID


class StoreLog(Aggregate):
    """A log of the store's own: `start` opens it at its fixed `ID` with `Started`.

    A log sets its `TOPIC` and `ID`; its opening events are its own, under its topic
    (`modelgov/People` opens with `modelgov/People.Started`), since stored events name them.
    """

    if TYPE_CHECKING:
        TOPIC: ClassVar[str]
        ID: ClassVar[UUID]

    class Event(Attributed):
        """An event of a log: who did it, in which role, why, effective when (as on model events)."""

    class Created(Event, Aggregate.Created):
        """What the library creates an aggregate with; a log opens with `Started`."""

    class Started(Created):
        """The log begins (with the first thing recorded in it)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Each log's Created and Started are its own classes, under its topic, made before the
        # library's __init_subclass__ registers every event class of an aggregate with a topic.
        created = _define_under_topic(cls, StoreLog.Created)
        _define_under_topic(cls, StoreLog.Started, created)
        super().__init_subclass__(**kwargs)

    @classmethod
    def start(cls, *, by: Attribution) -> Self:
        return cls._create(cls.Started, id=cls.ID, timestamp=by.recorded_at, **by.event_fields())


def _define_under_topic(log: type[StoreLog], event: type[Any], *bases: type[Any]) -> type[Any]:
    """Define `event` anew as `log`'s own (`log.<name>`, a subclass of `event` and `bases`),
    under `log`'s topic."""
    name = event.__name__
    own = type(
        name,
        (event, *bases),
        {
            "TOPIC": f"{log.TOPIC}.{name}",
            "__module__": log.__module__,
            "__qualname__": f"{log.__qualname__}.{name}",
        },
    )
    setattr(log, name, own)
    return own
