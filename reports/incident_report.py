"""A serious incident's report to the authority (EU AI Act Art. 73), built from the model's events
under a signed tree head: the incident with its deadline and the time left, the system and the
version involved, the monitoring evidence linked, what was done since, the reports already
submitted, and what the document still lacks (an initial report may be incomplete: Art. 73(5)).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from application.errors import ModelNotFoundError
from application.governance import fold_model
from application.views import jsonable, revision_fields
from domain.errors import InvalidValueError
from domain.events import Event as ModelEvent
from domain.incident_steps import check_report_in_order
from domain.incidents import (
    FINAL,
    FOLLOW_UP,
    INCIDENT_CLASS_WORDS,
    INITIAL,
    REPORTING_DAYS,
    SUBMISSION_KINDS,
    SeriousIncident,
)
from domain.instants import utc_text
from domain.model import Model
from domain.record import MonitoringRecord, monitoring_record
from reports.source import Integrity

SCHEMA = "https://modelgov.dev/schemas/reports/incident-report.v1.json"
# What was done about the version involved once someone knew: the corrective actions on record.
_CORRECTIVE = (Model.VersionDeactivated, Model.RolledBack, Model.VersionRetired)


def incident_entry(incident: SeriousIncident, *, now: datetime) -> dict[str, Any]:
    """The incident as documents show it, with its deadline and the clock as of `now`."""
    return {
        **jsonable(incident),
        "severity_class_words": INCIDENT_CLASS_WORDS[incident.severity_class],
        "deadline_days": REPORTING_DAYS[incident.severity_class],
        "as_of": utc_text(now),
        **incident.clock(now),
        "closed": incident.closed,
    }


def build_incident_report(
    events: Sequence[ModelEvent],
    incident_id: str,
    *,
    integrity: Integrity,
    kind: str | None = None,
) -> dict[str, Any]:
    """The report document on one incident; `kind` (initial, follow_up, final) is the next one
    the incident takes by default (IncidentReportOutOfOrderError for one it cannot take)."""
    model = fold_model(None, events)
    if not isinstance(model, Model):
        raise ModelNotFoundError("the model has no events under this tree head")
    incident = model.serious_incident(incident_id)
    if kind is None:
        kind = FINAL if incident.closed else (FOLLOW_UP if incident.submissions else INITIAL)
    elif kind not in SUBMISSION_KINDS:
        raise InvalidValueError("kind", f"must be one of {', '.join(SUBMISSION_KINDS)}")
    elif not (incident.closed and kind == FINAL):  # a copy of the final report stays possible
        check_report_in_order(incident, kind)
    now = datetime.fromisoformat(integrity.timestamp)
    record = monitoring_record(events)
    version = model.version_by_number(incident.version) if incident.version else None
    corrective = _corrective_actions(events, incident)
    document: dict[str, Any] = {
        "report": "incident",
        "schema": SCHEMA,
        "integrity": integrity.as_dict(),
        "kind": kind,
        "model": {
            "name": model.name, "description": model.description, "owner": model.owner,
            "business_objective": model.business_objective, "risk_tier": model.risk_tier,
            **revision_fields(model.version), "active": dict(sorted(model.active.items())),
        },
        "incident": incident_entry(incident, now=now),
        "version": None if version is None else {
            "number": version.number, "registered_at": utc_text(version.registered_at),
            "artifact_uri": version.card.get("artifact_uri", ""),
            "artifact_sha256": version.card.get("artifact_sha256", ""),
            "git_commit": version.card.get("provenance", {}).get("git_commit", ""),
            "documentation_url": version.card.get("documentation_url", ""),
            "environments_served": sorted(version.environments_served),
        },
        "breaches": [jsonable(record.breaches[b]) for b in incident.breach_ids],
        "bias_flags": [jsonable(record.bias_flags[f]) for f in incident.flag_ids],
        "corrective_actions": corrective,
    }  # fmt: skip
    document["missing"] = missing_from(incident, record, corrective=corrective)
    document["complete"] = not document["missing"]
    return document


def missing_from(
    incident: SeriousIncident, record: MonitoringRecord, *, corrective: list[dict[str, Any]]
) -> list[str]:
    """What the report cannot state yet from the ledger's facts, in the report's words."""
    missing = []
    if incident.occurred_at is None:
        missing.append("when the incident occurred (occurred_at)")
    if incident.version is None:
        missing.append("which version of the model was involved")
    if not incident.harm:
        missing.append("who or what was harmed, and how")
    if not incident.breach_ids and not incident.flag_ids:
        missing.append("the monitoring evidence behind it (no breach or bias flag linked)")
    if not corrective:
        missing.append(
            "a corrective action (no deactivation, rollback or retirement of the version "
            "involved recorded since awareness)"
        )
    return missing


def _corrective_actions(
    events: Sequence[ModelEvent], incident: SeriousIncident
) -> list[dict[str, Any]]:
    found = []
    for event in events:
        if not isinstance(event, _CORRECTIVE) or event.effective_at < incident.aware_at:
            continue
        version = event.from_version if isinstance(event, Model.RolledBack) else event.version
        if incident.version is not None and version != incident.version:
            continue
        found.append({
            **revision_fields(event.originator_version), "event": type(event).__name__,
            "version": version, "environment": getattr(event, "environment", None),
            "effective_at": utc_text(event.effective_at), "actor": event.actor,
            "role": event.role, "reason": event.reason,
        })  # fmt: skip
    return found
