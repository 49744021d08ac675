"""Usage windows: every interval a version was active in an environment, the record auditors ask for
when they say "which model answered this customer on that date"."""

from __future__ import annotations

from collections.abc import Sequence

from application.projections.changes import Insert, RowChange, Update
from application.projections.personal import Personal
from application.projections.projection import Projection
from domain.events import Event as ModelEvent
from domain.instants import sortable_utc_text
from domain.model import Model

TABLE = "modelgov_usage_windows"
_CHANGES_USAGE = (Model.VersionActivated, Model.VersionDeactivated, Model.RolledBack)


class UsageWindows(Projection):
    name = "usage_windows"
    tables: Sequence[str] = (TABLE,)

    def changes(self, *, event: ModelEvent, model: str, position: int) -> list[RowChange]:
        if not isinstance(event, _CHANGES_USAGE):
            return []
        at = sortable_utc_text(event.effective_at)
        if isinstance(event, Model.VersionActivated):
            return [_opened(model, event.version, event.environment, at, event.actor)]
        if isinstance(event, Model.VersionDeactivated):
            return [_closed(model, event.version, event.environment, at, event.actor, event.reason)]
        if isinstance(event, Model.RolledBack):
            reason = f"rolled back to version {event.to_version}: {event.reason}"
            return [
                _closed(model, event.from_version, event.environment, at, event.actor, reason),
                _opened(model, event.to_version, event.environment, at, event.actor),
            ]
        return []


def _opened(model: str, version: int, environment: str, at: str, actor: str) -> Insert:
    return Insert(TABLE, {
        "model": model, "version": version, "environment": environment, "started_at": at,
        "started_by": Personal(actor),
    })  # fmt: skip


def _closed(model: str, version: int, environment: str, at: str, actor: str, reason: str) -> Update:
    return Update(
        TABLE,
        where={"model": model, "version": version, "environment": environment, "ended_at": None},
        values={"ended_at": at, "ended_by": Personal(actor), "end_reason": Personal(reason)},
    )
