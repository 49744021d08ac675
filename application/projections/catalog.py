"""The model catalog: one row per model with what a portfolio view lists, and where each is active."""

from __future__ import annotations

from collections.abc import Sequence

from application.projections.changes import Added, Delete, Insert, RowChange, Update, Upsert
from application.projections.personal import Personal
from application.projections.projection import Projection
from domain.events import Event as ModelEvent
from domain.instants import sortable_utc_text
from domain.model import Model

CATALOG, ACTIVE = "modelgov_catalog", "modelgov_catalog_active"
_COUNTERS: dict[type, tuple[str, int]] = {
    Model.VersionRegistered: ("versions", 1),
    Model.BreachOpened: ("open_breaches", 1),
    Model.BreachClosed: ("open_breaches", -1),
    Model.BiasFlagRaised: ("open_bias_flags", 1),
    Model.BiasFlagResolved: ("open_bias_flags", -1),
}


class Catalog(Projection):
    name = "catalog"
    tables: Sequence[str] = (CATALOG, ACTIVE)

    def __init__(self) -> None:
        self._changed: dict[str, tuple[int, str]] = {}  # model: its version, last change (batch)

    def changes(self, *, event: ModelEvent, model: str, position: int) -> list[RowChange]:
        at = sortable_utc_text(event.effective_at)
        if isinstance(event, Model.Registered):
            self._changed.pop(model, None)
            return [Insert(CATALOG, {
                "model": model, "owner": Personal(event.owner), "risk_tier": event.risk_tier,
                "versions": 0, "open_breaches": 0, "open_bias_flags": 0,
                "model_version": event.originator_version, "registered_at": at,
                "last_changed_at": at,
            })]  # fmt: skip
        # A model's version and last change are written once per batch (see `batch_end`).
        self._changed[model] = (event.originator_version, at)
        this = {"model": model}
        changes: list[RowChange] = []
        counter = _COUNTERS.get(type(event))
        if counter is not None:
            column, amount = counter
            changes.append(Update(CATALOG, where=this, values={column: Added(amount)}))
        if isinstance(event, Model.PolicyChanged):
            changes.append(Update(CATALOG, where=this, values={"risk_tier": event.risk_tier}))
        if isinstance(event, Model.VersionActivated | Model.RolledBack):
            version = (
                event.version if isinstance(event, Model.VersionActivated) else event.to_version
            )
            key = {"model": model, "environment": event.environment}
            changes.append(Upsert(ACTIVE, key=key, values={"version": version}))
        if isinstance(event, Model.VersionDeactivated):
            where = {"model": model, "environment": event.environment, "version": event.version}
            changes.append(Delete(ACTIVE, where=where))
        return changes

    def batch_end(self) -> list[RowChange]:
        changes: list[RowChange] = [
            Update(CATALOG, where={"model": model},
                   values={"model_version": version, "last_changed_at": at})
            for model, (version, at) in sorted(self._changed.items())
        ]  # fmt: skip
        self._changed.clear()
        return changes

    def reset(self) -> None:
        self._changed.clear()
