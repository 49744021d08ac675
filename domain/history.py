"""Time travel over a model's events: the model as it was effective at a moment in the world."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import cast

from domain.events import Event as ModelEvent
from domain.model import Model


def effective_by(events: Iterable[ModelEvent], at: datetime) -> list[ModelEvent]:
    """The events whose `effective_at` is not after `at`, in effective-time order.

    Recording order breaks ties, so a backdated entry lands where it belongs in the world's timeline.
    """
    return sorted(
        (event for event in events if event.effective_at <= at),
        key=lambda event: (event.effective_at, event.originator_version),
    )


def replay_as_effective(events: Iterable[ModelEvent], at: datetime) -> Model | None:
    """Fold the events effective by `at` (`effective_by`) in effective-time order.

    Returns None when the model was not yet registered at that moment.
    """
    effective = effective_by(events, at)
    if not effective or not isinstance(effective[0], Model.Registered):
        return None
    model: Model | None = None
    for event in effective:
        model = effective_step(model, event)
    return model


def effective_step(model: Model | None, event: ModelEvent) -> Model:
    """Apply one event of an effective-order replay: the first registers the model; the others
    are applied without the library's sequence check (in effective order the revisions are not
    dense); the model's revision is the highest applied."""
    if model is None:
        return cast(Model, event.mutate(None))
    event.apply(model)
    model.modified_on = event.timestamp
    model.version = max(model.version, event.originator_version)
    return model
