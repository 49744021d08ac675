"""Stored events outlive the code that wrote them: an old event shape is upcast when read."""

from __future__ import annotations

from uuid import uuid4

from eventsourcing.persistence import StoredEvent

from application.governance import Governance
from domain.model import Model, model_id_for
from tests.factories import T0


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
    assert len(topics) == 18
