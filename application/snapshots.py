"""The copy of a model this process keeps (the library's cache) kept up to date by its own saves,
and a model's snapshot taken from it; neither may bring back what a forgetting erased.

After a save, the library (fast-forwarding) leaves the cached copy as it was, and the next command
on the model reads back, decodes and applies the events it has just saved. Instead, a copy of the
model as saved is cached, when the cache it was read from still holds it as it was before those
events. Only into that cache: a forgetting replaces this process's cache (drop_decrypted_copies),
and a model read before it must not put the forgotten person's values into the new one.

The library takes a snapshot by replaying the model from its latest snapshot (up to an interval's
events, decoded and applied again) right after the save that reached the interval. Instead, the
cached copy, fast-forwarded over the events stored since, is taken when it is at that version,
as long as nobody has been forgotten since this process started: a copy holds what it opened when
it read the events, and a forgetting in another process (which destroys every snapshots key) is
seen here only later. After a forgetting the library replays, as before, until the process
restarts: the cache a forgetting leaves (drop_decrypted_copies) is not trusted either, because a
read that began before the drop may finish into it (the library's `Repository.get` puts into
whichever cache is current then) and a key looked up just before the forgetting may still be held
for a few seconds (keys.py). Forgettings are rare; snapshots cost a replay after one.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from copy import deepcopy
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, project_aggregate
from eventsourcing.domain import Aggregate

from application.erasure.forget import Erasable
from domain.people import People


class SnapshotsFromCache(Erasable):
    """An application whose saves keep its cached models up to date, and that snapshots a cached
    model, fast-forwarded, when it is at the version and nobody was forgotten since the process
    started."""

    def __init__(self, env: Any = None) -> None:
        # What each model in use was read from: id(model) -> (the model, weakly; the cache).
        self._read_from: dict[int, tuple[weakref.ref[Any], Any]] = {}
        self._watermark_lock = threading.Lock()
        super().__init__(env)
        try:
            head = self._head()
        except Exception:  # no table yet: the first look reads the log from its start
            head = 0
        # (the cache, the log position up to which no forgetting was recorded since it was made;
        # nothing is cached yet, so no model in it was read before it), or None once the process
        # has dropped its copies or seen a forgetting: its cache is not trusted for snapshots.
        self._no_forgetting: tuple[Any, int] | None = (self.repository.cache, head)

    def _head(self) -> int:
        return self.recorder.max_notification_id() or 0

    def read_cached(self, model_id: UUID, **get: Any) -> Any:
        """`repository.get(model_id, **get)`, remembering which cache the model was read from
        (taken before the read: a cache that replaces it meanwhile is never credited with it)."""
        cache = self.repository.cache
        model = self.repository.get(model_id, **get)
        if cache is not None and get.get("version") is None:  # read through the cache
            key = id(model)

            def gone(_: object, key: int = key) -> None:
                self._read_from.pop(key, None)

            self._read_from[key] = (weakref.ref(model, gone), cache)
        return model

    def drop_decrypted_copies(self) -> None:
        self._no_forgetting = None  # first: from now on, snapshots by replay
        super().drop_decrypted_copies()

    def cache_saved(self, saved: Sequence[Aggregate], before: dict[int, int]) -> None:
        """After a save (commit.py): cache a copy of each saved model, in the cache it was read
        from, when that still holds the model as it was read (another thread's save or read may
        have moved it on); `before` holds each model's revision before the events saved."""
        if not self.repository.fastforward:
            return
        for aggregate in saved:
            if before.get(id(aggregate), aggregate.version) == aggregate.version:
                continue  # nothing saved for it
            read = self._read_from.get(id(aggregate))
            if read is None or read[0]() is not aggregate:
                continue
            cache = read[1]
            try:
                cached = cache.get(aggregate.id)
            except KeyError:
                continue
            if before[id(aggregate)] == cached.version:
                cache.put(aggregate.id, deepcopy(aggregate))

    def take_snapshot(
        self,
        aggregate_id: UUID,
        version: int | None = None,
        projector_func: Any = project_aggregate,
    ) -> None:
        recorded = self._cached_at(aggregate_id, version, projector_func)
        snapshot_class = getattr(type(recorded), "Snapshot", type(self).snapshot_class)
        if recorded is None or snapshot_class is None or self.snapshots is None:
            super().take_snapshot(aggregate_id, version, projector_func)  # says what is missing
            return
        self.snapshots.put([snapshot_class.take(recorded)])

    def _cached_at(self, aggregate_id: UUID, version: int | None, projector: Any) -> Any:
        """A copy of the cached aggregate, fast-forwarded over the stored events, if it is at
        `version` and nothing was forgotten since the cache was made; else None."""
        repository = self.repository
        if version is None or repository.cache is None or not repository.fastforward:
            return None
        if not self._nothing_forgotten_since_the_cache_was_made():
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

    def _nothing_forgotten_since_the_cache_was_made(self) -> bool:
        """No `PersonForgotten` recorded since this process started, and its cache never dropped
        (each look reads only the events since the last; once one is found, the answer is no for
        the rest of the process's life)."""
        with self._watermark_lock:
            if self._no_forgetting is None:
                return False
            cache, checked = self._no_forgetting
            if cache is not self.repository.cache:
                self._no_forgetting = None
                return False
            try:
                head = self._head()
                forgotten = head > checked and self.recorder.select_notifications(
                    start=checked + 1, limit=1, stop=head, topics=(People.PersonForgotten.TOPIC,)
                )
            except Exception:  # the log could not be read: not known, so not trusted this time
                return False
            if forgotten:
                self._no_forgetting = None
                return False
            self._no_forgetting = (cache, head)
            return True
