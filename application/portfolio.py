"""Portfolio compliance (what is wrong now under each model's current policy) and exposure (how long
an affected version kept serving while a bias flag or breach was open)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from domain.events import Event as ModelEvent
from domain.model import Model
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
    findings = []
    for environment, version in sorted(model.active.items()):
        unmet = model.unmet_gates(version)
        if unmet:
            findings.append({
                "finding": "active_version_missing_gates", "severity": "critical",
                "detail": f"version {version} is active in {environment} but misses: {', '.join(unmet)}",
                "version": version, "environment": environment, "gates": unmet,
            })  # fmt: skip
    if last_observed is not None:
        window = timedelta(hours=model.policy.monitoring_window_hours)
        for environment, version in sorted(model.active.items()):
            latest = last_observed.get((version, environment))
            if latest is None or now - latest > window:
                since = f"since {latest.isoformat()}" if latest else "ever"
                findings.append({
                    "finding": "no_monitoring_data", "severity": "high",
                    "detail": f"no production figures for version {version} in {environment} "
                    f"{since}; the policy expects them every {model.policy.monitoring_window_hours} h",
                    "version": version, "environment": environment,
                })  # fmt: skip
    allowed = timedelta(days=model.policy.bias_flag_max_open_days)
    for flag in model.open_bias_flags():
        if now - flag.raised_at > allowed:
            days = (now - flag.raised_at).days
            findings.append({
                "finding": "bias_flag_overdue", "severity": "high",
                "detail": f"bias flag {flag.flag_id} on version {flag.version} has been open {days} days; "
                f"the policy allows {model.policy.bias_flag_max_open_days}",
                "version": flag.version, "flag_id": flag.flag_id,
            })  # fmt: skip
    if model.versions:
        covered = {target.dimension for target in model.targets.values()}
        missing = [dimension for dimension in DIMENSIONS if dimension not in covered]
        if missing:
            findings.append({
                "finding": "targets_missing", "severity": "medium",
                "detail": f"no target on: {', '.join(missing)}", "dimensions": missing,
            })  # fmt: skip
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
    model: Model, windows: Sequence[UsageWindow], *, now: datetime
) -> list[dict[str, Any]]:
    """For each bias flag and breach: per environment, how long its version served while it was open."""
    findings: list[tuple[str, int, datetime, datetime | None, str | None]] = [
        (flag.flag_id, flag.version, flag.raised_at, flag.resolved_at, None)
        for flag in model.bias_flags.values()
    ]
    findings += [
        (b.breach_id, b.version, b.opened_at, b.closed_at, b.environment)
        for b in model.breaches.values()
    ]
    result = []
    for finding_id, version, opened, closed, only_environment in findings:
        served: dict[str, float] = {}
        end = closed or now
        for window in windows:
            if window.version != version or (
                only_environment and window.environment != only_environment
            ):
                continue
            overlap = min(end, window.ended_at or now) - max(opened, window.started_at)
            if overlap > timedelta(0):
                served[window.environment] = (
                    served.get(window.environment, 0.0) + overlap.total_seconds()
                )
        result.append({
            "id": finding_id, "version": version, "opened_at": opened.isoformat(),
            "closed_at": closed.isoformat() if closed else None, "open": closed is None,
            "served_seconds": dict(sorted(served.items())),
        })  # fmt: skip
    return result
