"""Policies stored before revalidation intervals still load (Registered v2, PolicyChanged v1, the
model's state v4), with their tier's interval."""

from __future__ import annotations

from eventsourcing.domain import Snapshot

from application.governance import Governance
from domain.commands import RecordValidation, RegisterVersion
from domain.model import Model
from domain.policy import GATES_BY_TIER
from infrastructure.settings import Settings
from tests.factories import by, card, registration
from tests.integration.test_upcasting import _insert, _read_afresh, _v1_fields

_OLD_POLICY = {"required_gates": list(GATES_BY_TIER["medium"]), "environments": ["production"],
               "min_distinct_approvers": 2, "bias_flag_max_open_days": 14,
               "monitoring_window_hours": 24}  # fmt: skip


def test_old_registrations_and_policy_changes_read_with_their_tiers_interval(
    app: Governance,
) -> None:
    registered = {
        "name": "legacy", "description": "d", "owner": "o", "business_objective": "b",
        "risk_tier": "medium", "stakeholders": [], "policy": _OLD_POLICY,
    }  # fmt: skip
    _insert(app, "legacy", 1, Model.Registered.TOPIC, {**_v1_fields(), **registered})
    assert app.get_model("legacy").policy.revalidation_interval_months == 24
    changed = {"risk_tier": "high", "policy": {**_OLD_POLICY, "required_gates":
               list(GATES_BY_TIER["high"])}, "previous_risk_tier": "medium",
               "previous_policy": _OLD_POLICY}  # fmt: skip
    _insert(app, "legacy", 2, Model.PolicyChanged.TOPIC, {**_v1_fields(), **changed})
    model = app.get_model("legacy")
    assert model.policy.revalidation_interval_months == 12
    [event] = [e for e in app.model_events("legacy") if isinstance(e, Model.PolicyChanged)]
    assert event.previous_policy["revalidation_interval_months"] == 24


def test_a_state_version_4_snapshot_loads_with_the_tiers_interval(
    app: Governance, backend: Settings
) -> None:
    app.handle(registration("legacy", "low"), by=by("eng"))
    app.handle(RegisterVersion(name="legacy", card=card()), by=by("eng"))
    validation = RecordValidation(name="legacy", version=1, kind="ab_test", dataset="holdout",
                                  metrics={"auc": 0.8}, passed=True)  # fmt: skip
    app.handle(validation, by=by("ds"))
    stored = app.mapper.to_stored_event(Snapshot.take(app.get_model("legacy")))
    snapshot = app.mapper.to_domain_event(stored)
    snapshot.state["policy"].revalidation_interval_months = 99  # what the field's default hides
    snapshot.state["class_version"] = 4
    app.snapshots.recorder.insert_events([app.mapper.to_stored_event(snapshot)])  # type: ignore[union-attr]

    model = _read_afresh(backend, "legacy")
    assert model.policy.revalidation_interval_months == 36
    assert model.versions[0].validations[0].role == "data_scientist"
