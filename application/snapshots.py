"""Taking a model's snapshot from the copy this process keeps of it, brought up to date.

The library takes a snapshot by replaying the model from its latest snapshot (up to an interval's
events, decoded and applied again) right after the save that reached the interval. This process's
cache holds the model as it read it from the store; fast-forwarded over the events stored since
(one, usually: the one just saved), it is the same recorded state. When it is not at the version
asked for (another writer came in between, or the model is not cached) the library's replay
takes the snapshot as before. The snapshot is the same, only cheaper to take.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, project_aggregate
from eventsourcing.domain import Aggregate


class SnapshotsFromCache(Application[UUID]):
    """An application that snapshots a cached model, fast-forwarded, when it is at the version."""

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
