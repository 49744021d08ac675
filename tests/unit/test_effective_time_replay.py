"""Replaying a model as it was effective in the world at a moment, backdated entries included."""

from __future__ import annotations

import pytest

from domain.commands import Activate, ApproveRelease, Deactivate, RegisterVersion, SetTarget
from domain.errors import EffectiveTimeOutOfOrderError
from domain.events import Event as ModelEvent
from domain.history import replay_as_effective
from tests.factories import by, card, later, new_model


def _history() -> list[ModelEvent]:
    model = new_model()
    version = model.register_version(
        RegisterVersion(name=model.name, card=card()), by("eng", at=later(1))
    )
    model.approve_release(ApproveRelease(name=model.name, version=version), by("ds", at=later(3)))
    model.activate(
        Activate(name=model.name, version=version, environment="production"), by("ops", at=later(5))
    )
    # Recorded last, but it happened at hour 4: an approval given in a meeting, entered afterwards.
    model.approve_release(
        ApproveRelease(name=model.name, version=version),
        by("bo", "agreed in the review", at=later(4)),
    )
    return list(model.collect_events())


def test_before_registration_there_is_no_model() -> None:
    assert replay_as_effective(_history(), later(-1)) is None


def test_the_state_at_a_moment_includes_only_what_was_effective_by_then() -> None:
    at_three = replay_as_effective(_history(), later(3))
    assert at_three is not None
    assert [v.number for v in at_three.versions] == [1]
    assert [d.principal for d in at_three.versions[0].release_approvals] == ["ds"]
    assert at_three.active == {}


def test_a_backdated_entry_takes_its_place_in_the_effective_timeline() -> None:
    events = _history()
    at_four = replay_as_effective(events, later(4))
    assert at_four is not None
    assert [d.principal for d in at_four.versions[0].release_approvals] == ["ds", "bo"]
    assert at_four.active == {}
    at_six = replay_as_effective(events, later(6))
    assert at_six is not None
    assert at_six.active == {"production": 1}
    assert at_six.version == len(events)


def test_an_event_cannot_take_effect_before_what_it_acts_on() -> None:
    model = new_model()
    version = model.register_version(
        RegisterVersion(name=model.name, card=card()), by("eng", at=later(1))
    )
    model.approve_release(ApproveRelease(name=model.name, version=version), by("ds", at=later(2)))
    with pytest.raises(EffectiveTimeOutOfOrderError, match="version 1's registration"):
        model.approve_release(
            ApproveRelease(name=model.name, version=version), by("bo", at=later(0.5))
        )
    with pytest.raises(EffectiveTimeOutOfOrderError, match="the model's registration"):
        model.set_target(
            SetTarget(
                name=model.name,
                dimension="cost",
                metric="eur",
                comparator="<=",
                threshold=1.0,
                severity="info",
            ),
            by("ds", at=later(-1)),
        )
    model.activate(
        Activate(name=model.name, version=version, environment="production"), by("ops", at=later(3))
    )
    with pytest.raises(EffectiveTimeOutOfOrderError, match="activation in production"):
        model.deactivate(
            Deactivate(name=model.name, version=version, environment="production"),
            by("ops", "outage", at=later(2.5)),
        )
