"""A model as of an effective time without folding its whole history: its events indexed by
effective time, and the model folded in effective order kept every CHECKPOINT_EVERY events.

Snapshots follow the recorded order, and a backdated entry (a month's cost reported after the
month) lands earlier in the world's timeline than events recorded before it, so they cannot start
a replay in effective order (domain/history.py). A `Timeline` is the index that replaces them, in
this process: each event's (effective time, revision) in effective order, and every
CHECKPOINT_EVERY-th position the model folded through the events before it. A query reads the
events recorded since the last one (usually none), folds from the checkpoint before its moment
through at most CHECKPOINT_EVERY - 1 events, read by revision. New events are folded into the
checkpoints by the query that reads them; an entry backdated before a checkpoint drops that
checkpoint and those after it, and that query folds them again from the one before. The first
query on a model reads and folds its whole history once.
Forgetting a person drops every timeline (`Timelines.clear`), as it drops the model cache.
"""

from __future__ import annotations

import copy
import threading
from array import array
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import cast
from uuid import UUID

from domain.events import Event as ModelEvent
from domain.history import effective_step
from domain.model import Model

CHECKPOINT_EVERY = 200
TIMELINES_KEPT = 4  # models whose timelines this process keeps (the most recently asked): a
# 100,000-event model's takes about 30 MB (its checkpoints share what did not change between them)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# Revisions this close together are read in one range, with the few events between them.
_READ_GAP = 16

# Reads a model's events: after revision `gt`, up to revision `lte` (None: to the end).
ReadEvents = Callable[[UUID, int, int | None], Iterable[ModelEvent]]


def micros(at: datetime) -> int:
    """An instant as whole microseconds since 1970 (exact, so ties stay ties)."""
    return (at - _EPOCH) // _MICROSECOND


class Timeline:
    """One model's events in effective order (effective time, then revision, as `effective_by`
    sorts them) and the model folded through every `every`-th of them."""

    def __init__(self, model_id: UUID, read: ReadEvents, *, every: int = CHECKPOINT_EVERY) -> None:
        self.model_id = model_id
        self.read = read
        self.every = every
        self.head = 0  # the latest revision indexed
        self.effective = array("q")  # effective micros, in effective order
        self.revisions = array("q")  # their revisions, in the same order
        self.folded: dict[int, Model] = {}  # position p -> the model through positions < p
        self.lock = threading.Lock()

    def model_at(self, at: datetime) -> Model | None:
        """The model as effective at `at` (None: not registered by then)."""
        with self.lock:
            at_hand = self._catch_up()
            if at_hand:  # checkpoints through to the end, while the new events are at hand
                self._fold(len(self.effective) // self.every * self.every, at_hand)
            return self._fold(bisect_right(self.effective, micros(at)), at_hand)

    def _fold(self, end: int, at_hand: dict[int, ModelEvent]) -> Model | None:
        """The model through the events at positions before `end`, from the checkpoint before
        it; keeps the checkpoints it passes (`at_hand`: the query's events read so far)."""
        start = end // self.every * self.every
        while start and start not in self.folded:
            start -= self.every
        model = copy.deepcopy(self.folded[start]) if start else None
        for position, event in enumerate(self._events(start, end, at_hand), start):
            if model is None and not isinstance(event, Model.Registered):
                return None  # as replay_as_effective: nothing before the registration
            model = effective_step(model, event)
            if (position + 1) % self.every == 0 and position + 1 not in self.folded:
                self.folded[position + 1] = copy.deepcopy(model)
        return model

    def _catch_up(self) -> dict[int, ModelEvent]:
        """Index the events recorded since the last query; those events by revision."""
        fresh = {
            event.originator_version: event for event in self.read(self.model_id, self.head, None)
        }
        for revision in sorted(fresh):
            effective = micros(fresh[revision].effective_at)
            position = bisect_right(
                self.effective, effective
            )  # after every tie: its revision is later
            self.effective.insert(position, effective)
            self.revisions.insert(position, revision)
            for stale in [p for p in self.folded if p > position]:
                del self.folded[stale]  # a backdated entry: the folds after it no longer hold
            self.head = revision
        return fresh

    def _events(self, start: int, end: int, at_hand: dict[int, ModelEvent]) -> Iterator[ModelEvent]:
        """The events at positions start .. end-1, in effective order: those not `at_hand` read
        by revision, and kept there for the rest of the query."""
        wanted = self.revisions[start:end]
        for low, high in _ranges(sorted(set(wanted) - at_hand.keys())):
            at_hand.update(
                (e.originator_version, e) for e in self.read(self.model_id, low - 1, high)
            )
        return (at_hand[revision] for revision in wanted)


def _ranges(revisions: list[int]) -> Iterator[tuple[int, int]]:
    """Sorted revisions as (first, last) ranges, joined across gaps of up to _READ_GAP."""
    if not revisions:
        return
    low = high = revisions[0]
    for revision in revisions[1:]:
        if revision - high > _READ_GAP:
            yield low, high
            low = revision
        high = revision
    yield low, high


class Timelines:
    """The timelines of the models most recently asked about (TIMELINES_KEPT)."""

    def __init__(self, read: ReadEvents, *, kept: int = TIMELINES_KEPT) -> None:
        self.read = read
        self.kept = kept
        self._timelines: OrderedDict[UUID, Timeline] = OrderedDict()
        self._lock = threading.Lock()

    def model_at(self, model_id: UUID, at: datetime) -> Model | None:
        with self._lock:
            timeline = self._timelines.pop(model_id, None) or Timeline(model_id, self.read)
            self._timelines[model_id] = timeline
            while len(self._timelines) > self.kept:
                self._timelines.popitem(last=False)
        return timeline.model_at(at)

    def clear(self) -> None:
        with self._lock:
            self._timelines.clear()


def reader(get: Callable[..., Iterable[object]]) -> ReadEvents:
    """`ReadEvents` over an event store's `get` (gt / lte by revision)."""

    def read(model_id: UUID, gt: int, lte: int | None) -> Iterable[ModelEvent]:
        events = get(model_id, gt=gt or None, lte=lte)
        return cast(Iterable[ModelEvent], (e for e in events if isinstance(e, ModelEvent)))

    return read
