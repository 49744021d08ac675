"""Plain, JSON-ready views of a model's state and of its history, for the CLI, the API and reports."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from eventsourcing.utils import get_topic

from domain.entities import Version
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
    """Datetimes as UTC ISO 8601 (`...Z`), decimals as strings, dataclasses as dicts, recursively.

    (Plain values inside are taken as they are, without a call for each: most of a document.)"""
    kind, plain = type(value), _PLAIN
    if value is None or kind in plain:  # most values: answered before the costlier checks
        return value
    # Dicts, lists and datetimes next (the bulk of the rest), before the dataclass lookup.
    if isinstance(value, dict):
        return {str(k): v if v is None or type(v) in plain else jsonable(v)
                for k, v in value.items()}  # fmt: skip
    if isinstance(value, list | tuple):
        return [v if v is None or type(v) in plain else jsonable(v) for v in value]
    if isinstance(value, datetime):
        return utc_text(value)
    names = _DATACLASS_FIELDS.get(kind)
    if names is None:
        if isinstance(value, Decimal):
            return str(value)
        if not dataclasses.is_dataclass(value) or isinstance(value, type):
            return value
        names = _DATACLASS_FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value))
    return {
        name: v if (v := getattr(value, name)) is None or type(v) in plain else jsonable(v)
        for name in names
    }


# A version's fields as JSON by its number, with the entry they were made of (see model_state).
VersionFields = dict[int, tuple[Version, dict[str, Any]]]


def model_state(
    model: Model, record: MonitoringRecord, *, known: VersionFields | None = None
) -> dict[str, Any]:
    """The model's state, with the gate status of every version under its current policy, and its
    monitoring record (folded from the same events: application/as_of.py).

    `known`, if given, holds versions' fields as made for an earlier state of the same model, and
    is kept up to date: those of a version the model still holds as the very same entry are used
    again. The state is copy-on-write (domain/state.py): an entry is never changed once in place,
    an event that changes a version puts a new one there."""
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
                **_version_fields(version, known),
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


def _version_fields(version: Version, known: VersionFields | None) -> dict[str, Any]:
    if known is None:
        return cast(dict[str, Any], jsonable(version))
    made = known.get(version.number)
    if made is None or made[0] is not version:
        made = known[version.number] = (version, jsonable(version))
    return made[1]


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
