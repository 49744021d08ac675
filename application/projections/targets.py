"""Target history: every target with the period it was in force, who set it and why."""

from __future__ import annotations

from collections.abc import Sequence

from application.projections.changes import Insert, RowChange, Update
from application.projections.personal import Personal
from application.projections.projection import Projection
from domain.events import Event as ModelEvent
from domain.instants import sortable_utc_text
from domain.model import Model

TABLE = "modelgov_target_history"


class TargetHistory(Projection):
    name = "target_history"
    tables: Sequence[str] = (TABLE,)

    def changes(self, *, event: ModelEvent, model: str, position: int) -> list[RowChange]:
        if not isinstance(event, Model.TargetSet):
            return []
        at = sortable_utc_text(event.effective_at)
        target = {"model": model, "dimension": event.dimension, "metric": event.metric}
        return [
            Update(TABLE, where={**target, "in_force_until": None}, values={"in_force_until": at}),
            Insert(TABLE, {
                **target, "revision": event.revision, "comparator": event.comparator,
                "threshold": event.threshold, "window_spec": event.window,
                "severity": event.severity, "set_by": Personal(event.actor),
                "reason": Personal(event.reason), "in_force_from": at,
            }),
        ]  # fmt: skip
