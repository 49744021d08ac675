"""A model's serious incidents (EU AI Act Art. 73): declaring one, and recording each report on it.

`IncidentSteps` is a part of `Model` (domain/model.py), like `MonitoringSteps`: the role matrix
first, then the rules, then the events (domain/events/incidents.py). The reporting deadline is
fixed when the incident is declared (domain/incidents.py report_due_at) and kept in its event.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from domain import events, rules
from domain.declared import require_declared
from domain.errors import (
    BiasFlagNotFoundError,
    BreachNotFoundError,
    EffectiveTimeOutOfOrderError,
    IncidentNotFoundError,
    IncidentReportOutOfOrderError,
    InvalidValueError,
)
from domain.incident_commands import DeclareIncident, ReportIncident
from domain.incidents import (
    FINAL,
    FOLLOW_UP,
    INCIDENT_CLASSES,
    INITIAL,
    MAX_LINKS,
    SUBMISSION_KINDS,
    SeriousIncident,
    report_due_at,
)
from domain.instants import require_instant, utc_text
from domain.steps import ModelSteps
from domain.values import (
    DIGEST_PATTERN,
    Attribution,
    require_choice,
    require_environment,
    require_text,
)

_DIGEST = re.compile(DIGEST_PATTERN)


class IncidentSteps(ModelSteps):
    """Commands about serious incidents; a base of `Model`."""

    def declare_incident(self, command: DeclareIncident, by: Attribution) -> str:
        """Declare a serious incident; returns its id (SI-1, SI-2, ...)."""
        rules.check_may(by, command.ACTION)
        severity_class = require_choice("severity_class", command.severity_class, INCIDENT_CLASSES)
        aware_at = self._aware_at(command.aware_at, by)
        occurred_at = None
        if command.occurred_at is not None:
            occurred_at = require_instant("occurred_at", command.occurred_at)
            if occurred_at > aware_at:
                raise InvalidValueError(
                    "occurred_at",
                    f"{utc_text(occurred_at)} is after aware_at ({utc_text(aware_at)}): "
                    "an incident is known of only once it has happened",
                )
        if command.version is not None:
            self.version_by_number(command.version)  # raises if there is no such version
        environment = (
            None
            if command.environment is None
            else require_environment("environment", command.environment)
        )
        incident_id = f"SI-{len(self.serious_incidents) + 1}"
        self._record(
            events.IncidentDeclared, by, incident_id=incident_id, severity_class=severity_class,
            aware_at=aware_at, report_due_at=report_due_at(severity_class, aware_at),
            summary=require_declared(command, "summary")[0],
            occurred_at=occurred_at, version=command.version, environment=environment,
            harm=require_text("harm", command.harm, max_length=4000) if command.harm else "",
            breach_ids=self._linked(
                "breach_ids", command.breach_ids, check_open=self.breach_is_open,
                missing=BreachNotFoundError, what="breach", kept="breaches recorded",
            ),
            flag_ids=self._linked(
                "flag_ids", command.flag_ids, check_open=self.bias_flag_is_open,
                missing=BiasFlagNotFoundError, what="bias flag", kept="bias flags raised",
            ),
        )  # fmt: skip
        return incident_id

    def report_incident(self, command: ReportIncident, by: Attribution) -> None:
        """Record a report submitted on an incident, at `by.effective_at`, in order: the initial
        one (or a final one at once), follow-ups, the final one; nothing after the final one."""
        rules.check_may(by, command.ACTION)
        incident = self.serious_incident(command.incident_id)
        kind = require_choice("kind", command.kind, SUBMISSION_KINDS)
        check_report_in_order(incident, kind)
        latest = incident.submissions[-1].submitted_at if incident.submissions else None
        rules.check_effective_after(
            by, latest or incident.aware_at,
            what=f"incident {incident.incident_id}'s "
            + ("latest report" if latest else "awareness"),
        )  # fmt: skip
        digest = command.document_sha256
        if digest is not None and (not isinstance(digest, str) or not _DIGEST.match(digest)):
            raise InvalidValueError("document_sha256", "must be 64 hexadecimal characters")
        authority, reference = require_declared(command, "authority", "reference")
        self._record(
            events.IncidentReported, by, incident_id=incident.incident_id, kind=kind,
            authority=authority, reference=reference,
            document_sha256=None if digest is None else digest.lower(),
        )  # fmt: skip

    # ------------------------------------------------------------------ queries

    def serious_incident(self, incident_id: str) -> SeriousIncident:
        try:
            return self.serious_incidents[incident_id]
        except KeyError:
            raise IncidentNotFoundError(
                f"model {self.name!r} has no serious incident {incident_id!r}"
            ) from None

    def unreported_incidents(self) -> list[SeriousIncident]:
        """Incidents with no report submitted yet: their deadline runs."""
        return [i for i in self.serious_incidents.values() if not i.submissions]

    # ------------------------------------------------------------------ helpers

    def _aware_at(self, value: datetime | None, by: Attribution) -> datetime:
        """Awareness: the declaration's effective time by default; may be earlier (backdated),
        never after the declaration (which is never in the future) nor before the model."""
        if value is None:
            return by.effective_at
        aware_at = require_instant("aware_at", value)
        if aware_at > by.effective_at:
            raise InvalidValueError(
                "aware_at",
                f"{utc_text(aware_at)} is after the declaration ({utc_text(by.effective_at)}): "
                "an incident is declared once someone is aware of it; leave aware_at out for now",
            )
        if aware_at < self.registered_at:
            raise EffectiveTimeOutOfOrderError(
                f"aware_at {utc_text(aware_at)} is before the model's registration "
                f"({utc_text(self.registered_at)})"
            )
        return aware_at

    def _linked(
        self,
        field: str,
        ids: object,
        *,
        check_open: Callable[[str], object],
        missing: type[BreachNotFoundError | BiasFlagNotFoundError],
        what: str,
        kept: str,
    ) -> list[str]:
        """The ids, once each, of the model's breaches or bias flags (`what` one is, `kept` they
        are) the incident links; `check_open` raises `missing` for one the model does not have."""
        if not isinstance(ids, list | tuple) or not all(isinstance(i, str) for i in ids):
            raise InvalidValueError(field, "must be a list of ids such as B-1 or BF-1")
        if len(ids) > MAX_LINKS:
            raise InvalidValueError(field, f"must have at most {MAX_LINKS} entries")
        unique = list(dict.fromkeys(ids))
        for entry in unique:
            try:
                check_open(entry)
            except missing:
                raise missing(
                    f"{field}: model {self.name!r} has no {what} {entry!r}; an incident links "
                    f"only {kept} on its model"
                ) from None
        return unique


def check_report_in_order(incident: SeriousIncident, kind: str) -> None:
    """Initial (or final at once) first, then follow-ups, then the final one; nothing after it."""
    if incident.closed:
        raise IncidentReportOutOfOrderError(
            f"incident {incident.incident_id}'s final report is already recorded; nothing more "
            "is reported on it"
        )
    if not incident.submissions and kind == FOLLOW_UP:
        raise IncidentReportOutOfOrderError(
            f"incident {incident.incident_id} has no initial report yet; record the initial "
            "report first (it may be incomplete)"
        )
    if incident.submissions and kind == INITIAL:
        raise IncidentReportOutOfOrderError(
            f"incident {incident.incident_id} already has its initial report; record a "
            f"{FOLLOW_UP} or the {FINAL} report"
        )
