"""Each model's current state as the API shows it: the model and version documents (with every
version's gate status under the current policy), its standing compliance findings and its incidents.

Gates and findings need the whole model, so this projection folds each model's events with the
domain's own code (`fold_model`, `model_state`, `standing_findings`) instead of re-deriving them in
SQL. Folded models are kept in memory between batches; a model not held at the version just before
an event (first sight, a restart, another runner got ahead) is loaded from the store at that version.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from application.governance import fold_model
from application.portfolio import Incident, standing_findings
from application.projections.changes import Delete, Insert, RowChange, Update, Upsert
from application.projections.personal import Personal
from application.projections.projection import Loader, Projection
from application.queues import queue_items
from application.views import model_state
from domain.events import Event as ModelEvent
from domain.instants import sortable_utc_text
from domain.model import Model
from domain.record import MonitoringRecord

MODEL_STATE, VERSION_STATE = "modelgov_model_state", "modelgov_version_state"
COMPLIANCE, INCIDENTS = "modelgov_compliance", "modelgov_incidents"
QUEUE_ITEMS = "modelgov_queue_items"


@dataclass
class _Folded:
    name: str
    model: Model
    record: MonitoringRecord
    versions: dict[int, dict[str, Any]] = field(default_factory=dict)  # as last written


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class ModelStates(Projection):
    name = "model_state"
    tables: Sequence[str] = (MODEL_STATE, VERSION_STATE, COMPLIANCE, INCIDENTS, QUEUE_ITEMS)

    def __init__(self, *, models_in_memory: int = 200) -> None:
        self._load: Loader | None = None
        self._limit = models_in_memory
        self._models: OrderedDict[UUID, _Folded] = OrderedDict()
        self._touched: set[UUID] = set()

    def changes(self, *, event: ModelEvent, model: str, position: int) -> list[RowChange]:
        folded = self._fold(event, model)
        self._touched.add(event.originator_id)
        if isinstance(event, Model.BiasFlagRaised | Model.BiasFlagResolved):
            incident = Incident.of_bias_flag(folded.record.bias_flags[event.flag_id])
        elif isinstance(event, Model.BreachOpened | Model.BreachClosed):
            incident = Incident.of_breach(folded.record.breaches[event.breach_id])
        else:
            return []
        key = {"model": model, "kind": incident.kind, "incident_id": incident.incident_id}
        if isinstance(event, Model.BiasFlagResolved | Model.BreachClosed):
            closed = sortable_utc_text(incident.closed_at) if incident.closed_at else None
            return [Update(INCIDENTS, where=key, values={"closed_at": closed})]
        return [Insert(INCIDENTS, {
            **key, "version": incident.version, "environment": incident.environment,
            "opened_at": sortable_utc_text(incident.opened_at), "closed_at": None,
            "position": position,
        })]  # fmt: skip

    def batch_end(self) -> list[RowChange]:
        """One row per model (and per changed version) touched by the batch, from its folded state."""
        rows = [self._rows(self._models[model_id]) for model_id in sorted(self._touched)]
        # Table by table, so that a runner can send each table's rows together.
        changes = [per_model[0] for per_model in rows] + [per_model[1] for per_model in rows]
        changes += [change for per_model in rows for change in per_model[2:]]
        self._touched.clear()
        while len(self._models) > self._limit:
            self._models.popitem(last=False)
        return changes

    def attach(self, load: Loader) -> None:
        self._load = load

    def reset(self) -> None:
        self._models.clear()
        self._touched.clear()

    def _fold(self, event: ModelEvent, name: str) -> _Folded:
        model_id, version = event.originator_id, event.originator_version
        folded = self._models.get(model_id)
        if version == 1:
            folded = None
        elif folded is None or folded.model.version != version - 1:
            if self._load is None:
                raise RuntimeError("ModelStates needs a model loader: see Projection.attach")
            folded = _Folded(name, *self._load(model_id, version - 1))
        model = fold_model(folded.model if folded else None, [event])
        assert model is not None
        if folded is None:
            folded = _Folded(name, model, MonitoringRecord())
        folded.model = model
        folded.record.add(event)
        self._models[model_id] = folded
        self._models.move_to_end(model_id)
        return folded

    def _rows(self, folded: _Folded) -> list[RowChange]:
        """The model's row, its compliance row, then its changed versions' rows and its queue
        items (all of them again: a model has a handful)."""
        model, name = folded.model, folded.name
        document = model_state(model, folded.record)
        this = {"model": name}
        changes: list[RowChange] = [
            Upsert(MODEL_STATE, key=this, values={
                "model_version": model.version, "document": Personal(_json(document)),
            }),
            Upsert(COMPLIANCE, key=this, values={
                "risk_tier": model.risk_tier, "active": _json(model.active),
                "bias_flag_max_open_days": model.policy.bias_flag_max_open_days,
                "monitoring_window_hours": model.policy.monitoring_window_hours,
                "standing_findings": _json(standing_findings(model)),
            }),
        ]  # fmt: skip
        for version in document["versions"]:
            number = version["number"]
            if folded.versions.get(number) != version:
                changes.append(
                    Upsert(VERSION_STATE, key={"model": name, "version": number},
                           values={"document": Personal(_json(version))})
                )  # fmt: skip
                folded.versions[number] = version
        changes.append(Delete(QUEUE_ITEMS, where=this))
        changes += [
            Insert(QUEUE_ITEMS, {"model": name, "kind": kind, "item_key": key, "sort_key": order,
                                 "item": Personal(_json(item))})
            for kind, key, order, item in queue_items(document)
        ]  # fmt: skip
        return changes
