"""Each model's current state as the API shows it: the model and version documents (with every
version's gate status under the current policy), its standing compliance findings and its incidents.

Gates and findings need the whole model, so this projection folds each model's events with the
domain's own code (`fold_model`, `model_state`, `standing_findings`) instead of re-deriving them in
SQL, in the models its runner shares among its projections (folds.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from application.portfolio import Incident, standing_findings
from application.projections.changes import Delete, Insert, RowChange, Update, Upsert
from application.projections.folds import Folded, ModelFolds
from application.projections.personal import Personal
from application.projections.projection import Projection
from application.queues import queue_items
from application.views import model_state
from domain.events import Event as ModelEvent
from domain.instants import sortable_utc_text
from domain.model import Model

MODEL_STATE, VERSION_STATE = "modelgov_model_state", "modelgov_version_state"
COMPLIANCE, INCIDENTS = "modelgov_compliance", "modelgov_incidents"
QUEUE_ITEMS = "modelgov_queue_items"


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class ModelStates(Projection):
    name = "model_state"
    tables: Sequence[str] = (MODEL_STATE, VERSION_STATE, COMPLIANCE, INCIDENTS, QUEUE_ITEMS)

    def __init__(self) -> None:
        self._folds = ModelFolds()  # the runner's, once attached
        self._touched: dict[int, Folded] = {}  # by the model id's number (in the ids' order)

    def changes(self, *, event: ModelEvent, model: str, position: int) -> list[RowChange]:
        folded = self._touched[event.originator_id.int] = self._folds.after(event, model)
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
        rows = [self._rows(self._touched[model_id]) for model_id in sorted(self._touched)]
        # Table by table, so that a runner can send each table's rows together.
        changes = [per_model[0] for per_model in rows] + [per_model[1] for per_model in rows]
        changes += [change for per_model in rows for change in per_model[2:]]
        self._touched.clear()
        self._folds.trim()
        return changes

    def attach(self, folds: ModelFolds) -> None:
        self._folds = folds

    def reset(self) -> None:
        self._folds.clear()
        self._touched.clear()

    def _rows(self, folded: Folded) -> list[RowChange]:
        """The model's row, its compliance row, then its changed versions' rows and its queue
        items (all of them again: a model has a handful)."""
        model, name = folded.model, folded.name
        document = model_state(model, folded.record, known=folded.version_fields)
        this = {"model": name}
        versions: list[RowChange] = []
        texts: list[str] = []
        for version in document["versions"]:
            number = version["number"]
            written = folded.versions.get(number)
            if written is None or written[0] != version:
                written = folded.versions[number] = (version, _json(version))
                versions.append(
                    Upsert(VERSION_STATE, key={"model": name, "version": number},
                           values={"document": Personal(written[1])})
                )  # fmt: skip
            texts.append(written[1])
        changes: list[RowChange] = [
            Upsert(MODEL_STATE, key=this, values={
                "model_version": model.version, "document": Personal(_document_json(document, texts)),
            }),
            Upsert(COMPLIANCE, key=this, values={
                "risk_tier": model.risk_tier, "active": _json(model.active),
                "bias_flag_max_open_days": model.policy.bias_flag_max_open_days,
                "monitoring_window_hours": model.policy.monitoring_window_hours,
                "standing_findings": _json(standing_findings(model)),
            }),
            *versions,
        ]  # fmt: skip
        changes.append(Delete(QUEUE_ITEMS, where=this))
        changes += [
            Insert(QUEUE_ITEMS, {"model": name, "kind": kind, "item_key": key, "sort_key": order,
                                 "item": Personal(_json(item))})
            for kind, key, order, item in queue_items(document)
        ]  # fmt: skip
        return changes


def _document_json(document: dict[str, Any], versions: list[str]) -> str:
    """`_json(document)`, with its versions as already written (`versions`, in their order):
    the same text, without writing the versions, most of a document, a second time."""
    keys = list(document)
    at = keys.index("versions")
    head = _json({key: document[key] for key in keys[:at]})
    tail = _json({key: document[key] for key in keys[at + 1 :]})
    return f'{head[:-1]},"versions":[{",".join(versions)}],{tail[1:]}'
