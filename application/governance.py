"""The event-sourced governance application: one method per use case (get, call the model, save)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder
from eventsourcing.utils import Environment

from application.diff import model_diff
from application.errors import (
    ConcurrencyConflictError,
    EffectiveTimeInFutureError,
    ModelAlreadyRegisteredError,
    ModelNotFoundError,
    ModelVersionOutOfRangeError,
    StaleVersionError,
)
from application.group_commit import GroupCommitter
from application.receipts import (
    IdempotentRequest,
    Receipt,
    ReceiptStore,
    commit_with_receipts,
    current_request,
    nothing_recorded_on_failure,
    raise_if_answered,
)
from application.results import Recorded
from application.transcodings import register_state_transcodings
from domain.events import Event as ModelEvent
from domain.events import Registered
from domain.history import replay_as_effective
from domain.instants import utc_text
from domain.maintenance import MAINTENANCE_ID, Maintenance, MaintenanceEvent
from domain.model import Model, model_id_for
from domain.values import Attribution

T = TypeVar("T")

DEFAULT_SNAPSHOT_INTERVAL = 100
# How far an event's effective time may run ahead of the recording clock (clocks differ a little).
CLOCK_SKEW = timedelta(minutes=5)


def fold_model(model: Model | None, events: Iterable[Any]) -> Model | None:
    """Apply events to a model, in order, with the library's version checks.

    The library's default projector also asserts a runtime-checkable Protocol on every event,
    which on Python 3.11 costs about a third of a command (see bench/README.md); our events are
    all `Model` events, so the check adds nothing here.
    """
    for event in events:
        model = event.mutate(model)
    return model


class Governance(Application[UUID]):
    """Registered models and their lifecycle, stored as events; configured only by the `env` it is given."""

    name = "modelgov"
    snapshotting_intervals = {Model: DEFAULT_SNAPSHOT_INTERVAL}
    snapshotting_projectors = {Model: fold_model}

    def __init__(self, env: Mapping[str, str], *, snapshot_interval: int | None = None) -> None:
        if snapshot_interval is not None:
            # Per instance on purpose: the interval is a setting (MODELGOV_SNAPSHOT_INTERVAL).
            self.snapshotting_intervals = {Model: snapshot_interval}  # type: ignore[misc]
        super().__init__(dict(env))
        self._names: dict[UUID, str] = {}
        self._committer: GroupCommitter | None = None
        # modelgov's store records receipts with the events (infrastructure/receipts.py).
        self.receipts: ReceiptStore | None = (
            self.recorder if isinstance(self.recorder, ReceiptStore) else None
        )

    def construct_env(self, name: str, env: Mapping[str, str] | None = None) -> Environment:
        # Unlike the library's default, the process environment is not read: settings come from
        # infrastructure's validated MODELGOV_* settings only, never from stray variables.
        return Environment(name, {"IS_SNAPSHOTTING_ENABLED": "y", **(env or {})})

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_state_transcodings(transcoder)

    # ------------------------------------------------------------------ commands

    def register_model(
        self,
        *,
        name: str,
        description: str,
        owner: str,
        business_objective: str,
        risk_tier: str,
        stakeholders: list[dict[str, str]],
        by: Attribution,
    ) -> Recorded[None]:
        self._check_not_in_future(by)
        request = current_request()
        with nothing_recorded_on_failure():
            model = Model.register(
                name=name,
                description=description,
                owner=owner,
                business_objective=business_objective,
                risk_tier=risk_tier,
                stakeholders=stakeholders,
                by=by,
            )
            recorded = Recorded(name=name, model_version=model.version, value=None)
            receipt = Receipt.for_command(recorded, request)
        try:
            self.save_with_receipts(model, receipts=[receipt])
        except IntegrityError:
            raise_if_answered(self.receipts, request)
            raise ModelAlreadyRegisteredError(
                f"a model named {name!r} is already registered"
            ) from None
        return recorded

    def change_policy(
        self,
        name: str,
        *,
        risk_tier: str,
        policy: dict[str, Any] | None,
        by: Attribution,
        expected_version: int | None = None,
    ) -> Recorded[None]:
        return self._change(
            name,
            by=by,
            expected_version=expected_version,
            command=lambda m: m.change_policy(risk_tier=risk_tier, policy=policy, by=by),
        )

    def register_version(
        self,
        name: str,
        *,
        card: dict[str, Any],
        by: Attribution,
        expected_version: int | None = None,
    ) -> Recorded[int]:
        return self._change(
            name,
            by=by,
            expected_version=expected_version,
            command=lambda m: m.register_version(card=card, by=by),
        )

    def record_validation(
        self,
        name: str,
        *,
        version: int,
        kind: str,
        dataset: str,
        metrics: dict[str, float],
        passed: bool,
        compared_to: int | None,
        by: Attribution,
        expected_version: int | None = None,
    ) -> Recorded[None]:
        return self._change(
            name,
            by=by,
            expected_version=expected_version,
            command=lambda m: m.record_validation(
                version=version,
                kind=kind,
                dataset=dataset,
                metrics=metrics,
                passed=passed,
                compared_to=compared_to,
                by=by,
            ),
        )

    def set_target(
        self,
        name: str,
        *,
        dimension: str,
        metric: str,
        comparator: str,
        threshold: float,
        window: str = "last",
        severity: str = "warning",
        unit: str = "",
        hysteresis: float = 0.0,
        min_duration_seconds: int = 0,
        by: Attribution,
        expected_version: int | None = None,
    ) -> Recorded[int]:
        return self._change(
            name,
            by=by,
            expected_version=expected_version,
            command=lambda m: m.set_target(
                dimension=dimension,
                metric=metric,
                comparator=comparator,
                threshold=threshold,
                window=window,
                severity=severity,
                unit=unit,
                hysteresis=hysteresis,
                min_duration_seconds=min_duration_seconds,
                by=by,
            ),
        )

    def approve_targets(
        self, name: str, *, revision: int, by: Attribution, expected_version: int | None = None
    ) -> Recorded[None]:
        return self._change(
            name,
            by=by,
            expected_version=expected_version,
            command=lambda m: m.approve_targets(revision=revision, by=by),
        )

    def approve_release(
        self, name: str, *, version: int, by: Attribution, expected_version: int | None = None
    ) -> Recorded[None]:
        return self._change(
            name,
            by=by,
            expected_version=expected_version,
            command=lambda m: m.approve_release(version=version, by=by),
        )

    def reject_release(
        self, name: str, *, version: int, by: Attribution, expected_version: int | None = None
    ) -> Recorded[None]:
        return self._change(
            name,
            by=by,
            expected_version=expected_version,
            command=lambda m: m.reject_release(version=version, by=by),
        )

    def sign_off(
        self, name: str, *, version: int, by: Attribution, expected_version: int | None = None
    ) -> Recorded[None]:
        return self._change(
            name,
            by=by,
            expected_version=expected_version,
            command=lambda m: m.sign_off(version=version, by=by),
        )

    def activate(
        self,
        name: str,
        *,
        version: int,
        environment: str,
        by: Attribution,
        expected_version: int | None = None,
    ) -> Recorded[None]:
        return self._change(
            name,
            by=by,
            expected_version=expected_version,
            command=lambda m: m.activate(version=version, environment=environment, by=by),
        )

    def deactivate(
        self,
        name: str,
        *,
        version: int,
        environment: str,
        by: Attribution,
        expected_version: int | None = None,
    ) -> Recorded[None]:
        return self._change(
            name,
            by=by,
            expected_version=expected_version,
            command=lambda m: m.deactivate(version=version, environment=environment, by=by),
        )

    def roll_back(
        self,
        name: str,
        *,
        environment: str,
        to_version: int,
        by: Attribution,
        expected_version: int | None = None,
    ) -> Recorded[None]:
        return self._change(
            name,
            by=by,
            expected_version=expected_version,
            command=lambda m: m.roll_back(environment=environment, to_version=to_version, by=by),
        )

    def retire_version(
        self, name: str, *, version: int, by: Attribution, expected_version: int | None = None
    ) -> Recorded[None]:
        return self._change(
            name,
            by=by,
            expected_version=expected_version,
            command=lambda m: m.retire_version(version=version, by=by),
        )

    def open_breach(
        self,
        name: str,
        *,
        version: int,
        environment: str,
        dimension: str,
        metric: str,
        observed_value: float,
        by: Attribution,
        expected_version: int | None = None,
    ) -> Recorded[str]:
        return self._change(
            name,
            by=by,
            expected_version=expected_version,
            command=lambda m: m.open_breach(
                version=version,
                environment=environment,
                dimension=dimension,
                metric=metric,
                observed_value=observed_value,
                by=by,
            ),
        )

    def close_breach(
        self,
        name: str,
        *,
        breach_id: str,
        observed_value: float,
        by: Attribution,
        expected_version: int | None = None,
    ) -> Recorded[None]:
        return self._change(
            name,
            by=by,
            expected_version=expected_version,
            command=lambda m: m.close_breach(
                breach_id=breach_id, observed_value=observed_value, by=by
            ),
        )

    def raise_bias_flag(
        self,
        name: str,
        *,
        version: int,
        attribute: str,
        metric: str,
        value: float,
        threshold: float,
        evidence: dict[str, Any] | None = None,
        by: Attribution,
        expected_version: int | None = None,
    ) -> Recorded[str]:
        return self._change(
            name,
            by=by,
            expected_version=expected_version,
            command=lambda m: m.raise_bias_flag(
                version=version,
                attribute=attribute,
                metric=metric,
                value=value,
                threshold=threshold,
                evidence=evidence,
                by=by,
            ),
        )

    def resolve_bias_flag(
        self,
        name: str,
        *,
        flag_id: str,
        resolution: str,
        by: Attribution,
        expected_version: int | None = None,
    ) -> Recorded[None]:
        return self._change(
            name,
            by=by,
            expected_version=expected_version,
            command=lambda m: m.resolve_bias_flag(flag_id=flag_id, resolution=resolution, by=by),
        )

    def report_cost(
        self,
        name: str,
        *,
        period: str,
        amount: Decimal | float | str,
        currency: str,
        business_unit: str,
        version: int | None = None,
        by: Attribution,
        expected_version: int | None = None,
    ) -> Recorded[None]:
        return self._change(
            name,
            by=by,
            expected_version=expected_version,
            command=lambda m: m.report_cost(
                period=period,
                amount=amount,
                currency=currency,
                business_unit=business_unit,
                version=version,
                by=by,
            ),
        )

    def change_game_plan(
        self,
        name: str,
        *,
        game_plan: dict[str, Any],
        by: Attribution,
        expected_version: int | None = None,
    ) -> Recorded[None]:
        return self._change(
            name,
            by=by,
            expected_version=expected_version,
            command=lambda m: m.change_game_plan(game_plan=game_plan, by=by),
        )

    # ------------------------------------------------------------------- queries

    def get_model(self, name: str, *, version: int | None = None) -> Model:
        """The model now, or as of aggregate version `version` (1 = as registered)."""
        if version is not None:
            self._check_version_in_range(name, version)
        try:
            model: Model = self.repository.get(
                model_id_for(name), version=version, projector_func=fold_model
            )
        except AggregateNotFoundError:
            raise ModelNotFoundError(f"no model named {name!r} is registered") from None
        return model

    def model_events(self, name: str, *, up_to_version: int | None = None) -> list[ModelEvent]:
        """Every lifecycle event of the model (up to a model version), in recorded order."""
        events = list(self.events.get(model_id_for(name), lte=up_to_version))
        if not events:
            raise ModelNotFoundError(f"no model named {name!r} is registered")
        return [event for event in events if isinstance(event, ModelEvent)]

    def model_as_known_at(self, name: str, at: datetime) -> Model:
        """The model as the ledger knew it at `at`: only events recorded at or before that moment."""
        version = self.version_known_at(name, at)
        if version == 0:
            raise ModelNotFoundError(f"model {name!r} was not yet registered at {utc_text(at)}")
        return self.get_model(name, version=version)

    def model_as_effective_at(self, name: str, at: datetime) -> Model:
        """The model as it was in the world at `at`: events effective at or before that moment."""
        model = replay_as_effective(self.model_events(name), at)
        if model is None:
            raise ModelNotFoundError(f"model {name!r} was not yet registered at {utc_text(at)}")
        return model

    def version_known_at(self, name: str, at: datetime) -> int:
        """The model's version as the ledger knew it at `at` (0: not registered yet).

        Each event is recorded after the one before it, so recorded times grow with the version:
        a bisection reads one event per probe (about 17 for 100,000 events), not all of them.
        """
        model_id = model_id_for(name)
        latest = cast(list[ModelEvent], list(self.events.get(model_id, desc=True, limit=1)))
        if not latest:
            raise ModelNotFoundError(f"no model named {name!r} is registered")
        low, high = 0, latest[0].originator_version  # recorded(low) <= at < recorded(high)
        if latest[0].timestamp <= at:
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
        self, name: str, *, from_version: int, to_version: int | None = None
    ) -> dict[str, Any]:
        """What changed between two model versions (0 = before registration), with the events."""
        events = self.model_events(name)
        to = events[-1].originator_version if to_version is None else to_version
        if not 0 <= from_version <= to <= events[-1].originator_version:
            raise ModelVersionOutOfRangeError(
                f"model {name!r} has versions 1 to {events[-1].originator_version}; "
                f"cannot compare {from_version} with {to}"
            )
        before = self.get_model(name, version=from_version) if from_version else None
        after = self.get_model(name, version=to)
        between = [e for e in events if from_version < e.originator_version <= to]
        return model_diff(before=before, after=after, events=between)

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
        """Events of every model in commit order after position `after`: (position, model, event).

        The store's maintenance events are left out; fewer than `limit` entries still means that
        the log was read to its end.
        """
        feed: list[tuple[int, str, ModelEvent]] = []
        start = after + 1
        while len(feed) < limit:
            wanted = limit - len(feed)
            page = self.recorder.select_notifications(start=start, limit=wanted)
            for notification in page:
                event = self.mapper.to_domain_event(notification)
                if not isinstance(event, ModelEvent):
                    continue
                if isinstance(event, Registered):  # saves name_of a query for every model in a feed
                    self._names[event.originator_id] = event.name
                feed.append((notification.id, self.name_of(event.originator_id), event))
            if len(page) < wanted:
                break
            start = page[-1].id + 1
        return feed

    def maintenance_events(self) -> list[MaintenanceEvent]:
        """What was done to the store itself (e.g. append-only triggers put back), in order."""
        return [
            event
            for event in self.events.get(MAINTENANCE_ID)
            if isinstance(event, MaintenanceEvent)
        ]

    # ------------------------------------------------------------------- helpers

    def name_of(self, model_id: UUID) -> str:
        # Names never change, so the cache needs no invalidation.
        if model_id not in self._names:
            registered = next(iter(self.events.get(model_id, lte=1)))
            self._names[model_id] = cast(Registered, registered).name
        return self._names[model_id]

    def _check_version_in_range(self, name: str, version: int) -> None:
        latest = list(self.events.get(model_id_for(name), desc=True, limit=1))
        if not latest:
            raise ModelNotFoundError(f"no model named {name!r} is registered")
        current = latest[0].originator_version
        if not 1 <= version <= current:
            raise ModelVersionOutOfRangeError(
                f"model {name!r} has versions 1 to {current}; there is no version {version}"
            )

    @staticmethod
    def _check_not_in_future(by: Attribution) -> None:
        recorded = by.recorded_at or datetime.now(UTC)
        if by.effective_at > recorded + CLOCK_SKEW:
            raise EffectiveTimeInFutureError(
                f"effective_at {utc_text(by.effective_at)} is after the moment it is recorded "
                f"({utc_text(recorded)}); record an event when it has happened"
            )

    def record_append_only_triggers_reinstalled(
        self, *, triggers: list[str], database_role: str, by: Attribution
    ) -> None:
        """Record, in the ledger, that the append-only triggers named were put back, by whom, why."""
        self._check_not_in_future(by)
        try:
            log: Maintenance = self.repository.get(MAINTENANCE_ID)
        except AggregateNotFoundError:
            log = Maintenance.start(by=by)
        log.reinstall_append_only_triggers(triggers=triggers, database_role=database_role, by=by)
        try:
            self.save(log)
        except IntegrityError:
            raise ConcurrencyConflictError(
                "another process recorded store maintenance at the same moment; run the command again"
            ) from None

    def enable_group_commits(self, *, max_batch: int = 64) -> None:
        """From now on, commands from many threads are saved several at a time (see group_commit)."""
        if self._committer is None:
            self._committer = GroupCommitter(self, max_batch=max_batch)

    def close(self) -> None:
        if self._committer is not None:
            self._committer.close()
        super().close()

    def _change(
        self,
        name: str,
        *,
        by: Attribution,
        expected_version: int | None,
        command: Callable[[Model], T],
    ) -> Recorded[T]:
        self._check_not_in_future(by)
        request = current_request()
        if self._committer is not None:
            recorded: Recorded[T] = self._committer.submit(
                name, expected_version=expected_version, command=command, request=request
            )
            return recorded
        return self.change_directly(
            name, expected_version=expected_version, command=command, request=request
        )

    def change_directly(
        self,
        name: str,
        *,
        expected_version: int | None,
        command: Callable[[Model], T],
        request: IdempotentRequest | None = None,
    ) -> Recorded[T]:
        """Load the model, run the command, save its events in a transaction of their own."""
        with nothing_recorded_on_failure():
            model = self.get_model(name)
            if expected_version is not None and expected_version != model.version:
                raise StaleVersionError(name=name, expected=expected_version, actual=model.version)
            value = command(model)
            recorded = Recorded(name=name, model_version=model.version, value=value)
            receipt = Receipt.for_command(recorded, request)
        if not model.pending_events and request is None:
            return recorded  # nothing recorded and no answer to keep (monitoring, mostly)
        try:
            self.save_with_receipts(model, receipts=[receipt])
        except IntegrityError:
            raise_if_answered(self.receipts, request)
            raise ConcurrencyConflictError(
                f"model {name!r} was changed by another writer while this command ran; "
                "nothing was recorded: read it again and retry"
            ) from None
        return recorded

    def save_with_receipts(self, *models: Model, receipts: Sequence[Receipt]) -> None:
        """Save the models' events and the commands' receipts in one transaction.

        Raises IntegrityError when another writer came first; a save found committed after a
        failure returns; see `commit_with_receipts` for the rest.
        """
        commit_with_receipts(
            lambda: self.save(*models, receipts=receipts), receipts=receipts, store=self.receipts
        )
