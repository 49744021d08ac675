"""The model audit report: identity, cards, evidence, approvals, activations and their gates, usage,
targets and breaches, bias flags, rollbacks, costs, findings, both timelines and integrity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from application.as_of import judged_activations
from application.errors import ModelNotFoundError
from application.monitoring.cost import showback
from application.portfolio import (
    UsageWindow,
    compliance_findings,
    exposure,
    incidents_of,
    model_status,
    usage_windows_of,
)
from application.views import is_backdated, jsonable, revision_fields
from domain.events import Event as ModelEvent
from domain.events import RolledBack, VersionActivated
from domain.gates import activation_gates_for
from domain.instants import utc_text
from domain.model import Model
from domain.record import MonitoringRecord, monitoring_record
from domain.values import satisfies
from reports.findings import (
    approvers_at_activations,
    loosened,
    required_approvers,
    review_findings,
)
from reports.incident_report import incident_entry
from reports.source import Integrity
from reports.timeline import timeline_entry

SCHEMA = "https://modelgov.dev/schemas/reports/model-report.v1.json"
_DECISIONS = {
    Model.ReleaseApproved: "release approval",
    Model.ReleaseRejected: "release rejection",
    Model.ComplianceSignedOff: "compliance sign-off",
    Model.TargetsApproved: "targets approval",
}


def build_model_report(
    events: Sequence[ModelEvent], *, integrity: Integrity, timeline: range | None = None
) -> dict[str, Any]:
    """The report's document (JSON-ready) from one model's events up to the integrity's head.

    `timeline`: the revisions whose entries the timeline holds (a page of the history, for a
    view); every event's by default, as in every report that leaves.
    """
    return model_report_of(events, integrity=integrity, timeline=timeline).document


@dataclass(frozen=True)
class ModelReport:
    """A model report's document, with the model and the record it was built from."""

    document: dict[str, Any]
    model: Model
    record: MonitoringRecord


def model_report_of(
    events: Sequence[ModelEvent],
    *,
    integrity: Integrity,
    timeline: range | None = None,
    now: datetime | None = None,
    effective_order: bool = False,
) -> ModelReport:
    """The model report of `events`: in recorded order (as the ledger knew it), or in effective
    order (`effective_order`: as it stood in the world, `domain/history.py effective_by`).

    `now`: the moment durations of what is still open run up to (default: the head's time).
    """
    if not events:
        raise ModelNotFoundError("the model has no events under this tree head")
    now = now or datetime.fromisoformat(integrity.timestamp)
    model, activations = _replay(events, effective_order=effective_order)
    record = monitoring_record(events)
    windows = usage_windows_of(events)
    exposed = {item["id"]: item for item in exposure(incidents_of(record), windows, now=now)}
    document = {
        "report": "model",
        "schema": SCHEMA,
        "integrity": integrity.as_dict(),
        "model": _identity(model),
        "versions": [_version(model, v.number) for v in model.versions],
        "approvals": _approvals(events),
        "activations": activations,
        "usage": [_window(w, now) for w in sorted(windows, key=_window_order)],
        "targets": _targets(events),
        "breaches": [_breach(b, exposed[b.breach_id], now) for b in _by_id(record.breaches)],
        "bias_flags": [_flag(f, exposed[f.flag_id], now) for f in _by_id(record.bias_flags)],
        "serious_incidents": [incident_entry(i, now=now) for i in model.serious_incidents.values()],
        "rollbacks": [_rollback(e) for e in events if isinstance(e, Model.RolledBack)],
        "costs": _costs(model, record),
        "compliance_findings": compliance_findings(model, now=now),
        "review_findings": review_findings(events, policy=model.policy),
        "timeline": [
            timeline_entry(e)
            for e in events
            if timeline is None or e.originator_version in timeline
        ],
    }
    return ModelReport(document=document, model=model, record=record)


