"""Projections are pure: an event in, row changes out; no database in these tests."""

from __future__ import annotations

from typing import Any

from application.projections.catalog import Catalog
from application.projections.changes import Added, Delete, Insert, RowChange, Update, Upsert
from application.projections.folds import ModelFolds
from application.projections.model_documents import ModelStates
from application.projections.outbox import OUTBOX, ROUTES, WebhookOutbox
from application.projections.personal import Personal
from application.projections.projection import Projection
from application.projections.targets import TargetHistory
from application.projections.usage import UsageWindows
from domain.commands import (
    Activate,
    ChangeGamePlan,
    Deactivate,
    OpenBreach,
    RollBack,
    SetTarget,
)
from domain.events import Event as ModelEvent
from domain.model import Model
from domain.record import MonitoringRecord
from tests.factories import by, new_model, ready_version

HOOK = "https://hooks.example/a"
OTHER_HOOK = "https://hooks.example/b"


def events_of(model: Model) -> list[ModelEvent]:
    events: list[ModelEvent] = list(model.collect_events())  # type: ignore[arg-type]
    return events


def changes_of(projection: Projection, events: list[ModelEvent]) -> list[RowChange]:
    changes: list[RowChange] = []
    for position, event in enumerate(events, start=1):
        changes += projection.changes(event=event, model="churn", position=position)
    return changes + projection.batch_end()


def of(changes: list[RowChange], table: str) -> list[RowChange]:
    return [change for change in changes if change.table == table]


def test_a_registered_model_is_a_catalog_row_with_its_owner_marked_personal() -> None:
    [registered] = changes_of(Catalog(), events_of(new_model()))
    assert isinstance(registered, Insert) and registered.table == "modelgov_catalog"
    assert registered.values["owner"] == Personal("Retail")
    assert registered.values["versions"] == 0 and registered.values["model_version"] == 1


def test_the_catalog_adds_up_a_batchs_counts_and_writes_them_with_the_model_version_once() -> None:
    model = new_model()
    events_of(model)
    catalog = Catalog()
    ready_version(model)
    changes = changes_of(catalog, events_of(model))
    [update] = [c for c in changes if isinstance(c, Update)]
    assert update.where == {"model": "churn"}
    assert update.values["versions"] == Added(1) and update.values["open_breaches"] == Added(0)
    assert update.values["model_version"] == model.version
    assert changes[-1] == update  # at the batch's end
    assert catalog.batch_end() == []  # and forgotten once written


def test_a_batch_writes_where_versions_ended_up_active_after_deleting_earlier_ones() -> None:
    model = new_model()
    first, second = ready_version(model), ready_version(model)
    events_of(model)
    catalog = Catalog()
    model.activate(Activate(name="churn", version=first, environment="production"), by("ops"))
    key = {"model": "churn", "environment": "production"}
    active = of(changes_of(catalog, events_of(model)), "modelgov_catalog_active")
    assert active == [Upsert("modelgov_catalog_active", key=key, values={"version": first})]
    model.activate(Activate(name="churn", version=second, environment="production"), by("ops"))
    model.roll_back(
        RollBack(name="churn", environment="production", to_version=first), by("ops", "slow")
    )
    active = of(changes_of(catalog, events_of(model)), "modelgov_catalog_active")
    assert active == [
        Delete("modelgov_catalog_active", where={**key, "version": first}),  # replaced by second
        Upsert("modelgov_catalog_active", key=key, values={"version": first}),  # rolled back
    ]
    model.deactivate(
        Deactivate(name="churn", version=first, environment="production"), by("ops", "why")
    )
    model.activate(Activate(name="churn", version=second, environment="production"), by("ops"))
    model.deactivate(
        Deactivate(name="churn", version=second, environment="production"), by("ops", "why")
    )
    assert of(changes_of(catalog, events_of(model)), "modelgov_catalog_active") == [
        Delete("modelgov_catalog_active", where={**key, "version": first}),
        Delete("modelgov_catalog_active", where=key),  # second: activated and deactivated
    ]


def test_a_rollback_closes_the_usage_window_that_matches_and_opens_another() -> None:
    model = new_model()
    first, second = ready_version(model), ready_version(model)
    model.activate(Activate(name="churn", version=first, environment="production"), by("ops"))
    model.activate(Activate(name="churn", version=second, environment="production"), by("ops"))
    events_of(model)
    model.roll_back(
        RollBack(name="churn", environment="production", to_version=first), by("ops", "slow")
    )
    closed, opened = changes_of(UsageWindows(), events_of(model))
    assert isinstance(closed, Update) and isinstance(opened, Insert)
    assert closed.where == {
        "model": "churn",
        "version": second,
        "environment": "production",
        "ended_at": None,
    }
    assert closed.values["end_reason"] == Personal(f"rolled back to version {first}: slow")
    assert isinstance(closed.values["ended_by"], Personal)
    assert opened.values["version"] == first
    assert isinstance(opened.values["started_by"], Personal)


