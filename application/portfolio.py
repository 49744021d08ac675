"""Portfolio compliance (what is wrong now under each model's current policy) and exposure (how long
an affected version kept serving while a bias flag or breach was open).

Findings that follow from the events alone (`standing_findings`) are kept by a projection; those
that depend on the clock (an overdue bias flag, a serious incident's reporting deadline, exposure
up to now) are evaluated when asked, from the facts the projections keep (when each flag was
raised, when each unreported incident's report is due, each usage window).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from domain.entities import BiasFlag, Breach
from domain.events import Event as ModelEvent
from domain.incidents import INCIDENT_CLASS_WORDS, REPORTING_DAYS
from domain.instants import duration_text, require_instant, utc_text
from domain.model import Model
from domain.record import MonitoringRecord
from domain.values import DIMENSIONS

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2}


def model_status(model: Model) -> str:
    """active (serving somewhere), inactive (has versions, none serving) or draft (no version yet)."""
    if model.active:
        return "active"
    return "inactive" if model.versions else "draft"


def worst_first(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Portfolio entries ({"model", "findings", ...}) by their worst finding, then by name."""
    return sorted(
        entries,
        key=lambda entry: (
            min((SEVERITY_ORDER[f["severity"]] for f in entry["findings"]), default=3),
            -len(entry["findings"]),
            entry["model"],
        ),
    )


@dataclass(frozen=True)
class Incident:
    """A bias flag or a breach, reduced to what compliance and exposure need."""

    kind: str  # "bias_flag" or "breach"
    incident_id: str
    version: int
    environment: str | None  # a breach happens in one environment; a flag concerns the version
    opened_at: datetime
    closed_at: datetime | None

    @classmethod
    def of_bias_flag(cls, flag: BiasFlag) -> Incident:
        return cls("bias_flag", flag.flag_id, flag.version, None, flag.raised_at, flag.resolved_at)

    @classmethod
    def of_breach(cls, breach: Breach) -> Incident:
        return cls(
            "breach", breach.breach_id, breach.version, breach.environment, breach.opened_at,
            breach.closed_at,
        )  # fmt: skip


def incidents_of(record: MonitoringRecord) -> list[Incident]:
    """A model's bias flags, then its breaches, each in the order they were opened."""
    return [Incident.of_bias_flag(flag) for flag in record.bias_flags.values()] + [
        Incident.of_breach(breach) for breach in record.breaches.values()
    ]


def compliance_findings(
    model: Model,
    *,
    now: datetime,
    last_observed: Mapping[tuple[int, str], datetime] | None = None,
) -> list[dict[str, Any]]:
    """Findings for one model, worst first.

    `last_observed` (version, environment -> the latest observation's time) adds the finding of
    an active version without production figures within the policy's monitoring window.
    """
    return findings_as_of(
        standing_findings(model),
        active=model.active,
        open_flags=[Incident.of_bias_flag(flag) for flag in model.open_bias_flags()],
        max_open_days=model.policy.bias_flag_max_open_days,
        window_hours=model.policy.monitoring_window_hours,
        last_observed=last_observed,
        now=now,
    )


