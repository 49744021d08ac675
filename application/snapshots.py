"""The copy of a model this process keeps (the library's cache) kept up to date by its own saves,
and a model's snapshot taken from it.

After a save, the library (fast-forwarding) leaves the cached copy as it was, and the next command
on the model reads back, decodes and applies the events it has just saved. When the cache holds
the model as it was before those events, this process's copy after them is the recorded state:
a copy of it is cached instead (not when the cache was dropped meanwhile, e.g. a person was
forgotten: the next command reads the model from the store). Every read still fast-forwards
over what other writers stored since.

The library takes a snapshot by replaying the model from its latest snapshot (up to an interval's
events, decoded and applied again) right after the save that reached the interval. This process's
cache holds the model as it read it from the store; fast-forwarded over the events stored since
(one, usually: the one just saved), it is the same recorded state. When it is not at the version
asked for (another writer came in between, or the model is not cached) the library's replay
takes the snapshot as before. The snapshot is the same, only cheaper to take.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, project_aggregate
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Recording


class SnapshotsFromCache(Application[UUID]):
    """An application whose saves keep its cached models up to date, and that snapshots a cached
    model, fast-forwarded, when it is at the version."""

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        cache = self.repository.cache  # the one the models were read from (a forgetting drops it)
        before = {
            obj.id: obj.version - len(obj.pending_events)
            for obj in objs
            if isinstance(obj, Aggregate) and obj.pending_events
        }
        recordings = super().save(*objs, **kwargs)
        if cache is not None and self.repository.fastforward:
            self._cache_saved(cache, [obj for obj in objs if isinstance(obj, Aggregate)], before)
        return recordings

    @staticmethod
    def _cache_saved(cache: Any, saved: Sequence[Aggregate], before: dict[UUID, int]) -> None:
        """Cache a copy of each saved aggregate whose cached copy is the one it was made from."""
        for aggregate in saved:
            try:
                cached = cache.get(aggregate.id)
            except KeyError:
                continue
            if before.get(aggregate.id) == cached.version:
                cache.put(aggregate.id, deepcopy(aggregate))

    def take_snapshot(
        self,
        aggregate_id: UUID,
        version: int | None = None,
        projector_func: Any = project_aggregate,
    ) -> None:
        recorded = self._cached_at(aggregate_id, version, projector_func)
        if recorded is None or self.snapshots is None:
            super().take_snapshot(aggregate_id, version, projector_func)
            return
        snapshot_class = getattr(type(recorded), "Snapshot", type(self).snapshot_class)
        self.snapshots.put([snapshot_class.take(recorded)])

    def _cached_at(self, aggregate_id: UUID, version: int | None, projector: Any) -> Any:
        """A copy of the cached aggregate, fast-forwarded over the stored events, if it is at
        `version`; else None."""
        repository = self.repository
        if version is None or repository.cache is None or not repository.fastforward:
            return None
        try:
            repository.cache.get(aggregate_id)  # only a cached one: not a replay to cache it
        except KeyError:
            return None
        try:
            recorded = repository.get(aggregate_id, projector_func=projector)
        except AggregateNotFoundError:
            return None
        return recorded if isinstance(recorded, Aggregate) and recorded.version == version else None
