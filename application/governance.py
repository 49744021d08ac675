"""The event-sourced governance application: one handler for every command (get, call the model, save).

`Governance.handle(command, by=...)` runs any command of domain/commands.py on its model and saves
what it recorded, alone or in a group commit (application/commit.py); the
queries replay models as of a revision, an effective time or a known time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording
from eventsourcing.utils import Environment

from application.commit import Store, save_with_receipts
from application.diff import model_diff
from application.effective_timeline import Timelines, reader
from application.errors import (
    ConcurrencyConflictError,
    ModelNotFoundError,
    ModelVersionOutOfRangeError,
)
from application.feed import read_feed
from application.handling import Handling
from application.receipts import Receipt, ReceiptStore
from application.results import Recorded
from application.snapshots import SnapshotsFromCache
from application.transcodings import register_state_transcodings
from domain.events import Event as ModelEvent
from domain.events import Registered
from domain.history import replay_as_effective
from domain.instants import utc_text
from domain.maintenance import MAINTENANCE_ID, Maintenance
from domain.model import Model, model_id_for
from domain.values import Attribution

DEFAULT_SNAPSHOT_INTERVAL = 100


def fold_model(model: Model | None, events: Iterable[Any]) -> Model | None:
    """Apply events to a model, in order, with the library's version checks.

    The library's default projector also asserts a runtime-checkable Protocol on every event,
    which on Python 3.11 costs about a third of a command (see bench/README.md); our events are
    all `Model` events, so the check adds nothing here.
    """
    for event in events:
        model = event.mutate(model)
    return model


class Governance(Handling, SnapshotsFromCache):
    """Registered models and their lifecycle, stored as events; configured only by the `env` it is given."""

    name = "modelgov"
    snapshotting_intervals = {Model: DEFAULT_SNAPSHOT_INTERVAL}
    snapshotting_projectors = {Model: fold_model}

    def __init__(self, env: Mapping[str, str], *, snapshot_interval: int | None = None) -> None:
        if snapshot_interval is not None:
            # Per instance on purpose: the interval is a setting (MODELGOV_SNAPSHOT_INTERVAL).
            self.snapshotting_intervals = {Model: snapshot_interval}  # type: ignore[misc]
        super().__init__(dict(env))
        self._names: dict[int, str] = {}  # by the model id's number (cheaper to hash and compare)
        # Called after each save with its recordings (see _notify): wake-ups, counts.
        self.on_saved: list[Callable[[Sequence[Recording[UUID]]], None]] = []
        # modelgov's store records receipts with the events (infrastructure/db/recorders.py).
        self.receipts: ReceiptStore | None = (
            self.recorder if isinstance(self.recorder, ReceiptStore) else None
        )
        self._store = Store(
            load=self._load, save=self.save, receipts=self.receipts, saved=self.cache_saved
        )
        self._timelines = Timelines(reader(self.events.get))  # as of effective times
        self.on_forgotten.append(self._timelines.clear)

    def construct_env(self, name: str, env: Mapping[str, str] | None = None) -> Environment:
        # Unlike the library's default, the process environment is not read: settings come from
        # infrastructure's validated MODELGOV_* settings only, never from stray variables.
        return Environment(name, {"IS_SNAPSHOTTING_ENABLED": "y", **(env or {})})

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_state_transcodings(transcoder)

    # ------------------------------------------------------------------- queries

    def get_model(self, name: str, *, revision: int | None = None) -> Model:
        """The model now, or as of its revision `revision` (its N-th event; 1 = as registered)."""
        if revision is not None:
            self._check_revision_in_range(name, revision)
        return self._at_revision(name, revision)

    def _at_revision(self, name: str, revision: int | None) -> Model:
        try:
            model: Model = self.read_cached(
                model_id_for(name), version=revision, projector_func=fold_model
            )
        except AggregateNotFoundError:
            raise ModelNotFoundError(f"no model named {name!r} is registered") from None
        return model

    def model_events(
        self,
        name: str,
        *,
        up_to_revision: int | None = None,
        after_revision: int = 0,
        limit: int | None = None,
    ) -> list[ModelEvent]:
        """The model's lifecycle events in recorded order: every one, or those after one revision
        and up to another, at most `limit` (a page reads only its own rows)."""
        events = list(
            self.events.get(
                model_id_for(name), gt=after_revision or None, lte=up_to_revision, limit=limit
            )
        )
        if not events and after_revision == 0:
            raise ModelNotFoundError(f"no model named {name!r} is registered")
        if not events:
            self._latest_event(name)  # past the end of a model's history, or no such model
        return [event for event in events if isinstance(event, ModelEvent)]

    def model_as_known_at(self, name: str, at: datetime) -> Model:
        """The model as the ledger knew it at `at`: only events recorded at or before that moment."""
        revision = self.revision_known_at(name, at)
        if revision == 0:
            raise ModelNotFoundError(f"model {name!r} was not yet registered at {utc_text(at)}")
        return self._at_revision(name, revision)  # in range: revision_known_at read the latest

    def model_as_effective_at(
        self, name: str, at: datetime, *, events: list[ModelEvent] | None = None
    ) -> Model:
        """The model as it was in the world at `at`: events effective at or before that moment
        (`events`: the model's events, when the caller has read them already)."""
        model = (
            self._timelines.model_at(model_id_for(name), at)
            if events is None
            else replay_as_effective(events, at)
        )
        if model is None:
            self._latest_event(name)  # ModelNotFoundError if there is no such model at all
            raise ModelNotFoundError(f"model {name!r} was not yet registered at {utc_text(at)}")
        return model

    def model_as_of(
        self,
        name: str,
        *,
        revision: int | None = None,
        effective_at: datetime | None = None,
        known_at: datetime | None = None,
    ) -> Model:
        """The model at one point of either timeline (the caller gives at most one): as effective
        in the world at a time, as the ledger knew it at a time, or as of a revision (default: now)."""
        if effective_at is not None:
            return self.model_as_effective_at(name, effective_at)
        if known_at is not None:
            return self.model_as_known_at(name, known_at)
        return self.get_model(name, revision=revision)

    def revision_known_at(self, name: str, at: datetime) -> int:
        """The model's revision as the ledger knew it at `at` (0: not registered yet).

        Each event is recorded after the one before it, so recorded times grow with the revision:
        a bisection reads one event per probe (about 17 for 100,000 events), not all of them.
        """
        model_id = model_id_for(name)
        latest = self._latest_event(name)
        low, high = 0, latest.originator_version  # recorded(low) <= at < recorded(high)
        if latest.timestamp <= at:
            return high
        while high - low > 1:
            middle = (low + high) // 2
            [probe] = cast(
                list[ModelEvent], list(self.events.get(model_id, gt=middle - 1, lte=middle))
            )
            if probe.timestamp <= at:
                low = middle
            else:
                high = middle
        return low

    def diff(
        self, name: str, *, from_revision: int, to_revision: int | None = None
    ) -> dict[str, Any]:
        """What changed between two revisions of a model (0 = before registration), with the events."""
        events = self.model_events(name)
        to = events[-1].originator_version if to_revision is None else to_revision
        if not 0 <= from_revision <= to <= events[-1].originator_version:
            raise ModelVersionOutOfRangeError(
                f"model {name!r} has revisions 1 to {events[-1].originator_version}; "
                f"cannot compare {from_revision} with {to}"
            )
        before = self.get_model(name, revision=from_revision) if from_revision else None
        after = self.get_model(name, revision=to)
        return model_diff(before=before, after=after, events=events[:to])

    def registered_model_names(self) -> list[str]:
        """Names of all registered models, in registration order (a scan; projections do it faster)."""
        names: list[str] = []
        start = 1
        while True:
            page = self.recorder.select_notifications(
                start=start, limit=500, topics=[Model.Registered.TOPIC]
            )
            for notification in page:
                registered = cast(Registered, self.mapper.to_domain_event(notification))
                names.append(registered.name)
            if len(page) < 500:
                return names
            start = page[-1].id + 1

    def event_feed(self, *, after: int, limit: int) -> list[tuple[int, str, ModelEvent]]:
        """Events of every model in commit order after position `after`: (position, model, event);
        fewer than `limit` entries means that the log was read to its end (application/feed.py)."""
        return read_feed(self, after=after, limit=limit).entries

    def maintenance_events(self) -> list[Maintenance.Event]:
        """What was done to the store itself (e.g. append-only triggers put back), in order."""
        return [
            event
            for event in self.events.get(MAINTENANCE_ID)
            if isinstance(event, Maintenance.Event)
        ]

    # ------------------------------------------------------------------- helpers

    def name_of(self, model_id: UUID) -> str:
        # Names never change, so the cache needs no invalidation.
        name = self._names.get(model_id.int)
        if name is None:
            registered = next(iter(self.events.get(model_id, lte=1)))
            name = self._names[model_id.int] = cast(Registered, registered).name
        return name

    def _latest_event(self, name: str) -> ModelEvent:
        """The model's last event (one row read); ModelNotFoundError if it has none."""
        latest = cast(
            list[ModelEvent], list(self.events.get(model_id_for(name), desc=True, limit=1))
        )
        if not latest:
            raise ModelNotFoundError(f"no model named {name!r} is registered")
        return latest[0]

    def _check_revision_in_range(self, name: str, revision: int) -> None:
        current = self._latest_event(name).originator_version
        if not 1 <= revision <= current:
            raise ModelVersionOutOfRangeError(
                f"model {name!r} has revisions 1 to {current}; there is no revision {revision}"
            )

    def record_append_only_triggers_reinstalled(
        self, *, triggers: list[str], database_role: str, by: Attribution
    ) -> None:
        """Record, in the ledger, that the append-only triggers named were put back, by whom, why."""
        self._check_not_in_future(by)
        log = self.store_log(Maintenance, MAINTENANCE_ID, by=by)
        log.reinstall_append_only_triggers(triggers=triggers, database_role=database_role, by=by)
        try:
            self.save(log)
        except IntegrityError:
            raise ConcurrencyConflictError(
                "another process recorded store maintenance at the same moment; run the command again"
            ) from None

    def close(self) -> None:
        if self._committer is not None:
            self._committer.close()
        super().close()

    def _load(self, name: str) -> Model | None:
        try:
            model: Model = self.read_cached(model_id_for(name), projector_func=fold_model)
        except AggregateNotFoundError:
            return None
        return model

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        # The library's hook after every save: wake this process's followers (projections), count.
        for told in self.on_saved:
            told(recordings)

    def save_changes(self, model: Model) -> None:
        """Save what commands run on `model` (`model.handle`) recorded, together: for a use case
        that judges one model several times in a row (monitoring). ConcurrencyConflictError when
        another writer changed the model first: nothing was recorded then."""
        if not model.pending_events:
            return
        receipt = Receipt.for_command(
            Recorded(model.name, model_revision=model.version, value=None), None
        )
        try:
            save_with_receipts(self._store, [model], [receipt])
        except IntegrityError:
            raise ConcurrencyConflictError(
                f"model {model.name!r} was changed by another writer meanwhile; nothing was recorded"
            ) from None