def test_a_new_target_ends_the_one_in_force_then_starts_its_own_period() -> None:
    model = new_model()
    events_of(model)
    target: dict[str, Any] = dict(name="churn", dimension="accuracy", metric="auc",
                                  comparator=">=", threshold=0.7, severity="critical")  # fmt: skip
    model.set_target(SetTarget(**target), by("ds", "first"))
    ended, started = changes_of(TargetHistory(), events_of(model))
    assert ended == Update(
        "modelgov_target_history",
        where={"model": "churn", "dimension": "accuracy", "metric": "auc", "in_force_until": None},
        values={"in_force_until": started.values["in_force_from"]},  # type: ignore[union-attr]
    )
    assert isinstance(started, Insert) and started.values["reason"] == Personal("first")


def test_model_state_upserts_one_row_per_model_and_only_versions_that_changed() -> None:
    model = new_model()
    version = ready_version(model)
    model.activate(Activate(name="churn", version=version, environment="production"), by("ops"))
    projection = ModelStates()
    first = changes_of(projection, events_of(model))
    assert [c.table for c in first if isinstance(c, Upsert)] == [
        "modelgov_model_state",
        "modelgov_compliance",
        "modelgov_version_state",
    ]
    model.open_breach(_breach(), by("policy"))
    later = changes_of(projection, events_of(model))  # held in memory: no loader needed
    assert [c.table for c in later] == [
        "modelgov_incidents",
        "modelgov_model_state",
        "modelgov_compliance",
        "modelgov_queue_items",  # the model's items deleted, then written again
        "modelgov_queue_items",
    ]
    state = later[1]
    assert isinstance(state, Upsert) and state.key == {"model": "churn"}
    assert isinstance(state.values["document"], Personal)
    assert later[3] == Delete("modelgov_queue_items", where={"model": "churn"})
    breach = later[4]
    assert isinstance(breach, Insert) and breach.values["kind"] == "breach"
    assert isinstance(breach.values["item"], Personal)  # who registered, in sign-off items


def _breach() -> OpenBreach:
    return OpenBreach(name="churn", version=1, environment="production", dimension="accuracy",
                      metric="accuracy_metric", observed_value=2.0)  # fmt: skip


def _plan(*routes: dict[str, Any]) -> ChangeGamePlan:
    return ChangeGamePlan(name="churn", game_plan={"notifications": list(routes), "responses": []})


def test_the_outbox_queues_an_event_once_for_each_url_of_the_routes_that_take_it() -> None:
    model = new_model()
    model.change_game_plan(_plan(
        {"url": HOOK, "events": ["*"], "min_severity": "info"},
        {"url": HOOK, "events": ["VersionRegistered"], "min_severity": "info"},
        {"url": OTHER_HOOK, "events": ["*"], "min_severity": "critical"},
    ), by("eng", "route the hooks"))  # fmt: skip
    ready_version(model)
    changes = changes_of(WebhookOutbox(), events_of(model))
    routes = of(changes, ROUTES)
    assert routes[0] == Delete(ROUTES, where={"model": "churn"}) and len(routes) == 4
    queued = [c for c in of(changes, OUTBOX) if isinstance(c, Insert)]
    assert {c.values["url"] for c in queued} == {HOOK}  # nothing critical: not the other
    registered = [c for c in queued if c.values["event_type"] == "VersionRegistered"]
    assert len(registered) == 1  # two routes lead there, one delivery


def test_the_outbox_reads_a_models_routes_from_the_store_on_first_sight() -> None:
    model = new_model()
    model.change_game_plan(
        _plan({"url": HOOK, "events": ["*"], "min_severity": "info"}), by("eng", "hooks")
    )
    events_of(model)
    loaded: list[tuple[object, int]] = []

    def load(model_id: object, version: int) -> tuple[Model, MonitoringRecord]:
        loaded.append((model_id, version))
        return model, MonitoringRecord()

    outbox = WebhookOutbox()
    outbox.attach(ModelFolds(load))  # type: ignore[arg-type]
    ready_version(model)
    queued = of(changes_of(outbox, events_of(model)), OUTBOX)
    assert len(loaded) == 1  # once: then held in memory
    assert queued and {c.values["url"] for c in queued} == {HOOK}  # type: ignore[union-attr]
