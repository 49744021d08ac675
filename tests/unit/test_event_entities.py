"""Events make the model's state entries of their own fields (`Event.entity`), and the logs of
erasures and store maintenance carry the same attribution as model events, under their topics."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime
from uuid import uuid4

from eventsourcing.utils import get_topic

from domain.entities import Breach
from domain.events import BreachOpened, IncidentDeclared
from domain.events.base import Attributed
from domain.maintenance import Maintenance
from domain.people import People

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
ATTRIBUTION = {
    "originator_id": uuid4(), "originator_version": 2, "timestamp": NOW, "actor": "ana.silva",
    "role": "devops_engineer", "reason": "", "correlation_id": "c-1", "effective_at": NOW,
}  # fmt: skip


def test_a_breach_is_made_of_the_opening_events_fields_with_its_target_copied() -> None:
    event = BreachOpened(
        **ATTRIBUTION, breach_id="B-1", version=1, environment="production",
        dimension="accuracy", metric="auc", observed_value=0.61, target={"threshold": 0.7},
    )  # fmt: skip
    breach = event.breach()
    assert breach == Breach(
        breach_id="B-1", version=1, environment="production", dimension="accuracy",
        metric="auc", observed_value=0.61, target={"threshold": 0.7}, opened_at=NOW,
    )  # fmt: skip
    assert breach.target is not event.target


def test_an_incident_takes_the_fields_the_event_names_otherwise_and_copies_its_lists() -> None:
    event = IncidentDeclared(
        **ATTRIBUTION, incident_id="SI-1", severity_class="other_serious", aware_at=NOW,
        report_due_at=NOW, summary="wrong refusals", occurred_at=None, version=2,
        environment="production", harm="", breach_ids=["B-1"], flag_ids=[],
    )  # fmt: skip
    incident = event.incident()
    assert (incident.declared_by, incident.declared_at) == ("ana.silva", NOW)
    assert (incident.version, incident.breach_ids, incident.submissions) == (2, ["B-1"], [])
    assert incident.breach_ids is not event.breach_ids


def test_the_logs_events_keep_their_topics_and_carry_what_model_events_carry() -> None:
    attribution = {"actor", "role", "reason", "correlation_id", "effective_at"}
    assert {field.name for field in fields(Attributed)} >= attribution
    for event_class, topic in (
        (People.Created, "modelgov/People.Created"),
        (People.Started, "modelgov/People.Started"),
        (People.PersonForgotten, "modelgov/People.PersonForgotten"),
        (Maintenance.Created, "modelgov/Maintenance.Created"),
        (Maintenance.Started, "modelgov/Maintenance.Started"),
        (
            Maintenance.AppendOnlyTriggersReinstalled,
            "modelgov/Maintenance.AppendOnlyTriggersReinstalled",
        ),
    ):
        assert get_topic(event_class) == topic
        assert issubclass(event_class, Attributed)
        assert {field.name for field in fields(event_class)} >= attribution