def _replay(
    events: Sequence[ModelEvent], *, effective_order: bool
) -> tuple[Model, list[dict[str, Any]]]:
    """Fold the events in their order, noting each activation's gates as they stood then."""
    approvers = approvers_at_activations(events)

    def noted(model: Model, event: VersionActivated) -> dict[str, Any]:
        gates = activation_gates_for(model, event.version)
        return {
            **revision_fields(event.originator_version), "version": event.version,
            "environment": event.environment, "effective_at": utc_text(event.effective_at),
            "recorded_at": utc_text(event.timestamp), "actor": event.actor, "role": event.role,
            "risk_tier": model.risk_tier, "gates_checked": list(event.gates_checked),
            "gates": [{"gate": gate, "met": unmet is None, "detail": unmet.detail if unmet else ""}
                      for gate, unmet in gates.items()],
            "distinct_approvers": approvers[event.originator_version],
            "required_approvers": required_approvers(model.policy),
        }  # fmt: skip

    model, activations = judged_activations(events, noted, effective_order=effective_order)
    return cast(Model, model), activations


def _identity(model: Model) -> dict[str, Any]:
    return {
        "name": model.name, "description": model.description, "owner": model.owner,
        "business_objective": model.business_objective, "risk_tier": model.risk_tier,
        "status": model_status(model), "registered_at": utc_text(model.registered_at),
        **revision_fields(model.version), "stakeholders": jsonable(model.stakeholders),
        "policy": jsonable(model.policy), "active": dict(sorted(model.active.items())),
        "legal_hold": jsonable(model.legal_hold),
    }  # fmt: skip


def _version(model: Model, number: int) -> dict[str, Any]:
    version = model.version_by_number(number)
    if version.retired:
        status = "retired"
    elif version.rejected:
        status = "rejected"
    elif number in model.active.values():
        status = "active"
    else:
        status = "registered"
    card = jsonable(version.card)
    return {
        "number": number, "status": status, "registered_by": version.registered_by,
        "registered_at": utc_text(version.registered_at),
        "card": {key: card.get(key, [] if key in ("features", "labels", "training_data",
                                                   "assumptions") else "")
                 for key in ("artifact_uri", "artifact_sha256", "features", "labels", "training_data",
                             "assumptions", "documentation_url")}
        | {"artifact_sha256_of": card.get("artifact_sha256_of", "file"),
           "extras": card.get("extras", {})},
        "provenance": {key: card.get("provenance", {}).get(key, "")
                       for key in ("git_commit", "pull_request", "pipeline_run")},
        "validations": jsonable(version.validations),
        "environments_served": sorted(version.environments_served),
    }  # fmt: skip


def _approvals(events: Sequence[ModelEvent]) -> list[dict[str, Any]]:
    rows = [
        {**revision_fields(e.originator_version), "decision": _DECISIONS[type(e)],
         "subject": f"version {e.version}" if hasattr(e, "version")
         else f"targets revision {getattr(e, 'revision', '')}",
         "principal": e.actor, "role": e.role, "comment": e.reason,
         "effective_at": utc_text(e.effective_at), "recorded_at": utc_text(e.timestamp),
         "backdated": is_backdated(e)}
        for e in events
        if type(e) in _DECISIONS
    ]  # fmt: skip
    return sorted(rows, key=lambda r: (r["effective_at"], r["model_revision"]))


def _window_order(window: UsageWindow) -> tuple[str, datetime, int]:
    return (window.environment, window.started_at, window.version)


def _seconds(start: datetime, end: datetime | None, now: datetime) -> int:
    return max(0, int(((end or now) - start).total_seconds()))


def _window(window: UsageWindow, now: datetime) -> dict[str, Any]:
    return {
        "environment": window.environment, "version": window.version,
        "started_at": utc_text(window.started_at), "started_by": window.started_by,
        "ended_at": utc_text(window.ended_at) if window.ended_at else None,
        "ended_by": window.ended_by, "end_reason": window.end_reason,
        "duration_seconds": _seconds(window.started_at, window.ended_at, now),
    }  # fmt: skip


