"""The model catalog: one row per model with what a portfolio view lists, and where each is active."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

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


_COUNTED = ("versions", "open_breaches", "open_bias_flags")


@dataclass
class _Changed:
    """What a batch changed in a model's catalog row, written once at the batch's end."""

    version: int  # the model's, after its last event in the batch
    at: datetime  # the last event's effective time (as text at the batch's end: written once)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_COUNTED, 0))
    risk_tier: str | None = None  # a new one, when the policy changed


class Catalog(Projection):
    """Writes a model's row once per batch (its counts added up), and where each version ended
    up active, after deleting the rows the batch deactivated that earlier batches wrote."""

    name = "catalog"
    tables: Sequence[str] = (CATALOG, ACTIVE)

    def __init__(self) -> None:
        self._changed: dict[str, _Changed] = {}  # model: what the batch changed in its row
        # (model, environment): the version the batch left active there, None for none.
        self._active: dict[tuple[str, str], int | None] = {}

    def changes(self, *, event: ModelEvent, model: str, position: int) -> list[RowChange]:
        if isinstance(event, Model.Registered):
            self._changed.pop(model, None)
            at = sortable_utc_text(event.effective_at)
            return [Insert(CATALOG, {
                "model": model, "owner": Personal(event.owner), "risk_tier": event.risk_tier,
                "versions": 0, "open_breaches": 0, "open_bias_flags": 0,
                "model_version": event.originator_version, "registered_at": at,
                "last_changed_at": at,
            })]  # fmt: skip
        changed = self._changed.get(model)
        if changed is None:
            changed = self._changed[model] = _Changed(event.originator_version, event.effective_at)
        changed.version, changed.at = event.originator_version, event.effective_at
        counter = _COUNTERS.get(type(event))
        if counter is not None:
            column, amount = counter
            changed.counts[column] += amount
        if isinstance(event, Model.PolicyChanged):
            changed.risk_tier = event.risk_tier
        if isinstance(event, Model.VersionActivated | Model.RolledBack):
            version = (
                event.version if isinstance(event, Model.VersionActivated) else event.to_version
            )
            self._active[(model, event.environment)] = version
        if isinstance(event, Model.VersionDeactivated):
            key = (model, event.environment)
            if key not in self._active:  # active since an earlier batch: delete it if it is
                where = {"model": model, "environment": event.environment, "version": event.version}
                return [Delete(ACTIVE, where=where)]
            if self._active[key] == event.version:
                self._active[key] = None
        return []

    def batch_end(self) -> list[RowChange]:
        changes: list[RowChange] = []
        for model, changed in sorted(self._changed.items()):
            values: dict[str, object] = {
                column: Added(count) for column, count in changed.counts.items()
            }
            if changed.risk_tier is not None:
                values["risk_tier"] = changed.risk_tier
            values |= {
                "model_version": changed.version,
                "last_changed_at": sortable_utc_text(changed.at),
            }
            changes.append(Update(CATALOG, where={"model": model}, values=values))
        active = sorted(self._active.items())
        changes += [
            Delete(ACTIVE, where={"model": model, "environment": environment})
            for (model, environment), version in active
            if version is None
        ]
        changes += [
            Upsert(ACTIVE, key={"model": model, "environment": environment},
                   values={"version": version})
            for (model, environment), version in active
            if version is not None
        ]  # fmt: skip
        self.reset()  # the batch's counts and versions are in `changes` now
        return changes

    def reset(self) -> None:
        self._changed.clear()
        self._active.clear()
