"""The console's copy of recently viewed models' events: a model's history only grows (the store
is append-only), so a page reads the events recorded since its last view, not all of them again."""

from __future__ import annotations

import threading
from collections import OrderedDict

from application.governance import Governance
from domain.events import Event as ModelEvent

MODELS_KEPT = 16  # models whose decoded events are kept (the most recently viewed)


class RecentModelEvents:
    """Per model, its decoded events up to the latest revision read; extended on each call."""

    def __init__(self, governance: Governance, *, models: int = MODELS_KEPT) -> None:
        self.governance = governance
        self.models = models
        self._events: OrderedDict[str, tuple[ModelEvent, ...]] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0  # counts the clears: a read begun before one does not write back
        governance.on_forgotten.append(self.clear)  # what a forgotten person's key opened goes

    def clear(self) -> None:
        with self._lock:
            self._events.clear()
            self._generation += 1

    def of(self, name: str) -> list[ModelEvent]:
        """Every event of the model, in recorded order, as stored now (ModelNotFoundError when
        there is no such model)."""
        with self._lock:
            known, generation = self._events.get(name, ()), self._generation
        after = known[-1].originator_version if known else 0
        newer = self.governance.model_events(name, after_revision=after)
        events = known + tuple(newer)
        with self._lock:
            if generation != self._generation:  # cleared meanwhile: what was read stays out
                return list(events)
            if len(events) >= len(self._events.get(name, ())):
                self._events[name] = events
            self._events.move_to_end(name)
            while len(self._events) > self.models:
                self._events.popitem(last=False)
        return list(events)