def _targets(events: Sequence[ModelEvent]) -> list[dict[str, Any]]:
    """Every target with the period it was in force (effective time) and how it changed."""
    rows: list[dict[str, Any]] = []
    current: dict[tuple[str, str], dict[str, Any]] = {}
    for e in sorted(
        (e for e in events if isinstance(e, Model.TargetSet)),
        key=lambda e: (e.effective_at, e.originator_version),
    ):
        key = (e.dimension, e.metric)
        if key in current:
            current[key]["in_force_until"] = utc_text(e.effective_at)
        change = "new" if e.previous is None else "loosened" if loosened(e) else "changed"
        current[key] = {
            "dimension": e.dimension, "metric": e.metric, "comparator": e.comparator,
            "threshold": e.threshold, "window": e.window, "severity": e.severity, "unit": e.unit,
            "revision": e.revision, "set_by": e.actor, "role": e.role, "reason": e.reason,
            "in_force_from": utc_text(e.effective_at), "in_force_until": None, "change": change,
        }  # fmt: skip
        rows.append(current[key])
    return sorted(rows, key=lambda r: (r["dimension"], r["metric"], r["in_force_from"]))


def _by_id(items: dict[str, Any]) -> list[Any]:
    """Breaches and flags in id order (B-2 before B-10)."""
    return [items[key] for key in sorted(items, key=lambda k: (len(k), k))]


def _breach(breach: Any, exposed: dict[str, Any], now: datetime) -> dict[str, Any]:
    target = breach.target
    return {
        **jsonable(breach),
        "open": breach.closed_at is None,
        "duration_seconds": _seconds(breach.opened_at, breach.closed_at, now),
        "target_in_force": jsonable(target),
        "crossed_target_in_force": not satisfies(
            breach.observed_value, target["comparator"], target["threshold"]
        ),
        "served_seconds": exposed["served_seconds"],
    }


def _flag(flag: Any, exposed: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        **jsonable(flag),
        "open": flag.is_open,
        "open_seconds": _seconds(flag.raised_at, flag.resolved_at, now),
        "served_seconds": exposed["served_seconds"],
    }


def _rollback(event: RolledBack) -> dict[str, Any]:
    return {
        **revision_fields(event.originator_version), "environment": event.environment,
        "from_version": event.from_version, "to_version": event.to_version,
        "effective_at": utc_text(event.effective_at), "recorded_at": utc_text(event.timestamp),
        "actor": event.actor, "role": event.role, "reason": event.reason,
    }  # fmt: skip


def _costs(model: Model, record: MonitoringRecord) -> dict[str, Any]:
    """Cost reports against the monthly budget (the cost target in force) and the stated value;
    a report is within budget when its month's total is."""
    budgets = [t for t in model.targets.values() if t.dimension == "cost"]
    budget = min(budgets, key=lambda t: t.metric) if budgets else None
    # Each month's total and the budget in force then, as the API's showback gives them.
    months = {(line.period, line.currency): line for line in showback(model)}
    reports = []
    totals: dict[str, Decimal] = {}
    for cost in sorted(
        record.cost_reports, key=lambda c: (c.period, c.business_unit, c.effective_at)
    ):
        totals[cost.currency] = totals.get(cost.currency, Decimal(0)) + cost.amount
        month = months[(cost.period, cost.currency)]
        within = None if month.budget is None else not month.over_budget
        reports.append(
            {**jsonable(cost), "month_total": str(month.month_total), "within_budget": within}
        )
    return {
        "stated_value": model.business_objective,
        "budget": jsonable(budget) if budget else None,
        "reports": reports,
        "totals": [{"currency": c, "amount": str(a)} for c, a in sorted(totals.items())],
    }
