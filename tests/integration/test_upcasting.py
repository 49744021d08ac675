"""Stored events outlive the code that wrote them: an old event shape is upcast when read."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import StoredEvent

from application.governance import Governance, fold_model
from domain.commands import (
    Activate,
    ApproveRelease,
    CloseBreach,
    OpenBreach,
    RaiseBiasFlag,
    RegisterVersion,
    ReportCost,
    ResolveBiasFlag,
    SetTarget,
)
from domain.model import Model, model_id_for
from infrastructure.db.store import open_governance
from infrastructure.settings import Settings
from tests.factories import T0, by, card, later, record_of, registration, seed_app_model


def test_a_version_1_registration_with_bare_emails_reads_as_structured_stakeholders(
    app: Governance,
) -> None:
    # Written as the version 1 code wrote it: no class_version, stakeholders as bare e-mail strings.
    v1_state = {
        "originator_topic": Model.TOPIC,
        "timestamp": T0,
        "actor": "eng",
        "role": "ml_engineer",
        "reason": "",
        "correlation_id": str(uuid4()),
        "effective_at": T0,
        "name": "legacy",
        "description": "Written by modelgov 0.0",
        "owner": "Retail",
        "business_objective": "Keep customers",
        "risk_tier": "low",
        "stakeholders": ["ann.lee@bank.example"],
        "policy": {
            "required_gates": ["data_scientist_release_approval"],
            "environments": ["staging", "production"],
            "min_distinct_approvers": 2,
            "bias_flag_max_open_days": 14,
        },
    }
    state = app.mapper.transcoder.encode(v1_state)
    if app.mapper.cipher is not None:
        state = app.mapper.cipher.encrypt(state)
    app.recorder.insert_events(
        [
            StoredEvent(
                originator_id=model_id_for("legacy"),
                originator_version=1,
                topic=Model.Registered.TOPIC,
                state=state,
            )
        ]
    )

    model = app.get_model("legacy")
    assert model.stakeholders == [
        {"name": "ann.lee@bank.example", "email": "ann.lee@bank.example", "role": "stakeholder"}
    ]
    assert model.name == "legacy"


def test_event_topics_are_explicit_and_stable() -> None:
    topics = {cls.__name__: cls.TOPIC for cls in Model.EVENT_CLASSES}
    assert topics["VersionActivated"] == "modelgov/Model.VersionActivated"
    assert all(topic == f"modelgov/Model.{name}" for name, topic in topics.items())
    assert len(topics) == 27


def _insert(app: Governance, name: str, version: int, topic: str, state: dict[str, object]) -> None:
    encoded = app.mapper.transcoder.encode(state)
    if app.mapper.cipher is not None:
        encoded = app.mapper.cipher.encrypt(encoded)
    app.recorder.insert_events([StoredEvent(model_id_for(name), version, topic, encoded)])


def _v1_fields() -> dict[str, object]:
    return {
        "originator_topic": Model.TOPIC, "timestamp": T0, "actor": "ds",
        "role": "data_scientist", "reason": "", "correlation_id": str(uuid4()),
        "effective_at": T0,
    }  # fmt: skip


def test_version_1_targets_and_bias_flags_read_with_the_fields_added_since(
    app: Governance,
) -> None:
    app.handle(registration("legacy", "low"), by=by("eng"))
    app.handle(RegisterVersion(name="legacy", card=card()), by=by("eng"))
    target = {
        "dimension": "accuracy", "metric": "auc", "comparator": ">=", "threshold": 0.8,
        "window": "last", "severity": "critical", "unit": "", "previous": None, "revision": 1,
    }  # fmt: skip
    _insert(app, "legacy", 3, Model.TargetSet.TOPIC, {**_v1_fields(), **target})
    flag = {"flag_id": "BF-1", "version": 1, "attribute": "age", "metric": "dpd",
            "value": 0.3, "threshold": 0.1}  # fmt: skip
    _insert(app, "legacy", 4, Model.BiasFlagRaised.TOPIC, {**_v1_fields(), **flag})

    model = app.get_model("legacy")
    in_force = model.target_in_force("accuracy", "auc", at=T0)
    assert in_force is not None
    assert (in_force.threshold, in_force.hysteresis, in_force.min_duration_seconds) == (0.8, 0, 0)
    assert model.bias_flag_by_id("BF-1").evidence == {}


def test_a_snapshot_from_before_target_history_and_game_plans_is_upcast(
    app: Governance, backend: Settings
) -> None:
    app.handle(registration("legacy", "low"), by=by("eng"))
    app.handle(
        SetTarget(
            name="legacy", dimension="accuracy", metric="auc", comparator=">=", threshold=0.8
        ),
        by=by("ds"),
    )
    snapshot = _as_version_2_wrote_it(app, "legacy")
    for newer in ("class_version", "target_history", "game_plan"):
        del snapshot.state[newer]  # as version 1 of the model's state was written
    app.snapshots.recorder.insert_events([app.mapper.to_stored_event(snapshot)])  # type: ignore[union-attr]

    model = _read_afresh(backend, "legacy")  # from the snapshot, not from this app's cache
    assert model.target_in_force("accuracy", "auc", at=T0) == model.targets["accuracy:auc"]
    assert model.game_plan == {"notifications": [], "responses": []}


def test_versions_from_an_old_snapshot_still_find_the_last_good_version(
    app: Governance, backend: Settings
) -> None:
    app.handle(registration("legacy", "low"), by=by("eng"))
    for _ in range(2):
        number = app.handle(RegisterVersion(name="legacy", card=card()), by=by("eng")).value
        app.handle(ApproveRelease(name="legacy", version=number), by=by("ds", "ok"))
        app.handle(Activate(name="legacy", version=number, environment="production"), by=by("ops"))
    snapshot = _as_version_2_wrote_it(app, "legacy")
    for version in snapshot.state["versions"]:
        version.served_until = {}  # version 1 of the model's state did not keep it
    del snapshot.state["class_version"]
    app.snapshots.recorder.insert_events([app.mapper.to_stored_event(snapshot)])  # type: ignore[union-attr]

    model = _read_afresh(backend, "legacy")
    assert model.versions[0].served_until == {}
    assert model.last_good_version("production", instead_of=2) == 1


def test_a_snapshot_that_kept_every_breach_flag_and_cost_report_loads_as_the_bounded_state(
    app: Governance, backend: Settings
) -> None:
    seed_app_model(app, name="legacy")
    app.handle(Activate(name="legacy", version=1, environment="production"), by=by("ops"))
    app.handle(
        SetTarget(
            name="legacy", dimension="accuracy", metric="auc", comparator=">=", threshold=0.8
        ),
        by=by("ds", at=later(1)),
    )
    for breach in range(1, 4):
        app.handle(_breach_opened(), by=by("policy", at=later(2 * breach)))
        if breach < 3:
            closing = CloseBreach(name="legacy", breach_id=f"B-{breach}", observed_value=0.9)
            app.handle(closing, by=by("policy", at=later(2 * breach + 1)))
    for flag in range(1, 3):
        raising = RaiseBiasFlag(
            name="legacy", version=1, attribute="age", metric="dpd", value=0.3, threshold=0.1
        )
        app.handle(raising, by=by("ds", at=later(10 + flag)))
    resolving = ResolveBiasFlag(name="legacy", flag_id="BF-1", resolution="retrain")
    app.handle(resolving, by=by("ds", "retrain without age", at=later(13)))
    for month, amount in (("2026-01", "10.50"), ("2026-01", "4.50"), ("2026-02", "7")):
        report = ReportCost(
            name="legacy", period=month, amount=amount, currency="EUR", business_unit="retail"
        )
        app.handle(report, by=by("bo", at=later(14)))
    folded = fold_model(None, app.model_events("legacy"))
    old = _as_version_2_wrote_it(app, "legacy")
    assert old.state["class_version"] == 2 and len(old.state["breaches"]) == 3
    app.snapshots.recorder.insert_events([app.mapper.to_stored_event(old)])  # type: ignore[union-attr]

    model = _read_afresh(backend, "legacy")
    assert _state_of(model) == _state_of(folded)
    assert [b.breach_id for b in model.open_breaches()] == ["B-3"]
    assert model.breach_by_id("B-2").closing_value == 0.9
    assert [f.flag_id for f in model.open_bias_flags()] == ["BF-2"]
    assert model.bias_flag_by_id("BF-1").justification == "retrain without age"
    assert model.cost_months["2026-01"].total("EUR") == Decimal("15.00")
    # The ids go on from the counts the old snapshot gave.
    closing = CloseBreach(name="legacy", breach_id="B-3", observed_value=0.9)
    app.handle(closing, by=by("policy", at=later(19)))
    opened = app.handle(_breach_opened(), by=by("policy", at=later(20)))
    assert opened.value == "B-4"


def _breach_opened() -> OpenBreach:
    return OpenBreach(
        name="legacy", version=1, environment="production", dimension="accuracy",
        metric="auc", observed_value=0.5,
    )  # fmt: skip


def _as_version_2_wrote_it(app: Governance, name: str) -> Snapshot:
    """A snapshot of the model now, in the shape version 2 of the state had: every breach, bias
    flag and cost report kept, no counts, no monthly totals."""
    stored = app.mapper.to_stored_event(Snapshot.take(app.get_model(name)))
    snapshot = app.mapper.to_domain_event(stored)
    for newer in (
        "breaches_open", "breaches_recently_closed", "breaches_opened", "bias_flags_open",
        "bias_flags_recently_resolved", "bias_flags_raised", "cost_months",
    ):  # fmt: skip
        del snapshot.state[newer]
    record = record_of(app, name)
    snapshot.state.update(
        class_version=2,
        breaches=record.breaches,
        bias_flags=record.bias_flags,
        cost_reports=record.cost_reports,
    )
    return snapshot


def _state_of(model: Model) -> dict[str, object]:
    return {k: v for k, v in vars(model).items() if k not in ("_pending_events", "_modified_on")}


def _read_afresh(settings: Settings, name: str) -> Model:
    """The model as a new process reads it: the latest snapshot, then the events after it."""
    fresh = open_governance(settings)
    try:
        assert fresh.snapshots is not None
        [latest] = fresh.snapshots.get(model_id_for(name), desc=True, limit=1)
        model = fresh.get_model(name)
        assert latest.originator_version == model.version  # so the snapshot was the source
        return model
    finally:
        fresh.close()
