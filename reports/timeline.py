"""Timeline entries for reports: one lifecycle event with both timelines and a one-sentence summary."""

from __future__ import annotations

from typing import Any

from application.views import history_entry
from domain.events import Event as ModelEvent
from reports.sentences import sentence


def timeline_entry(event: ModelEvent) -> dict[str, Any]:
    """The history entry (effective and recorded time, backdated mark) plus what happened, as a
    sentence (the entry's `details` keep every field as recorded)."""
    entry = history_entry(event)
    entry["summary"] = sentence(entry["event"], entry["details"])
    return entry
