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
from application.projections.base import Loader, Projection, Statement
from application.projections.personal import Personal
from application.views import model_state
from domain.events import Event as ModelEvent
from domain.instants import sortable_utc_text
from domain.model import Model
from domain.record import MonitoringRecord


@dataclass
class _Folded:
    name: str
    model: Model
    record: MonitoringRecord
    versions: dict[int, dict[str, Any]] = field(default_factory=dict)  # as last written


def _upsert(table: str, keys: Sequence[str], values: dict[str, Any]) -> Statement:
    columns = ", ".join(values)
    updates = ", ".join(f"{c} = excluded.{c}" for c in values if c not in keys)
    return (
        f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' for _ in values)}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}",
        tuple(values.values()),
    )


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class ModelStates(Projection):
    name = "model_state"
    tables: Sequence[str] = (
        "modelgov_model_state",
        "modelgov_version_state",
        "modelgov_compliance",
        "modelgov_incidents",
    )

    def __init__(self, *, models_in_memory: int = 200) -> None:
        self._load: Loader | None = None
        self._limit = models_in_memory
        self._models: OrderedDict[UUID, _Folded] = OrderedDict()
        self._touched: set[UUID] = set()

    def schema(self) -> Sequence[str]:
        return [
            """CREATE TABLE IF NOT EXISTS modelgov_model_state (
                model TEXT PRIMARY KEY,
                model_version INTEGER NOT NULL,
                document TEXT NOT NULL)""",
            """CREATE TABLE IF NOT EXISTS modelgov_version_state (
                model TEXT NOT NULL,
                version INTEGER NOT NULL,
                document TEXT NOT NULL,
                PRIMARY KEY (model, version))""",
            """CREATE TABLE IF NOT EXISTS modelgov_compliance (
                model TEXT PRIMARY KEY,
                risk_tier TEXT NOT NULL,
                active TEXT NOT NULL,
                bias_flag_max_open_days INTEGER NOT NULL,
                monitoring_window_hours INTEGER NOT NULL,
                standing_findings TEXT NOT NULL)""",
            """CREATE TABLE IF NOT EXISTS modelgov_incidents (
                model TEXT NOT NULL,
                kind TEXT NOT NULL,
                incident_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                environment TEXT,
                opened_at TEXT NOT NULL,
                closed_at TEXT,
                position BIGINT NOT NULL,
                PRIMARY KEY (model, kind, incident_id))""",
        ]

    def statements(self, *, event: ModelEvent, model: str, position: int) -> list[Statement]:
        folded = self._fold(event, model)
        self._touched.add(event.originator_id)
        if isinstance(event, Model.BiasFlagRaised | Model.BiasFlagResolved):
            incident = Incident.of_bias_flag(folded.record.bias_flags[event.flag_id])
        elif isinstance(event, Model.BreachOpened | Model.BreachClosed):
            incident = Incident.of_breach(folded.record.breaches[event.breach_id])
        else:
            return []
        if isinstance(event, Model.BiasFlagResolved | Model.BreachClosed):
            return [(
                "UPDATE modelgov_incidents SET closed_at = ? WHERE model = ? AND kind = ? "
                "AND incident_id = ?",
                (sortable_utc_text(incident.closed_at) if incident.closed_at else None, model,
                 incident.kind, incident.incident_id),
            )]  # fmt: skip
        return [(
            "INSERT INTO modelgov_incidents (model, kind, incident_id, version, environment, "
            "opened_at, closed_at, position) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
            (model, incident.kind, incident.incident_id, incident.version, incident.environment,
             sortable_utc_text(incident.opened_at), position),
        )]  # fmt: skip

    def batch_end(self) -> list[Statement]:
        """One row per model (and per changed version) touched by the batch, from its folded state."""
        rows = [self._rows(self._models[model_id]) for model_id in sorted(self._touched)]
        # Table by table, so that a runner can send each table's rows together.
        statements = [per_model[0] for per_model in rows] + [per_model[1] for per_model in rows]
        statements += [statement for per_model in rows for statement in per_model[2:]]
        self._touched.clear()
        while len(self._models) > self._limit:
            self._models.popitem(last=False)
        return statements

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

    def _rows(self, folded: _Folded) -> list[Statement]:
        """The model's row, its compliance row, then its changed versions' rows."""
        model, name = folded.model, folded.name
        document = model_state(model, folded.record)
        statements = [
            _upsert(
                "modelgov_model_state", ["model"],
                {"model": name, "model_version": model.version,
                 "document": Personal(_json(document))},
            ),
            _upsert(
                "modelgov_compliance", ["model"],
                {"model": name, "risk_tier": model.risk_tier, "active": _json(model.active),
                 "bias_flag_max_open_days": model.policy.bias_flag_max_open_days,
                 "monitoring_window_hours": model.policy.monitoring_window_hours,
                 "standing_findings": _json(standing_findings(model))},
            ),
        ]  # fmt: skip
        for version in document["versions"]:
            number = version["number"]
            if folded.versions.get(number) != version:
                statements.append(
                    _upsert(
                        "modelgov_version_state", ["model", "version"],
                        {"model": name, "version": number, "document": Personal(_json(version))},
                    )
                )  # fmt: skip
                folded.versions[number] = version
        return statements
