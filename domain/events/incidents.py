"""Events of a model's serious incidents (EU AI Act Art. 73): one declared, a report submitted on it.

Each event makes or changes its incident (`incident()`, `submission()`) in one place, for the
model's state and for whatever folds the events again (the reports).
"""

from __future__ import annotations

from datetime import datetime

from domain.events.base import Event, catalogued
from domain.incidents import SeriousIncident, Submission
from domain.state import ModelState, owned


@catalogued
class IncidentDeclared(Event):
    """A serious incident of `severity_class`, known since `aware_at`; its initial report is due
    at `report_due_at` (domain/incidents.py report_due_at, as computed when it was declared)."""

    TOPIC = "modelgov/Model.IncidentDeclared"
    incident_id: str
    severity_class: str
    aware_at: datetime
    report_due_at: datetime
    summary: str
    occurred_at: datetime | None
    version: int | None
    environment: str | None
    harm: str
    breach_ids: list[str]
    flag_ids: list[str]

    def incident(self) -> SeriousIncident:
        return self.entity(SeriousIncident, declared_by=self.actor, declared_at=self.effective_at)

    def apply(self, model: ModelState) -> None:
        model.serious_incidents[self.incident_id] = self.incident()


@catalogued
class IncidentReported(Event):
    """A report (`kind`: initial, follow_up or final) on an incident, submitted to `authority`
    at the event's effective time, under the authority's `reference`."""

    TOPIC = "modelgov/Model.IncidentReported"
    incident_id: str
    kind: str
    authority: str
    reference: str
    document_sha256: str | None

    def submission(self) -> Submission:
        return self.entity(Submission, submitted_at=self.effective_at, submitted_by=self.actor)

    def apply(self, model: ModelState) -> None:
        incident = owned(model.serious_incidents[self.incident_id])
        incident.submissions.append(self.submission())
        model.serious_incidents[self.incident_id] = incident
