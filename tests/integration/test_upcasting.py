"""Stored events outlive the code that wrote them: an old event shape is upcast when read."""

from __future__ import annotations

from uuid import uuid4

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import StoredEvent

from application.governance import Governance
from domain.commands import Activate, ApproveRelease, RegisterVersion, SetTarget
from domain.model import Model, model_id_for
from infrastructure.db.store import open_governance
from infrastructure.settings import Settings
from tests.factories import T0, by, card, registration


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
    assert len(topics) == 20


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
    assert model.bias_flags["BF-1"].evidence == {}


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
    stored = app.mapper.to_stored_event(Snapshot.take(app.get_model("legacy")))
    snapshot = app.mapper.to_domain_event(stored)
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
    stored = app.mapper.to_stored_event(Snapshot.take(app.get_model("legacy")))
    snapshot = app.mapper.to_domain_event(stored)
    for version in snapshot.state["versions"]:
        version.served_until = {}  # version 1 of the model's state did not keep it
    del snapshot.state["class_version"]
    app.snapshots.recorder.insert_events([app.mapper.to_stored_event(snapshot)])  # type: ignore[union-attr]

    model = _read_afresh(backend, "legacy")
    assert model.versions[0].served_until == {}
    assert model.last_good_version("production", instead_of=2) == 1


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
