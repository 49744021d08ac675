"""A model with its monitoring record, now or at one point of either timeline: what the state views
show (application/views.py: model_state).

The model keeps bounded state (domain/state.py); the record of every breach, bias flag and cost
report is folded from the same events, read up to the same point.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import cast
from uuid import UUID

from application.errors import ModelNotFoundError
from application.governance import Governance, fold_model
from domain.events import Event as ModelEvent
from domain.history import effective_by, replay_as_effective
from domain.instants import utc_text
from domain.model import Model
from domain.record import MonitoringRecord, monitoring_record


def model_with_record(
    governance: Governance,
    name: str,
    *,
    revision: int | None = None,
    effective_at: datetime | None = None,
    known_at: datetime | None = None,
) -> tuple[Model, MonitoringRecord]:
    """The model and its record at one point (the caller gives at most one): as effective in the
    world at a time, as the ledger knew it at a time, or as of a revision (default: now)."""
    if effective_at is not None:
        events = governance.model_events(name)
        model = replay_as_effective(events, effective_at)
        if model is None:
            raise ModelNotFoundError(
                f"model {name!r} was not yet registered at {utc_text(effective_at)}"
            )
        return model, monitoring_record(effective_by(events, effective_at))
    model = governance.model_as_of(name, revision=revision, known_at=known_at)
    return model, monitoring_record(governance.model_events(name, up_to_revision=model.version))


def loaded_with_record(
    governance: Governance, model_id: UUID, revision: int
) -> tuple[Model, MonitoringRecord]:
    """A model by id as of a revision (from its latest snapshot), with its record up to there."""
    model: Model = governance.repository.get(model_id, version=revision, projector_func=fold_model)
    events = cast(Iterable[ModelEvent], governance.events.get(model_id, lte=revision))
    return model, monitoring_record(events)
