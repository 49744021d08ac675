"""The model page's history, a page at a time: the latest entries first, earlier and later pages
through plain links (no JavaScript), and the model report for all of it."""

from __future__ import annotations

import re

import pytest

from application.errors import ModelNotFoundError
from domain.commands import RecordValidation
from infrastructure.console.model_events import RecentModelEvents
from infrastructure.console.pages import HISTORY_PAGE
from tests.console.conftest import Console, awaiting_signoff
from tests.factories import by

_ENTRY = re.compile(r'<tr><td>(\d+)</td><td class="event">')
_EARLIER = re.compile(r'href="([^"]*history_until=\d+#history)" rel="prev"')
_LATER = re.compile(r'href="([^"]*history_until=\d+#history)" rel="next"')


def _long_history(console: Console, events: int) -> int:
    """The screener with at least `events` events (validations recorded on version 1)."""
    if "screener" not in console.governance.registered_model_names():
        awaiting_signoff(console.governance)
    while console.revision("screener") < events:
        console.governance.handle(
            RecordValidation(name="screener", version=1, kind="ab_test", dataset="holdout",
                             metrics={"auc": 0.8}, passed=True),
            by=by("eng"),
        )  # fmt: skip
    return console.revision("screener")


def _shown(text: str) -> list[int]:
    return [int(revision) for revision in _ENTRY.findall(text)]


def test_the_model_page_shows_the_latest_entries_and_links_to_the_earlier_ones(
    console: Console,
) -> None:
    revision = _long_history(console, HISTORY_PAGE + 30)
    session = console.sign_in("compliance_officer")

    latest = console.get("/console/models/screener", session)

    assert latest.status_code == 200
    assert _shown(latest.text) == list(range(revision - HISTORY_PAGE + 1, revision + 1))
    assert f"events {revision - HISTORY_PAGE + 1} to {revision} of {revision}" in latest.text
    assert "/console/reports/models/screener?format=json" in latest.text
    assert _LATER.search(latest.text) is None
    earlier = _EARLIER.search(latest.text)
    assert earlier is not None

    page = console.get(earlier.group(1).replace("&amp;", "&").split("#")[0], session)

    assert page.status_code == 200
    assert _shown(page.text) == list(range(1, revision - HISTORY_PAGE + 1))
    assert _EARLIER.search(page.text) is None
    later = _LATER.search(page.text)
    assert later is not None
    back = console.get(later.group(1).split("#")[0], session)
    assert _shown(back.text) == _shown(latest.text)


def test_a_short_history_is_shown_whole_without_page_links(console: Console) -> None:
    revision = _long_history(console, 5)
    session = console.sign_in("auditor")

    page = console.get("/console/models/screener", session)

    assert _shown(page.text) == list(range(1, revision + 1))
    assert 'aria-label="History pages' not in page.text


def test_a_history_page_past_the_latest_event_shows_the_latest(console: Console) -> None:
    revision = _long_history(console, 5)
    session = console.sign_in("auditor")

    page = console.get("/console/models/screener", session, history_until=10_000)

    assert _shown(page.text) == list(range(1, revision + 1))
    assert console.get("/console/models/screener", session, history_until=0).status_code == 422


def test_the_kept_events_of_a_viewed_model_grow_with_what_is_recorded_after(
    console: Console,
) -> None:
    revision = _long_history(console, 5)
    recent = RecentModelEvents(console.governance, models=1)
    assert [e.originator_version for e in recent.of("screener")] == list(range(1, revision + 1))
    _long_history(console, revision + 2)
    awaiting_signoff(console.governance, "scorer")  # another model pushes the screener out

    assert len(recent.of("scorer")) == console.revision("scorer")
    assert [e.originator_version for e in recent.of("screener")] == list(range(1, revision + 3))
    with pytest.raises(ModelNotFoundError):
        recent.of("nobody")
