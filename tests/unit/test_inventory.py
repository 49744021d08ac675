"""The model inventory from models' state documents: status, card fields and their gaps, the last
independent validation and the next revalidation due by the policy's interval."""

from __future__ import annotations

from datetime import datetime, timedelta

from application.inventory import COLUMNS, add_months, build_inventory
from application.views import model_state
from domain.commands import (
    Activate,
    ApproveRelease,
    ChangePolicy,
    Deactivate,
    RecordValidation,
    RegisterVersion,
    RetireVersion,
)
from domain.model import Model
from domain.policy import GATES_BY_TIER
from domain.record import MonitoringRecord
from tests.factories import T0, by, card, new_model


def _document(model: Model) -> dict[str, object]:
    return model_state(model, MonitoringRecord())


def _validated(
    model: Model, version: int, principal: str, *, at: datetime, role: str | None = None
) -> None:
    model.record_validation(
        RecordValidation(name=model.name, version=version, kind="review", dataset="holdout",
                         metrics={"auc": 0.8}, passed=True),
        by(principal, at=at, role=role),
    )  # fmt: skip


def _live(tier: str, name: str) -> tuple[Model, int]:
    model = new_model(tier, name=name)
    extras = {"method": "logistic regression", "developers": ["ann"]}
    version = model.register_version(
        RegisterVersion(name=name, card=card(extras=extras)), by("eng")
    )
    model.approve_release(ApproveRelease(name=name, version=version), by("ds"))
    return model, version


def test_a_retired_model_stays_in_the_inventory_with_its_card() -> None:
    model, version = _live("low", "old-scorer")
    model.activate(
        Activate(name="old-scorer", version=version, environment="production"), by("ops")
    )
    model.deactivate(
        Deactivate(name="old-scorer", version=version, environment="production"), by("ops", "gone")
    )
    model.retire_version(RetireVersion(name="old-scorer", version=version), by("eng", "gone"))
    inventory = build_inventory([_document(model)], as_of=T0)
    [entry] = inventory["models"]
    assert entry["status"] == "retired" and entry["serving"] == {}
    assert entry["method"] == "logistic regression" and entry["inputs"] == ["tenure", "balance"]
    assert entry["outputs"] == ["churned"] and entry["developers"] == ["ann"]
    assert entry["missing"] == ["independent_validation"]
    assert inventory["totals"]["retired"] == 1 and list(entry) == list(COLUMNS)


def test_a_card_that_does_not_say_its_method_or_developers_is_listed_as_a_gap() -> None:
    model = new_model("medium", name="plain")
    model.register_version(RegisterVersion(name="plain", card=card()), by("eng"))
    [entry] = build_inventory([_document(model)], as_of=T0)["models"]
    assert entry["method"] == "" and entry["developers"] == ["eng"]  # the registrant
    assert entry["missing"] == ["method", "developers", "independent_validation"]
    assert entry["validation_status"] == "not validated" and entry["status"] == "inactive"
    [draft] = build_inventory([_document(new_model("low", name="draft"))], as_of=T0)["models"]
    assert draft["status"] == "draft" and draft["missing"] == ["model card"]


def test_only_an_independent_validation_sets_the_next_revalidation_by_the_tiers_interval() -> None:
    model, version = _live("high", "scorer")
    _validated(model, version, "ds", at=T0 + timedelta(days=1))  # not a validator
    _validated(model, version, "eng", at=T0 + timedelta(days=2), role="validator")  # registrant
    # A validator, but the card names her a developer.
    _validated(model, version, "ann", at=T0 + timedelta(days=3), role="validator")
    entry = build_inventory([_document(model)], as_of=T0)["models"][0]
    assert entry["last_independent_validation_at"] is None
    assert entry["validation_status"] == "passed"
    assert entry["validation_date"] == "2026-01-08T09:00:00Z"
    _validated(model, version, "val", at=T0 + timedelta(days=4))
    entry = build_inventory([_document(model)], as_of=T0)["models"][0]
    assert entry["last_independent_validation_by"] == "val"
    assert entry["last_independent_validation_at"] == "2026-01-09T09:00:00Z"
    assert entry["revalidation_interval_months"] == 12
    assert entry["next_revalidation_due"] == "2027-01-09T09:00:00Z"
    assert entry["missing"] == [] and not entry["revalidation_overdue"]
    later = build_inventory([_document(model)], as_of=T0 + timedelta(days=400))
    assert later["models"][0]["revalidation_overdue"]
    assert later["totals"]["revalidation_overdue"] == 1

    policy = {"required_gates": list(GATES_BY_TIER["high"]), "revalidation_interval_months": 6}
    model.change_policy(ChangePolicy(name="scorer", risk_tier="high", policy=policy), by("co", "x"))
    entry = build_inventory([_document(model)], as_of=T0)["models"][0]
    assert entry["next_revalidation_due"] == "2026-07-09T09:00:00Z"


def test_the_card_is_the_production_versions_and_the_models_are_by_name() -> None:
    model, first = _live("low", "router")
    model.activate(Activate(name="router", version=first, environment="production"), by("ops"))
    model.register_version(RegisterVersion(name="router", card=card(features=["newer"])), by("eng"))
    other, _ = _live("low", "alpha")
    inventory = build_inventory([_document(model), _document(other)], as_of=T0)
    assert [entry["model"] for entry in inventory["models"]] == ["alpha", "router"]
    router = inventory["models"][1]
    assert router["card_version"] == 1 and router["inputs"] == ["tenure", "balance"]
    assert router["serving"] == {"production": 1} and router["versions"] == 2


def test_months_are_added_on_the_calendar_keeping_the_day_or_the_months_last() -> None:
    assert add_months("2026-01-31T10:00:00Z", 1) == "2026-02-28T10:00:00Z"
    assert add_months("2026-03-15T00:00:00Z", 12) == "2027-03-15T00:00:00Z"
    assert add_months("2027-11-30T23:59:59Z", 3) == "2028-02-29T23:59:59Z"
