"""The portfolio compliance report: every model's status, active versions, open findings and
exposure under the signed tree head, the worst findings first, with totals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from application.governance import fold_model
from application.portfolio import (
    compliance_findings,
    exposure,
    incidents_of,
    model_status,
    usage_windows_of,
    worst_first,
)
from domain.events import Event as ModelEvent
from domain.model import Model
from domain.record import monitoring_record
from reports.findings import review_findings
from reports.source import Integrity

SCHEMA = "https://modelgov.dev/schemas/reports/portfolio-report.v1.json"


def events_by_model(
    feed: Iterable[tuple[int, str, ModelEvent]],
) -> dict[str, list[ModelEvent]]:
    grouped: dict[str, list[ModelEvent]] = {}
    for _, name, event in feed:
        grouped.setdefault(name, []).append(event)
    return grouped


def build_portfolio_report(
    models: dict[str, list[ModelEvent]], *, integrity: Integrity
) -> dict[str, Any]:
    now = datetime.fromisoformat(integrity.timestamp)
    entries = worst_first(_entry(name, models[name], now) for name in sorted(models))
    severities = Counter(f["severity"] for entry in entries for f in entry["findings"])
    return {
        "report": "portfolio",
        "schema": SCHEMA,
        "integrity": integrity.as_dict(),
        "models": entries,
        "totals": {
            "models": len(entries),
            "active_models": sum(1 for e in entries if e["status"] == "active"),
            "models_with_findings": sum(1 for e in entries if e["findings"]),
            "findings": sum(severities.values()),
            "findings_by_severity": dict(sorted(severities.items())),
            "review_findings": sum(len(e["review_findings"]) for e in entries),
            "exposure_seconds": sum(e["exposure_seconds"] for e in entries),
        },
    }


def _entry(name: str, events: Sequence[ModelEvent], now: datetime) -> dict[str, Any]:
    model = fold_model(None, events)
    assert isinstance(model, Model)
    exposed = [
        item
        for item in exposure(
            incidents_of(monitoring_record(events)), usage_windows_of(events), now=now
        )
        if item["served_seconds"]
    ]
    return {
        "model": name,
        "risk_tier": model.risk_tier,
        "owner": model.owner,
        "status": model_status(model),
        "active": dict(sorted(model.active.items())),
        "versions": len(model.versions),
        "findings": compliance_findings(model, now=now),
        "review_findings": review_findings(events, policy=model.policy),
        "exposure": exposed,
        "exposure_seconds": int(sum(sum(item["served_seconds"].values()) for item in exposed)),
    }
