"""The store's own maintenance, recorded in the ledger beside the models' events: who put the
append-only triggers back, when and why (while they were missing, the database did not refuse
changes to the history). A log of the store's own (domain/logs.py).
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from domain import rules
from domain.commands import Action
from domain.errors import InvalidValueError
from domain.logs import StoreLog
from domain.values import Attribution, require_text

MAINTENANCE_ID: UUID = uuid5(NAMESPACE_URL, "https://modelgov.dev/store-maintenance")


class Maintenance(StoreLog):
    """The log of what was done to the store itself (`Started` with the first thing done)."""

    TOPIC = "modelgov/Maintenance"
    ID = MAINTENANCE_ID

    class AppendOnlyTriggersReinstalled(StoreLog.Event):
        """Triggers found missing or disabled were put back in force (`triggers` names each)."""

        TOPIC = "modelgov/Maintenance.AppendOnlyTriggersReinstalled"
        triggers: list[str]
        database_role: str

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
