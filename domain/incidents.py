"""Serious incidents (EU AI Act Art. 73): their severity classes, the reporting deadline each class
sets, and the incident with the reports submitted on it, as the model's state keeps them.

The deadline is counted from the moment the provider became aware of the incident: 2 days for a
widespread infringement or a serious and irreversible disruption of critical infrastructure
(Art. 73(3)), 10 days after a death (Art. 73(4)), 15 days for any other serious incident
(Art. 73(2)). `report_due_at` is the one place that arithmetic is done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

DEATH = "death"
WIDESPREAD = "widespread_or_critical_infrastructure"
OTHER_SERIOUS = "other_serious"
INCIDENT_CLASSES = (DEATH, WIDESPREAD, OTHER_SERIOUS)
# Days from awareness to the initial report, by severity class (Art. 73(2)-(4)).
REPORTING_DAYS = {WIDESPREAD: 2, DEATH: 10, OTHER_SERIOUS: 15}
INCIDENT_CLASS_WORDS = {
    DEATH: "the death of a person",
    WIDESPREAD: "widespread infringement or critical-infrastructure disruption",
    OTHER_SERIOUS: "other serious incident",
}

INITIAL, FOLLOW_UP, FINAL = "initial", "follow_up", "final"
SUBMISSION_KINDS = (INITIAL, FOLLOW_UP, FINAL)
INCIDENT_ID_PATTERN = r"^SI-\d{1,9}$"
# Linked breaches and bias flags per incident: enough for any one incident, small in a snapshot.
MAX_LINKS = 50


def report_due_at(severity_class: str, aware_at: datetime) -> datetime:
    """When the initial report on a serious incident of `severity_class` is due: `aware_at` plus
    the class's days (KeyError for a class that is not one of INCIDENT_CLASSES)."""
    return aware_at + timedelta(days=REPORTING_DAYS[severity_class])


@dataclass
class Submission:
    """One report on a serious incident, as submitted to an authority."""

    kind: str  # initial, follow_up or final
    submitted_at: datetime
    authority: str
    reference: str
    submitted_by: str
    document_sha256: str | None = None  # of the document submitted, when given


@dataclass
class SeriousIncident:
    """A serious incident declared on the model, and every report submitted on it."""

    incident_id: str
    severity_class: str
    aware_at: datetime
    report_due_at: datetime
    summary: str
    declared_by: str
    declared_at: datetime
    occurred_at: datetime | None = None
    version: int | None = None
    environment: str | None = None
    harm: str = ""
    breach_ids: list[str] = field(default_factory=list)
    flag_ids: list[str] = field(default_factory=list)
    submissions: list[Submission] = field(default_factory=list)

    @property
    def first_reported_at(self) -> datetime | None:
        """When the first report (initial, or a final one sent at once) was submitted."""
        return self.submissions[0].submitted_at if self.submissions else None

    @property
    def closed(self) -> bool:
        """The final report is in: nothing more is submitted on it."""
        return any(s.kind == FINAL for s in self.submissions)

    def clock(self, now: datetime) -> dict[str, Any]:
        """Where the incident stands against its deadline at `now`: `status` is `due` (seconds
        left), `overdue` (seconds past, no report yet), `reported` or `reported_late`
        (`seconds_left`: how early, negative when late, the first report was)."""
        reported = self.first_reported_at
        end = reported if reported is not None else now
        left = int((self.report_due_at - end).total_seconds())
        if reported is not None:
            status = "reported" if left >= 0 else "reported_late"
        else:
            status = "due" if left >= 0 else "overdue"
        return {"status": status, "seconds_left": left}
