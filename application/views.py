"""Plain, JSON-ready views of a model's state and of its history, for the CLI, the API and reports."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from eventsourcing.utils import get_topic

from domain.events import Event as ModelEvent
from domain.gates import activation_gates_for
from domain.instants import utc_text
from domain.model import Model
from domain.record import MonitoringRecord

# An entry recorded this long after it took effect is marked as backdated in history output.
BACKDATED_AFTER = timedelta(hours=1)

_EVENT_BASE_FIELDS = {
    "originator_id",
    "originator_version",
    "timestamp",
    "originator_topic",
    "actor",
    "role",
    "reason",
    "correlation_id",
    "effective_at",
}


_PLAIN = frozenset({str, int, float, bool})
# A dataclass's field names by its class, found once (dataclasses.fields walks the class each time).
_DATACLASS_FIELDS: dict[type, tuple[str, ...]] = {}


def jsonable(value: Any) -> Any:
    """Datetimes as UTC ISO 8601 (`...Z`), decimals as strings, dataclasses as dicts, recursively."""
    kind = type(value)
    if value is None or kind in _PLAIN:  # most values: answered before the costlier checks
        return value
    names = _DATACLASS_FIELDS.get(kind)
    if names is not None:
        return {name: jsonable(getattr(value, name)) for name in names}
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, Decimal):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _DATACLASS_FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value))
        return {name: jsonable(getattr(value, name)) for name in names}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def model_state(model: Model, record: MonitoringRecord) -> dict[str, Any]:
    """The model's state, with the gate status of every version under its current policy, and its
    monitoring record (folded from the same events: application/as_of.py)."""
    return {
        "name": model.name,
        "model_revision": model.version,
        "model_version": model.version,  # the same number, by its old name (deprecated)
        "description": model.description,
        "owner": model.owner,
        "business_objective": model.business_objective,
        "risk_tier": model.risk_tier,
        "stakeholders": jsonable(model.stakeholders),
        "policy": jsonable(model.policy),
        # None, or who placed the hold, when, why, for which matter (domain/hold_steps.py).
        "legal_hold": jsonable(model.legal_hold),
        "active": dict(sorted(model.active.items())),
        "versions": [
            {
                **jsonable(version),
                "rejected": version.rejected,
                "gates": {
                    gate: (None if unmet is None else unmet.detail)
                    for gate, unmet in activation_gates_for(model, version.number).items()
                },
            }
            for version in model.versions
        ],
        "targets": [jsonable(target) for _, target in sorted(model.targets.items())],
        "targets_revision": model.targets_revision,
        "target_approvals": jsonable(model.target_approvals),
        "open_breaches": jsonable(model.open_breaches()),
        "closed_breaches": jsonable(record.closed_breaches()),
        "open_bias_flags": jsonable(model.open_bias_flags()),
        "resolved_bias_flags": jsonable(record.resolved_bias_flags()),
        "cost_reports": jsonable(record.cost_reports),
        # Each with its reporting deadline and the reports submitted (the clock: the portfolio).
        "serious_incidents": jsonable(list(model.serious_incidents.values())),
        "created_on": utc_text(model.created_on),
        "modified_on": utc_text(model.modified_on),
    }


def is_backdated(event: ModelEvent) -> bool:
    """Recorded more than BACKDATED_AFTER after it took effect in the world."""
    return event.timestamp - event.effective_at > BACKDATED_AFTER


def revision_fields(revision: int) -> dict[str, int]:
    """The aggregate's event position in a document: `model_revision`, and for one release its old
    name `model_version` beside it (deprecated; `version` is an ML release)."""
    return {"model_revision": revision, "model_version": revision}


def history_entry(event: ModelEvent) -> dict[str, Any]:
    """One lifecycle event with who, in which role, why, and both timelines."""
    details = {k: v for k, v in vars(event).items() if k not in _EVENT_BASE_FIELDS}
    return {
        **revision_fields(event.originator_version),
        "event": type(event).__name__,
        "topic": get_topic(type(event)),
        "actor": event.actor,
        "role": event.role,
        "reason": event.reason,
        "correlation_id": event.correlation_id,
        "effective_at": utc_text(event.effective_at),
        "recorded_at": utc_text(event.timestamp),
        "backdated": is_backdated(event),
        "details": jsonable(details),
    }
