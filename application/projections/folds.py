"""Models folded event by event in memory, shared by the projections of one runner.

The model documents and admission both need whole models. A runner gives its projections one
`ModelFolds`: the first projection to see an event folds it into the model, the others find it
folded. A model not held at the version just before an event (first sight, a restart, another
runner got ahead, or the projections are at different positions) is loaded from the store.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from application.governance import fold_model
from application.views import VersionFields
from domain.events import Event as ModelEvent
from domain.model import Model
from domain.record import MonitoringRecord

# (model id, aggregate version) -> the model as of that version, and its monitoring record, read
# from the event store (application/as_of.py: loaded_with_record).
Loader = Callable[[UUID, int], tuple[Model, MonitoringRecord]]


@dataclass
class Folded:
    """A model and its monitoring record as of its latest event; changed in place by the next."""

    name: str
    model: Model
    record: MonitoringRecord
    # The model documents' versions as last written, and their JSON (model_documents.py): only
    # changed ones again.
    versions: dict[int, tuple[dict[str, Any], str]] = field(default_factory=dict)
    # Their fields as made from the model's version entries (views.model_state: `known`).
    version_fields: VersionFields = field(default_factory=dict)


class ModelFolds:
    """Models folded, each at its latest event seen; `trim` keeps the latest `models_in_memory`."""

    def __init__(self, load: Loader | None = None, *, models_in_memory: int = 200) -> None:
        self._load = load
        self._limit = models_in_memory
        # By the model id's number: an event's id is a new UUID object, whose hashing and comparing
        # (Python code) cost more than an int's, once per projection per event.
        self._models: OrderedDict[int, Folded] = OrderedDict()

    def load(self, model_id: UUID, version: int) -> tuple[Model, MonitoringRecord]:
        """The model as the store has it at `version`, with its record up to there."""
        if self._load is None:
            raise RuntimeError("a projection needs a model loader: see Projection.attach")
        return self._load(model_id, version)

    def after(self, event: ModelEvent, name: str) -> Folded:
        """The model `name` just after `event` (folded now, or already by another projection)."""
        model_id, version = event.originator_id, event.originator_version
        key = model_id.int
        folded = self._models.get(key)
        if folded is not None and folded.model.version == version:
            self._models.move_to_end(key)
            return folded
        if version == 1:
            folded = None
        elif folded is None or folded.model.version != version - 1:
            folded = Folded(name, *self.load(model_id, version - 1))
        model = fold_model(folded.model if folded else None, [event])
        assert model is not None
        if folded is None:
            folded = Folded(name, model, MonitoringRecord())
        folded.model = model
        folded.record.add(event)
        self._models[key] = folded
        self._models.move_to_end(key)
        return folded

    def trim(self) -> None:
        """Keep the latest `models_in_memory` models (at a batch's end: all of a batch's stay)."""
        while len(self._models) > self._limit:
            self._models.popitem(last=False)

    def clear(self) -> None:
        """Forget every model (a batch did not commit, or the tables were dropped)."""
        self._models.clear()
