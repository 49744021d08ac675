"""What changed in a model between two points of its history, and the events that changed it."""

from __future__ import annotations

from typing import Any

from application.views import history_entry, jsonable
from domain.events import Event as ModelEvent
from domain.model import Model
from domain.record import MonitoringRecord, monitoring_record


def _versions(model: Model | None) -> dict[int, dict[str, Any]]:
    if model is None:
        return {}
    return {
        v.number: {
            "retired": v.retired,
            "rejected": v.rejected,
            "approvals": sorted(d.principal for d in v.release_approvals),
            "signoffs": sorted(d.principal for d in v.compliance_signoffs),
            "validations": len(v.validations),
        }
        for v in model.versions
    }


def _changes(before: dict[Any, Any], after: dict[Any, Any]) -> dict[str, Any]:
    added = {str(k): after[k] for k in after if k not in before}
    removed = {str(k): before[k] for k in before if k not in after}
    changed = {
        str(k): {"from": before[k], "to": after[k]}
        for k in after
        if k in before and before[k] != after[k]
    }
    return {"added": added, "removed": removed, "changed": changed}


def _flags(record: MonitoringRecord | None) -> dict[str, Any]:
    if record is None:
        return {}
    return {k: "open" if f.is_open else f.resolution for k, f in record.bias_flags.items()}


def _breaches(record: MonitoringRecord | None) -> dict[str, Any]:
    if record is None:
        return {}
    return {k: "open" if b.closed_at is None else "closed" for k, b in record.breaches.items()}


def _targets(model: Model | None) -> dict[str, Any]:
    return {} if model is None else {k: jsonable(t) for k, t in model.targets.items()}


def model_diff(
    *,
    before: Model | None,
    after: Model,
    events: list[ModelEvent],
    earlier: list[ModelEvent] | None = None,
) -> dict[str, Any]:
    """The differences from `before` (None: not registered yet) to `after`, section by section.

    `events`: the model's events up to `after`; those `before` was not folded from are listed as
    its changes. `earlier`: the events (of `events`) `before` was folded from; by default those up
    to its revision. On the effective timeline, pass them: backdated entries fall between.
    """
    if earlier is None:
        since = before.version if before else 0
        earlier = [event for event in events if event.originator_version <= since]
    kept = {id(event) for event in earlier}
    before_record = monitoring_record(earlier) if before else None
    after_record = monitoring_record(events)
    return {
        "from_revision": before.version if before else 0,
        "to_revision": after.version,
        # The same two numbers by their old names (deprecated: a version is an ML release).
        "from_version": before.version if before else 0,
        "to_version": after.version,
        "risk_tier": {"from": before.risk_tier if before else None, "to": after.risk_tier},
        "versions": _changes(_versions(before), _versions(after)),
        "targets": _changes(_targets(before), _targets(after)),
        "active": _changes(dict(before.active) if before else {}, dict(after.active)),
        "bias_flags": _changes(_flags(before_record), _flags(after_record)),
        "breaches": _changes(_breaches(before_record), _breaches(after_record)),
        "events": [history_entry(event) for event in events if id(event) not in kept],
    }
