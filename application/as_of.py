"""A model with its monitoring record, now or at one point of either timeline: what the state views
show (application/views.py: model_state).

The model keeps bounded state (domain/state.py); the record of every breach, bias flag and cost
report is folded from the same events, read up to the same point.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar, cast
from uuid import UUID

from application.errors import ModelNotFoundError
from application.governance import Governance, fold_model
from domain.events import Event as ModelEvent
from domain.events import VersionActivated
from domain.history import effective_by, effective_step
from domain.model import Model
from domain.record import MonitoringRecord, monitoring_record

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class ReplayPoint:
    """One point of a model's history (give at most one): after a revision, as effective in the
    world at a time, or as the ledger knew it at a time; none: now."""

    revision: int | None = None
    effective_at: datetime | None = None
    known_at: datetime | None = None


def model_with_record(
    governance: Governance, name: str, point: ReplayPoint = ReplayPoint()
) -> tuple[Model, MonitoringRecord]:
    """The model and its record at one point (default: now)."""
    if point.effective_at is not None:
        events = governance.model_events(name)
        model = governance.model_as_effective_at(name, point.effective_at, events=events)
        return model, monitoring_record(effective_by(events, point.effective_at))
    model = governance.model_as_of(name, revision=point.revision, known_at=point.known_at)
    return model, monitoring_record(governance.model_events(name, up_to_revision=model.version))


def loaded_with_record(
    governance: Governance, model_id: UUID, revision: int
) -> tuple[Model, MonitoringRecord]:
    """A model by id as of a revision, with its record up to there: its events read once, both
    folded from them (the record needs every event anyway, so a snapshot would save no read)."""
    events = list(cast(Iterable[ModelEvent], governance.events.get(model_id, lte=revision)))
    model = fold_model(None, events)
    if model is None:
        raise ModelNotFoundError(f"no model with id {model_id} is recorded")
    return model, monitoring_record(events)


def judged_activations(
    events: Sequence[ModelEvent],
    judge: Callable[[Model, VersionActivated], T],
    *,
    effective_order: bool = False,
) -> tuple[Model | None, list[T]]:
    """Fold a model's events and, at each activation, `judge` the model as it stood just before
    it (its gates as they stood then): the model at the end, and each judgement in order.

    The events in recorded order (the library checks the sequence), or, with `effective_order`,
    as `effective_by` sorts them (a replay as of a moment in the world: domain/history.py).
    """
    model: Model | None = None
    judged: list[T] = []
    for event in events:
        if isinstance(event, VersionActivated) and model is not None:
            judged.append(judge(model, event))
        model = effective_step(model, event) if effective_order else fold_model(model, [event])
    return model, judged
