"""The change report for a period: every lifecycle event that took effect in it, grouped by model,
with who did it, in which role, why, and when it was recorded (backdated entries marked)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from domain.events import Event as ModelEvent
from domain.instants import utc_text
from reports.errors import ReportPeriodInvalidError
from reports.source import Integrity
from reports.timeline import timeline_entry

SCHEMA = "https://modelgov.dev/schemas/reports/changes-report.v1.json"


def check_period(since: datetime, until: datetime) -> None:
    if since > until:
        raise ReportPeriodInvalidError(
            f"the period starts ({utc_text(since)}) after it ends ({utc_text(until)}); "
            "swap since and until"
        )


def build_changes_report(
    feed: Iterable[tuple[int, str, ModelEvent]],
    *,
    since: datetime,
    until: datetime,
    integrity: Integrity,
) -> dict[str, Any]:
    """Events effective at or after `since` and before `until` (as the head's events tell it)."""
    check_period(since, until)
    grouped: dict[str, list[ModelEvent]] = {}
    for _, name, event in feed:
        if since <= event.effective_at < until:
            grouped.setdefault(name, []).append(event)
    models: list[dict[str, Any]] = []
    for name in sorted(grouped):
        events = sorted(grouped[name], key=lambda e: (e.effective_at, e.originator_version))
        actors = Counter((e.actor, e.role) for e in events)
        models.append({
            "model": name,
            "events": [timeline_entry(e) for e in events],
            "actors": [{"actor": actor, "role": role, "events": count}
                       for (actor, role), count in sorted(actors.items())],
        })  # fmt: skip
    kinds = Counter(entry["event"] for m in models for entry in m["events"])
    return {
        "report": "changes",
        "schema": SCHEMA,
        "integrity": integrity.as_dict(),
        "period": {"since": utc_text(since), "until": utc_text(until)},
        "models": models,
        "totals": {
            "models": len(models),
            "events": sum(kinds.values()),
            "events_by_kind": dict(sorted(kinds.items())),
            "backdated": sum(1 for m in models for entry in m["events"] if entry["backdated"]),
        },
    }