def findings_as_of(
    standing: list[dict[str, Any]],
    *,
    active: Mapping[str, int],
    open_flags: Iterable[Incident],
    max_open_days: int,
    window_hours: int,
    last_observed: Mapping[tuple[int, str], datetime] | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """A model's findings as of `now`, worst first: the standing ones (from its events; a serious
    incident's report due with the time left, or overdue), then the clock's: overdue bias flags
    and, given `last_observed`, active versions without figures."""
    standing = [
        incident_deadline(f, now=now) if f["finding"] == REPORT_DUE else f for f in standing
    ]
    silent = (
        []
        if last_observed is None
        else unmonitored_versions(active, last_observed, window_hours=window_hours, now=now)
    )
    overdue = overdue_bias_flags(open_flags, max_open_days=max_open_days, now=now)
    return by_severity(standing + silent + overdue)


def standing_findings(model: Model) -> list[dict[str, Any]]:
    """Findings that follow from the model's events alone: they change only when an event does."""
    findings = []
    for environment, version in sorted(model.active.items()):
        unmet = model.unmet_gates(version)
        if unmet:
            findings.append({
                "finding": "active_version_missing_gates", "severity": "critical",
                "detail": f"version {version} is active in {environment} but misses: {', '.join(unmet)}",
                "version": version, "environment": environment, "gates": unmet,
            })  # fmt: skip
    for environment, alias in model.unapproved_external_aliases():
        registry = {"mlflow": "MLflow"}.get(alias.source, alias.source)
        ours = (
            ""
            if alias.external_version == str(alias.version)
            else f" (modelgov version {alias.version})"
        )
        findings.append({
            "finding": "external_alias_unapproved",
            "severity": "critical" if environment == "production" else "high",
            "detail": f"{alias.alias} alias in {registry} set to version {alias.external_version}"
            f"{ours} without approval: it points {environment} at a version modelgov has not approved",
            "version": alias.version, "environment": environment, "alias": alias.alias,
            "source": alias.source,
        })  # fmt: skip
    findings += [
        {
            "finding": REPORT_DUE, "severity": "high", "incident_id": incident.incident_id,
            "severity_class": incident.severity_class, "aware_at": utc_text(incident.aware_at),
            "report_due_at": utc_text(incident.report_due_at),
            "detail": f"serious incident {incident.incident_id}: no report submitted yet",
        }
        for incident in model.unreported_incidents()
    ]  # fmt: skip
    if model.versions:
        covered = {target.dimension for target in model.targets.values()}
        missing = [dimension for dimension in DIMENSIONS if dimension not in covered]
        if missing:
            findings.append({
                "finding": "targets_missing", "severity": "medium",
                "detail": f"no target on: {', '.join(missing)}", "dimensions": missing,
            })  # fmt: skip
    return findings


REPORT_DUE, REPORT_OVERDUE = "serious_incident_report_due", "serious_incident_report_overdue"


def incident_deadline(finding: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """A serious incident's standing finding (no report yet) as of `now`: the report due, with the
    time left (high), or overdue, with how long (critical: EU AI Act Art. 73)."""
    due = require_instant("report_due_at", finding["report_due_at"])
    left = int((due - now).total_seconds())
    what = (
        f"serious incident {finding['incident_id']} "
        f"({INCIDENT_CLASS_WORDS[finding['severity_class']]}, known since "
        f"{finding['aware_at']}): initial report due within "
        f"{REPORTING_DAYS[finding['severity_class']]} days, by {finding['report_due_at']}"
    )
    if left >= 0:
        return {**finding, "severity": "high", "seconds_left": left,
                "detail": f"{what}; {duration_text(left)} left"}  # fmt: skip
    return {**finding, "finding": REPORT_OVERDUE, "severity": "critical", "seconds_left": left,
            "detail": f"{what}; overdue by {duration_text(-left)} with no report submitted"}  # fmt: skip


def overdue_bias_flags(
    open_flags: Iterable[Incident], *, max_open_days: int, now: datetime
) -> list[dict[str, Any]]:
    """Bias flags open longer than the policy allows, as of `now` (the clock's part of compliance)."""
    allowed = timedelta(days=max_open_days)
    return [
        {
            "finding": "bias_flag_overdue", "severity": "high",
            "detail": f"bias flag {flag.incident_id} on version {flag.version} has been open "
            f"{(now - flag.opened_at).days} days; the policy allows {max_open_days}",
            "version": flag.version, "flag_id": flag.incident_id,
        }
        for flag in open_flags
        if now - flag.opened_at > allowed
    ]  # fmt: skip


def unmonitored_versions(
    active: Mapping[str, int],
    last_observed: Mapping[tuple[int, str], datetime],
    *,
    window_hours: int,
    now: datetime,
) -> list[dict[str, Any]]:
    """Active versions without production figures within the policy's monitoring window, as of
    `now` (the clock's part, like overdue flags: the observations are not events)."""
    window = timedelta(hours=window_hours)
    findings = []
    for environment, version in sorted(active.items()):
        latest = last_observed.get((version, environment))
        if latest is None or now - latest > window:
            since = f"since {utc_text(latest)}" if latest else "ever"
            findings.append({
                "finding": "no_monitoring_data", "severity": "high",
                "detail": f"no production figures for version {version} in {environment} "
                f"{since}; the policy expects them every {window_hours} h",
                "version": version, "environment": environment,
            })  # fmt: skip
    return findings


def by_severity(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One model's findings, the worst first."""
    return sorted(findings, key=lambda f: SEVERITY_ORDER[f["severity"]])


@dataclass(frozen=True)
class UsageWindow:
    version: int
    environment: str
    started_at: datetime
    ended_at: datetime | None
    started_by: str = ""
    ended_by: str = ""
    end_reason: str = ""


def usage_windows_of(events: Iterable[ModelEvent]) -> list[UsageWindow]:
    """The usage windows of one model from its events, as the usage-windows projection keeps them.

    For reports built as of a signed tree head, where the projection's rows may be ahead of it.
    """
    open_windows: dict[tuple[int, str], UsageWindow] = {}
    closed: list[UsageWindow] = []

    def close(version: int, environment: str, event: ModelEvent, reason: str) -> None:
        window = open_windows.pop((version, environment), None)
        if window is not None:
            closed.append(
                replace(
                    window, ended_at=event.effective_at, ended_by=event.actor, end_reason=reason
                )
            )

    for event in events:
        if isinstance(event, Model.VersionDeactivated):
            close(event.version, event.environment, event, event.reason)
        elif isinstance(event, Model.RolledBack):
            reason = f"rolled back to version {event.to_version}: {event.reason}"
            close(event.from_version, event.environment, event, reason)
        if isinstance(event, Model.VersionActivated | Model.RolledBack):
            version = (
                event.version if isinstance(event, Model.VersionActivated) else event.to_version
            )
            open_windows.setdefault(
                (version, event.environment),
                UsageWindow(version, event.environment, event.effective_at, None, event.actor),
            )
    return sorted(
        [*closed, *open_windows.values()],
        key=lambda w: (w.started_at, w.environment, w.version),
    )


def exposure(
    incidents: Sequence[Incident], windows: Sequence[UsageWindow], *, now: datetime
) -> list[dict[str, Any]]:
    """For each bias flag and breach: per environment, how long its version served while it was open."""
    result = []
    for incident in incidents:
        served: dict[str, float] = {}
        end = incident.closed_at or now
        for window in windows:
            if window.version != incident.version or (
                incident.environment and window.environment != incident.environment
            ):
                continue
            overlap = min(end, window.ended_at or now) - max(incident.opened_at, window.started_at)
            if overlap > timedelta(0):
                served[window.environment] = (
                    served.get(window.environment, 0.0) + overlap.total_seconds()
                )
        result.append({
            "id": incident.incident_id, "version": incident.version,
            "opened_at": utc_text(incident.opened_at),
            "closed_at": utc_text(incident.closed_at) if incident.closed_at else None,
            "open": incident.closed_at is None, "served_seconds": dict(sorted(served.items())),
        })  # fmt: skip
    return result
