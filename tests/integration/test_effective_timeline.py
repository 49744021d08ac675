"""The model as of an effective time from its timeline (application/effective_timeline.py) is the
model replayed from every event in effective order, at every moment, on both stores: backdated
entries included, and entries backdated after the timeline was built."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from application.effective_timeline import Timeline, reader
from application.errors import ModelNotFoundError
from application.governance import Governance
from domain.commands import Activate, CloseBreach, OpenBreach, ReportCost, SetTarget
from domain.errors import DomainError
from domain.events import Event as ModelEvent
from domain.history import replay_as_effective
from domain.model import Model, model_id_for
from domain.values import DIMENSIONS
from tests.factories import by, later, new_model, ready_version, state_bytes

NAME = "scorer"


def _live(model: Model, rng: random.Random, *, events: int, from_hour: float) -> None:
    """Targets, breaches and costs, about a third of them backdated by up to two days."""
    hour = from_hour
    stop = model.version + events
    while model.version < stop:
        hour += rng.uniform(0.5, 3.0)
        at = later(hour - (rng.uniform(0, 48) if rng.random() < 0.3 else 0))
        kind = rng.choice(("target", "cost", "breach", "close"))
        try:
            if kind == "target":
                dimension = rng.choice(DIMENSIONS)
                model.set_target(
                    SetTarget(name=NAME, dimension=dimension, metric="m", comparator="<=",
                              threshold=rng.random(), unit=""),
                    by("ds", at=at),
                )  # fmt: skip
            elif kind == "cost":
                model.report_cost(
                    ReportCost(name=NAME, period=f"{at:%Y-%m}", amount=Decimal(rng.randint(1, 99)),
                               currency="EUR", business_unit=rng.choice(("a", "b"))),
                    by("bo", at=at),
                )  # fmt: skip
            elif kind == "breach":
                model.open_breach(
                    OpenBreach(name=NAME, version=1, environment="production",
                               dimension="accuracy", metric="m", observed_value=2.0),
                    by("policy", at=at),
                )  # fmt: skip
            elif model.open_breaches():
                breach = model.open_breaches()[0].breach_id
                model.close_breach(
                    CloseBreach(name=NAME, breach_id=breach, observed_value=0.0),
                    by("policy", at=at),
                )
        except DomainError:
            continue  # the rules refused it (an entry before what it follows): go on


def _stored(app: Governance, rng: random.Random, *, events: int) -> None:
    model = new_model("high", name=NAME)
    version = ready_version(model)
    model.activate(Activate(name=NAME, version=version, environment="production"), by("ops"))
    _live(model, rng, events=events, from_hour=1)
    app.save(model)


def _timeline_of_a_stored_model(
    app: Governance, *, seed: int, events: int, every: int
) -> tuple[Timeline, random.Random]:
    rng = random.Random(seed)
    _stored(app, rng, events=events)
    return Timeline(model_id_for(NAME), reader(app.events.get), every=every), rng


def _moments(app: Governance) -> list[datetime]:
    """Every event's effective time, a microsecond either side, and before the registration."""
    times = {event.effective_at for event in app.model_events(NAME)}
    step = timedelta(microseconds=1)
    return sorted({at + shift for at in times for shift in (-step, 0 * step, step)})


def _agrees_with_the_replay(app: Governance, timeline: Timeline, moments: list[datetime]) -> None:
    events = app.model_events(NAME)
    for at in moments:
        expected = state_bytes(replay_as_effective(events, at))
        assert state_bytes(timeline.model_at(at)) == expected, f"as effective at {at}"


def test_the_model_as_effective_at_any_moment_is_the_replay_of_its_events_in_effective_order(
    app: Governance,
) -> None:
    timeline, rng = _timeline_of_a_stored_model(app, seed=3, events=90, every=7)
    moments = _moments(app)
    rng.shuffle(moments)  # checkpoints made out of order, then reused
    _agrees_with_the_replay(app, timeline, moments)
    assert timeline.folded, "the queries kept checkpoints"


def test_an_entry_backdated_after_the_timeline_was_built_moves_every_later_moment(
    app: Governance,
) -> None:
    timeline, rng = _timeline_of_a_stored_model(app, seed=4, events=60, every=5)
    _agrees_with_the_replay(app, timeline, _moments(app))
    model = app.get_model(NAME)
    model.report_cost(  # backdated to the first hours of the model's life
        ReportCost(name=NAME, period=f"{later(2):%Y-%m}", amount=Decimal(500), currency="EUR",
                   business_unit="a"),
        by("bo", "an invoice found late", at=later(2)),
    )  # fmt: skip
    _live(model, rng, events=20, from_hour=200)
    app.save(model)
    _agrees_with_the_replay(app, timeline, _moments(app))


def test_governance_answers_as_of_an_effective_time_from_the_timeline(app: Governance) -> None:
    _stored(app, random.Random(5), events=30)
    events = app.model_events(NAME)
    for at in _moments(app)[::7]:
        found = replay_as_effective(events, at)
        if found is None:
            with pytest.raises(ModelNotFoundError, match="not yet registered"):
                app.model_as_effective_at(NAME, at)
        else:
            assert state_bytes(app.model_as_effective_at(NAME, at)) == state_bytes(found)
    with pytest.raises(ModelNotFoundError, match="no model named 'nobody'"):
        app.model_as_effective_at("nobody", later(1))


def test_a_query_reads_each_event_it_folds_once(app: Governance) -> None:
    _stored(app, random.Random(6), events=40)
    read = reader(app.events.get)
    revisions_read: list[int] = []

    def counting(model_id: UUID, gt: int, lte: int | None) -> Iterable[ModelEvent]:
        events = list(read(model_id, gt, lte))
        revisions_read.extend(event.originator_version for event in events)
        return events

    timeline = Timeline(model_id_for(NAME), counting, every=7)
    latest = max(event.effective_at for event in app.model_events(NAME))
    timeline.model_at(latest)  # the first query: the whole history, folded once
    assert sorted(revisions_read) == list(range(1, app.get_model(NAME).version + 1))
