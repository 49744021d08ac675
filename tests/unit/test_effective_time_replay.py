"""Replaying a model as it was effective in the world at a moment, backdated entries included."""

from __future__ import annotations

from domain.history import replay_as_effective
from domain.model import Model
from tests.factories import by, card, later, new_model


def _history() -> list[Model.Event]:
    model = new_model()
    version = model.register_version(card=card(), by=by("eng", at=later(1)))
    model.approve_release(version=version, by=by("ds", at=later(2)))
    model.activate(version=version, environment="production", by=by("ops", at=later(3)))
    # Recorded last, but effective before the activation: a deactivation entered after the fact.
    model.deactivate(
        version=version, environment="production", by=by("ops", "outage", at=later(2.5))
    )
    return list(model.collect_events())


def test_before_registration_there_is_no_model() -> None:
    assert replay_as_effective(_history(), later(-1)) is None


def test_the_state_at_a_moment_includes_only_what_was_effective_by_then() -> None:
    events = _history()
    at_two = replay_as_effective(events, later(2))
    assert at_two is not None
    assert [v.number for v in at_two.versions] == [1]
    assert len(at_two.versions[0].release_approvals) == 1
    assert at_two.active == {}


def test_a_backdated_entry_takes_its_place_in_the_effective_timeline() -> None:
    events = _history()
    between = replay_as_effective(events, later(2.75))
    assert between is not None
    assert (
        between.active == {}
    )  # the deactivation (effective 2.5) is in, the activation (3) not yet
    at_end = replay_as_effective(events, later(4))
    assert at_end is not None
    # In world order the deactivation came first, so the version is active at the end.
    assert at_end.active == {"production": 1}
