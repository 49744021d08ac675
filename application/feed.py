"""The global feed: every model's events in commit order, optionally only some models' or kinds.

Filtering by kind of event is done by the store (by topic); by model, here, while reading. A
filtered read stops after `scan` positions even when it found fewer than `limit` events, so that
a filter matching nothing never reads the whole log in one request: `scanned_to` says where to go
on from, and `at_end` whether the log was read to its end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.events import Event as ModelEvent
from domain.events import Registered
from domain.model import model_id_for

if TYPE_CHECKING:
    from application.governance import Governance

FeedEntry = tuple[int, str, ModelEvent]  # (position, model, event)
SCAN = 5000  # positions a filtered read looks at, at most, per page


@dataclass(frozen=True)
class FeedPage:
    entries: list[FeedEntry]
    scanned_to: int  # the last position read (the `after` given, when none was)
    at_end: bool  # the log was read to its end


def read_feed(
    governance: Governance,
    *,
    after: int,
    limit: int,
    topics: Sequence[str] = (),
    model: str | None = None,
    scan: int = SCAN,
    stop: int | None = None,
) -> FeedPage:
    """Up to `limit` events after position `after` (up to position `stop`, when given: the log's
    end is then `stop`), of `model` only and of the `topics` only when given; the store's
    maintenance events are left out."""
    wanted_id = None if model is None else model_id_for(model)
    entries: list[FeedEntry] = []
    start, scanned_to = after + 1, after
    while len(entries) < limit:
        # Unfiltered, a page of what is missing; filtered, larger pages up to the scan's end.
        size = limit - len(entries) if wanted_id is None else min(500, scan - (scanned_to - after))
        if size <= 0:
            return FeedPage(entries, scanned_to, at_end=False)
        page = governance.recorder.select_notifications(
            start=start, limit=size, stop=stop, topics=topics
        )
        for notification in page:
            scanned_to = notification.id
            event = governance.mapper.to_domain_event(notification)
            if not isinstance(event, ModelEvent):
                continue
            if wanted_id is not None and event.originator_id != wanted_id:
                continue
            name = (
                event.name
                if isinstance(event, Registered)
                else governance.name_of(event.originator_id)
            )
            entries.append((notification.id, name, event))
            if len(entries) == limit:
                return FeedPage(entries, scanned_to, at_end=False)
        if len(page) < size:
            return FeedPage(entries, scanned_to, at_end=True)
        start = page[-1].id + 1
    return FeedPage(entries, scanned_to, at_end=False)
