"""Timeline entries for reports: one lifecycle event with both timelines and a one-line summary."""

from __future__ import annotations

import json
from typing import Any

from application.views import history_entry
from domain.events import Event as ModelEvent

# Details too long for a table cell; the JSON form keeps them.
_LEFT_TO_JSON = frozenset(
    {"card", "policy", "previous_policy", "previous", "target", "gates_checked", "stakeholders",
     "description", "business_objective"}
)  # fmt: skip


def timeline_entry(event: ModelEvent) -> dict[str, Any]:
    """The history entry (effective and recorded time, backdated mark) plus a readable summary."""
    entry = history_entry(event)
    details = entry["details"]
    entry["summary"] = ", ".join(
        f"{key}={json.dumps(details[key], sort_keys=True)}"
        for key in sorted(details)
        if key not in _LEFT_TO_JSON
    )
    return entry
