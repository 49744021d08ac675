"""The store's own maintenance, recorded in the ledger beside the models' events: who put the
append-only triggers back, when and why (while they were missing, the database did not refuse
changes to the history).

One aggregate per store, with a fixed id. Its events are not model events: the model views, the
projections, the reports and the event feed skip them; the ledger seals them like any other.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import rules
from domain.commands import Action
from domain.errors import InvalidValueError
from domain.events.base import Attributed
from domain.values import Attribution, require_text

MAINTENANCE_ID: UUID = uuid5(NAMESPACE_URL, "https://modelgov.dev/store-maintenance")


class MaintenanceEvent(Attributed):
    """An event of the log of store maintenance: who did it, in which role, why, effective when (as on model events)."""


class Maintenance(Aggregate):
    """The log of what was done to the store itself."""

    TOPIC = "modelgov/Maintenance"
    Event = MaintenanceEvent

    class Created(MaintenanceEvent, Aggregate.Created):
        TOPIC = "modelgov/Maintenance.Created"

    class Started(Created):
        """The log begins (with the first thing done to the store)."""

        TOPIC = "modelgov/Maintenance.Started"

    class AppendOnlyTriggersReinstalled(MaintenanceEvent):
        """Triggers found missing or disabled were put back in force (`triggers` names each)."""

        TOPIC = "modelgov/Maintenance.AppendOnlyTriggersReinstalled"
        triggers: list[str]
        database_role: str

    @classmethod
    def start(cls, *, by: Attribution) -> Maintenance:
        return cls._create(
            cls.Started, id=MAINTENANCE_ID, timestamp=by.recorded_at, **by.event_fields()
        )

    def reinstall_append_only_triggers(
        self, *, triggers: list[str], database_role: str, by: Attribution
    ) -> None:
        rules.check_may(by, Action.REINSTALL_APPEND_ONLY_TRIGGERS)
        if not triggers:
            raise InvalidValueError("triggers", "name at least one trigger that was put back")
        self.trigger_event(
            self.AppendOnlyTriggersReinstalled,
            triggers=list(triggers),
            database_role=require_text("database_role", database_role, max_length=200),
            timestamp=by.recorded_at,
            **by.event_fields(),
        )
