"""Monitoring on a scripted stream with known answers, on SQLite and PostgreSQL: breaches opened
and closed at the right observations, windows, late observations, flapping, fairness, cost,
and the game plan's automated responses."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from application.governance import Governance
from application.monitoring.evaluation import Key
from application.monitoring.observations import Observation
from application.monitoring.service import Monitoring
from domain.commands import (
    Activate,
    ApproveRelease,
    ChangeGamePlan,
    CloseBreach,
    RaiseBiasFlag,
    RegisterVersion,
    ReportCost,
    SetTarget,
)
from domain.events import BiasFlagRaised, BreachClosed, BreachOpened, OnCallPaged, RolledBack
from domain.events import Event as ModelEvent
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.monitoring.monitor import MonitorRunner
from infrastructure.settings import Settings
from tests.factories import T0, by, card, registration

NAME = "scorer"


@dataclass
class World:
    app: Governance
    monitor: MonitorRunner

    def observe(self, metric: str, values: list[float], *, start: datetime, every: timedelta,
                version: int = 1, **extra: Any) -> list[datetime]:  # fmt: skip
        times = [start + every * i for i in range(len(values))]
        self.monitor.observations.append(
            [
                Observation(
                    model=NAME,
                    version=version,
                    environment="production",
                    metric=metric,
                    value=value,
                    observed_at=at,
                    **extra,
                )
                for value, at in zip(values, times, strict=True)
            ]
        )
        self.monitor.catch_up()
        return times

    def target(self, metric: str, comparator: str, threshold: float, *, at: datetime = T0,
               dimension: str = "accuracy", **extra: Any) -> None:  # fmt: skip
        self.app.handle(
            SetTarget(
                name=NAME,
                dimension=dimension,
                metric=metric,
                comparator=comparator,
                threshold=threshold,
                severity="critical",
                **extra,
            ),
            by=by("ds", at=at),
        )

    def events(self, kind: type[ModelEvent]) -> list[Any]:
        return [e for e in self.app.model_events(NAME) if isinstance(e, kind)]


def activate(app: Governance, version: int, at: datetime) -> None:
    app.handle(ApproveRelease(name=NAME, version=version), by=by("ds", "ok", at=at))
    app.handle(Activate(name=NAME, version=version, environment="production"), by=by("ops", at=at))


@pytest.fixture
def world(backend: Settings) -> Iterator[World]:
    app = open_governance(backend)
    sql = SqlRunner(backend.database)
    app.handle(registration(NAME, "low"), by=by("eng"))
    app.handle(RegisterVersion(name=NAME, card=card()), by=by("eng"))
    activate(app, 1, T0)
    yield World(app, MonitorRunner(app, sql))
    sql.close()
    app.close()


MINUTE = timedelta(minutes=1)


def test_a_breach_opens_at_the_crossing_and_closes_at_the_recovery(world: World) -> None:
    world.target("auc", ">=", 0.8)
    times = world.observe("auc", [0.85, 0.82, 0.79, 0.78, 0.81, 0.83], start=T0 + MINUTE,
                          every=MINUTE)  # fmt: skip

    [opened], [closed] = world.events(BreachOpened), world.events(BreachClosed)
    assert (opened.effective_at, opened.observed_value) == (times[2], 0.79)
    assert (opened.actor, opened.role) == (f"policy/{NAME}", "policy")
    assert opened.target["threshold"] == 0.8
    assert (closed.effective_at, closed.observed_value) == (times[4], 0.81)
    assert world.app.get_model(NAME).open_breaches() == []


def test_a_moving_average_is_judged_once_its_window_is_full(world: World) -> None:
    world.target("auc", ">=", 0.75, window="moving_average:3")
    # Averages from the third value on: 0.8, 0.7 (opens), 0.7, 0.8 (closes).
    times = world.observe("auc", [0.9, 0.9, 0.6, 0.6, 0.9, 0.9], start=T0 + MINUTE, every=MINUTE)

    [opened], [closed] = world.events(BreachOpened), world.events(BreachClosed)
    assert opened.effective_at == times[3]
    assert opened.observed_value == pytest.approx(0.7)
    assert closed.effective_at == times[5]
    assert closed.observed_value == pytest.approx(0.8)


def test_a_time_window_averages_the_last_minutes_weighted_by_sample_count(world: World) -> None:
    world.target("latency_ms", "<=", 200, window="moving_average_minutes:10",
                 dimension="performance")  # fmt: skip
    start = T0 + MINUTE
    world.monitor.observations.append(
        [
            Observation(
                model=NAME,
                version=1,
                environment="production",
                metric="latency_ms",
                value=value,
                observed_at=start + MINUTE * minutes,
                sample_count=samples,
            )
            for minutes, value, samples in ((0, 100, 1), (5, 400, 1), (8, 100, 3), (20, 190, 1))
        ]
    )
    world.monitor.catch_up()
    # minute 5: (100 + 400) / 2 = 250 fails; minute 8: (100 + 400 + 3 * 100) / 5 = 160 meets;
    # minute 20: only 190 is within 10 minutes.
    [opened], [closed] = world.events(BreachOpened), world.events(BreachClosed)
    assert (opened.effective_at, opened.observed_value) == (start + 5 * MINUTE, 250)
    assert (closed.effective_at, closed.observed_value) == (start + 8 * MINUTE, 160)


def test_a_late_observation_is_judged_against_the_target_in_force_at_its_time(
    world: World,
) -> None:
    world.target("auc", ">=", 0.9, at=T0)
    world.target("auc", ">=", 0.8, at=T0 + timedelta(hours=10))
    [latest] = world.observe("auc", [0.85], start=T0 + timedelta(hours=11), every=MINUTE)
    assert world.events(BreachOpened) == []  # 0.85 meets the target in force at 11:00

    [late] = world.observe("auc", [0.85], start=T0 + timedelta(hours=5), every=MINUTE)

    [opened], [closed] = world.events(BreachOpened), world.events(BreachClosed)
    assert opened.effective_at == late
    assert opened.target["threshold"] == 0.9  # the target in force at 05:00
    assert "late observation" in opened.reason
    assert closed.effective_at == latest  # the latest value meets today's target


def test_hysteresis_keeps_a_flapping_metric_to_one_breach(world: World) -> None:
    world.target("auc", ">=", 0.9, hysteresis=0.05)
    times = world.observe("auc", [0.85, 0.91, 0.86, 0.92, 0.88, 0.93, 0.96, 0.94],
                          start=T0 + MINUTE, every=MINUTE)  # fmt: skip

    [opened], [closed] = world.events(BreachOpened), world.events(BreachClosed)
    assert opened.effective_at == times[0]
    assert (closed.effective_at, closed.observed_value) == (times[6], 0.96)


def test_a_minimum_duration_ignores_short_dips_and_dates_a_lasting_one_from_its_start(
    world: World,
) -> None:
    world.target("auc", ">=", 0.9, min_duration_seconds=600)
    # Dips of 5 minutes, then one that lasts 10 minutes from its first value.
    values = [0.85, 0.95, 0.85, 0.95, 0.85, 0.85, 0.85]
    times = world.observe("auc", values, start=T0 + MINUTE, every=5 * MINUTE)

    [opened] = world.events(BreachOpened)
    assert opened.effective_at == times[4]
    assert "still failing 600 s later" in opened.reason


def test_evaluation_resumes_after_a_restart_without_repeating_itself(
    world: World, backend: Settings
) -> None:
    world.target("auc", ">=", 0.75, window="moving_average:3")
    world.observe("auc", [0.9, 0.9, 0.6], start=T0 + MINUTE, every=MINUTE)
    world.monitor.sql.close()

    restarted = MonitorRunner(world.app, SqlRunner(backend.database))
    restarted.observations.append(
        [
            Observation(
                model=NAME,
                version=1,
                environment="production",
                metric="auc",
                value=0.6,
                observed_at=T0 + 4 * MINUTE,
            )
        ]
    )
    restarted.catch_up()
    # The window (0.9, 0.6, 0.6) came back from the table: 0.7 opens one breach.
    [opened] = world.events(BreachOpened)
    assert opened.observed_value == pytest.approx(0.7)
    assert restarted.catch_up() == 0
    restarted.sql.close()


def test_figures_for_a_version_that_never_served_there_are_refused_not_recorded(
    world: World,
) -> None:
    world.app.handle(RegisterVersion(name=NAME, card=card()), by=by("eng"))
    world.target("auc", ">=", 0.8)
    world.observe("auc", [0.5], start=T0 + MINUTE, every=MINUTE, version=2)

    assert world.events(BreachOpened) == []
    assert any("never served in production" in r for r in world.monitor.totals.refused)


def test_per_group_figures_beyond_the_fairness_target_raise_one_bias_flag(world: World) -> None:
    world.target("disparate_impact_ratio", ">=", 0.8, dimension="governance")
    counts = {"sex=female": (20, 5, 60, 15), "sex=male": (40, 10, 40, 10)}
    for minute in (1, 2):
        world.monitor.observations.append(
            [
                Observation(
                    model=NAME,
                    version=1,
                    environment="production",
                    metric=name,
                    value=value,
                    observed_at=T0 + minute * MINUTE,
                    group=group,
                )
                for group, figures in counts.items()
                for name, value in zip(("tp", "fp", "tn", "fn"), figures, strict=True)
            ]
        )
        world.monitor.catch_up()

    [flag] = world.events(BiasFlagRaised)
    # Selection rates 25/100 and 50/100: the ratio is 0.5.
    assert (flag.attribute, flag.metric, flag.value) == ("sex", "disparate_impact_ratio", 0.5)
    assert flag.role == "policy"
    assert flag.evidence["rates"]["female"]["selection_rate"] == 0.25
    assert flag.evidence["groups"]["male"] == {"fn": 10, "fp": 10, "tn": 40, "tp": 40}


def test_a_month_over_budget_opens_a_cost_breach(world: World) -> None:
    world.target("monthly_cost_eur", "<=", 1000, dimension="cost", unit="EUR")
    for amount, unit in (("600.00", "Retail"), ("500.00", "Cards")):
        world.app.handle(
            ReportCost(
                name=NAME,
                period="2026-01",
                amount=amount,
                currency="EUR",
                business_unit=unit,
                version=1,
            ),
            by=by("ops", at=T0 + timedelta(days=20)),
        )
        world.monitor.catch_up()

    [opened] = world.events(BreachOpened)
    assert (opened.dimension, opened.observed_value) == ("cost", 1100.0)
    assert "2026-01 cost 1100.00 EUR fails the budget" in opened.reason


def test_the_reactor_reads_each_cost_report_and_moves_past_the_events_it_ignores(
    world: World,
) -> None:
    world.target("monthly_cost_eur", "<=", 1000, dimension="cost", unit="EUR")
    world.monitor.catch_up()
    for period, threshold in (("2026-01", 0.8), ("2026-02", 0.7)):
        world.app.handle(
            ReportCost(name=NAME, period=period, amount="1500.00", currency="EUR",
                       business_unit="Retail", version=1),
            by=by("ops", at=T0 + timedelta(days=40)),
        )  # fmt: skip
        world.target("auc", ">=", threshold)  # a kind the reactor does not read

    # One event read per run: a run that reads a full page goes on from its last event next
    # time, not from the end of the range it looked at (February's report would be missed:
    # January's judges nothing once February is reported).
    while world.monitor.react_once(limit=1):
        pass

    [opened] = world.events(BreachOpened)
    assert opened.correlation_id == "cost:2026-02"
    assert world.monitor.lag()["events"] == 0  # past every event, the last ones ignored


def _plan(app: Governance, action: str) -> None:
    app.handle(
        ChangeGamePlan(
            name=NAME,
            game_plan={
                "responses": [
                    {
                        "dimension": "accuracy",
                        "environment": "production",
                        "min_severity": "critical",
                        "action": action,
                    }
                ]
            },
        ),
        by=by("co", "automated response on accuracy", at=T0),
    )


def test_an_automated_rollback_goes_to_the_last_good_version(world: World) -> None:
    app = world.app
    for version, hours in ((2, 1), (3, 2)):
        app.handle(
            RegisterVersion(name=NAME, card=card()), by=by("eng", at=T0 + timedelta(hours=hours))
        )
        activate(app, version, T0 + timedelta(hours=hours))
    # Version 2 served last before 3, but has an open bias flag: version 1 is the good one.
    app.handle(
        RaiseBiasFlag(
            name=NAME, version=2, attribute="age", metric="dpd", value=0.3, threshold=0.1
        ),
        by=by("ds", at=T0 + timedelta(hours=3)),
    )
    _plan(app, "roll_back")
    world.target("auc", ">=", 0.8)

    world.observe("auc", [0.7], start=T0 + timedelta(hours=4), every=MINUTE, version=3)

    [rollback] = world.events(RolledBack)
    assert (rollback.from_version, rollback.to_version) == (3, 1)
    assert (rollback.actor, rollback.correlation_id) == (f"policy/{NAME}", "breach:B-1")
    assert app.get_model(NAME).active == {"production": 1}
    assert world.events(OnCallPaged) == []


def test_without_a_good_version_the_response_deactivates_and_pages(world: World) -> None:
    _plan(world.app, "roll_back")
    world.target("auc", ">=", 0.8)

    world.observe("auc", [0.7], start=T0 + MINUTE, every=MINUTE)

    [page] = world.events(OnCallPaged)
    assert (page.breach_id, page.version, page.environment) == ("B-1", 1, "production")
    assert "no good version to roll back to" in page.message
    assert world.app.get_model(NAME).active == {}
    world.monitor.catch_up()
    assert len(world.events(OnCallPaged)) == 1  # reacting again does nothing more


def test_one_batch_that_closes_a_breach_and_crosses_again_records_every_transition(
    world: World,
) -> None:
    world.target("auc", ">=", 0.8)
    world.observe("auc", [0.5], start=T0 + MINUTE, every=MINUTE)  # B-1 opens
    _plan(world.app, "roll_back")  # no good version to go to: deactivate and page
    # A backlog (an evaluator restart, a slow evaluator, a client posting several at once):
    # one batch closes B-1 and crosses again, twice.
    times = world.observe("auc", [0.9, 0.5, 0.9, 0.5], start=T0 + 2 * MINUTE, every=MINUTE)

    positions = [o.position for o in world.monitor.observations.after(0, limit=10)][1:]
    assert [
        (type(e).__name__, e.breach_id, e.effective_at, e.observed_value, e.correlation_id)
        for e in world.app.model_events(NAME)
        if isinstance(e, BreachOpened | BreachClosed)
    ][1:] == [
        ("BreachClosed", "B-1", times[0], 0.9, f"observation:{positions[0]}"),
        ("BreachOpened", "B-2", times[1], 0.5, f"observation:{positions[1]}"),
        ("BreachClosed", "B-2", times[2], 0.9, f"observation:{positions[2]}"),
        ("BreachOpened", "B-3", times[3], 0.5, f"observation:{positions[3]}"),
    ]
    assert [b.breach_id for b in world.app.get_model(NAME).open_breaches()] == ["B-3"]
    [page] = world.events(OnCallPaged)  # the game plan answers the breach still open
    assert (page.breach_id, page.correlation_id) == ("B-3", "breach:B-3")
    assert world.app.get_model(NAME).active == {}


def test_a_batch_that_races_another_writer_is_judged_again_and_records_each_transition_once(
    world: World, backend: Settings
) -> None:
    world.target("auc", ">=", 0.8, window="moving_average:2")
    world.observe("auc", [0.5, 0.5], start=T0 + MINUTE, every=MINUTE)  # B-1 opens
    world.monitor.observations.append(
        [_auc(value, T0 + (3 + i) * MINUTE) for i, value in enumerate([0.9, 0.9, 0.5, 0.5])]
    )
    batch = world.monitor.observations.after(world.monitor.position("evaluator"), limit=10)
    other = open_governance(backend)
    asked: list[Key] = []

    def history(model: str, key: Key) -> tuple[list[Observation], bool]:
        asked.append(key)
        if len(asked) == 1:  # another process writes between the batch's read and its save
            other.handle(
                SetTarget(
                    name=NAME,
                    dimension="performance",
                    metric="latency_ms",
                    comparator="<=",
                    threshold=300,
                ),
                by=by("ds", at=T0),
            )
        return world.monitor.observations.recent(model, key, before=batch[0].position), True

    outcome = Monitoring(world.app).evaluate(NAME, batch, history)
    other.close()

    assert len(asked) == 2  # the save met the other writer: the window restored, judged again
    # Averages 0.7 (still failing), 0.9 (closes), 0.7 (opens), 0.5: recorded once.
    assert (outcome.breaches_closed, outcome.breaches_opened) == ([f"{NAME} B-1"], [f"{NAME} B-2"])
    assert [(e.breach_id, e.effective_at) for e in world.events(BreachClosed)] == [
        ("B-1", T0 + 4 * MINUTE)
    ]
    assert [(e.breach_id, e.effective_at) for e in world.events(BreachOpened)] == [
        ("B-1", T0 + 2 * MINUTE), ("B-2", T0 + 5 * MINUTE)
    ]  # fmt: skip
    assert {t.metric for t in world.app.get_model(NAME).targets.values()} == {"auc", "latency_ms"}


def test_a_batch_judged_again_after_a_crash_records_nothing_twice(
    world: World, backend: Settings
) -> None:
    world.target("auc", ">=", 0.8)
    world.observe("auc", [0.7, 0.9, 0.7, 0.9], start=T0 + MINUTE, every=MINUTE)
    assert [e.breach_id for e in world.events(BreachOpened)] == ["B-1", "B-2"]
    # A crash before the position moved: another process judges the same batch again.
    world.monitor.sql.execute("DELETE FROM modelgov_monitor_tracking")
    again = MonitorRunner(world.app, SqlRunner(backend.database))
    again.catch_up()
    again.sql.close()

    assert [e.breach_id for e in world.events(BreachOpened)] == ["B-1", "B-2"]
    assert len(world.events(BreachClosed)) == 2


def test_a_late_value_after_a_restart_closes_at_the_latest_value(
    world: World, backend: Settings
) -> None:
    world.target("auc", ">=", 0.8)
    world.observe("auc", [0.9] * 5, start=T0 + 30 * MINUTE, every=MINUTE)
    restarted = MonitorRunner(world.app, SqlRunner(backend.database))
    restarted.observations.append([_auc(0.75, T0 + 10 * MINUTE)])
    restarted.catch_up()
    restarted.sql.close()

    [opened], [closed] = world.events(BreachOpened), world.events(BreachClosed)
    assert (opened.effective_at, closed.effective_at) == (T0 + 10 * MINUTE, T0 + 34 * MINUTE)


def test_a_late_value_opens_nothing_inside_a_recorded_breach_or_under_a_minimum_duration(
    world: World,
) -> None:
    world.target("auc", ">=", 0.8)
    world.target("recall", ">=", 0.8, min_duration_seconds=60)
    world.observe("auc", [0.7, 0.7, 0.9, 0.9], start=T0 + MINUTE, every=MINUTE)
    world.observe("recall", [0.9, 0.9], start=T0 + MINUTE, every=10 * MINUTE)

    world.observe("auc", [0.6], start=T0 + MINUTE + timedelta(seconds=30), every=MINUTE)
    world.observe("recall", [0.1], start=T0 + 5 * MINUTE, every=MINUTE)

    [opened] = world.events(BreachOpened)  # the auc breach of 00:01-00:03, once
    assert (opened.metric, opened.effective_at) == ("auc", T0 + MINUTE)


def test_a_late_cost_report_for_an_earlier_month_does_not_judge_the_current_one(
    world: World,
) -> None:
    world.target("monthly_cost_eur", "<=", 1000, dimension="cost", unit="EUR")
    for period, amount, day in (("2026-02", "1500.00", 40), ("2026-01", "10.00", 41)):
        world.app.handle(
            ReportCost(
                name=NAME,
                period=period,
                amount=amount,
                currency="EUR",
                business_unit="Retail",
                version=1,
            ),
            by=by("ops", at=T0 + timedelta(days=day)),
        )
        world.monitor.catch_up()

    [opened] = world.events(BreachOpened)
    assert opened.correlation_id == "cost:2026-02"
    assert world.events(BreachClosed) == []


@pytest.mark.parametrize("named_version", [None, 1])
def test_a_cost_entered_after_a_new_release_breaches_on_the_version_that_served_that_month(
    world: World, named_version: int | None
) -> None:
    """January's costs, entered in February after version 2 replaced version 1: the budget
    breach is version 1's, effective when the cost was, not refused as version 2's (registered
    after that moment)."""
    world.target("monthly_cost_eur", "<=", 1000, dimension="cost", unit="EUR")
    february = T0 + timedelta(days=40)
    world.app.handle(RegisterVersion(name=NAME, card=card()), by=by("eng", at=february))
    activate(world.app, 2, february)
    world.app.handle(
        ReportCost(name=NAME, period="2026-01", amount="1100.00", currency="EUR",
                   business_unit="Retail", version=named_version),
        by=by("ops", "entered late", at=T0 + timedelta(days=20)),
    )  # fmt: skip
    world.monitor.catch_up()

    [opened] = world.events(BreachOpened)
    assert (opened.version, opened.environment) == (1, "production")
    assert (opened.dimension, opened.observed_value) == ("cost", 1100.0)
    assert opened.effective_at == T0 + timedelta(days=20)
    assert opened.correlation_id == "cost:2026-01"


def _auc(value: float, at: datetime) -> Observation:
    return Observation(model=NAME, version=1, environment="production", metric="auc",
                       value=value, observed_at=at)  # fmt: skip


def test_a_restart_after_a_breach_closed_by_hand_keeps_the_crossing_under_way(
    world: World, backend: Settings
) -> None:
    world.target("auc", ">=", 0.8, min_duration_seconds=300)
    world.observe("auc", [0.5, 0.5, 0.5], start=T0 + MINUTE, every=5 * MINUTE)  # B-1 opens
    [breach] = world.app.get_model(NAME).open_breaches()
    closed_by_hand = by("ops", "closed by hand", at=T0 + MINUTE + timedelta(seconds=650))
    world.app.handle(
        CloseBreach(name=NAME, breach_id=breach.breach_id, observed_value=0.9), by=closed_by_hand
    )
    world.observe("auc", [0.5], start=T0 + MINUTE + timedelta(seconds=700), every=MINUTE)
    world.monitor.sql.close()

    restarted = MonitorRunner(world.app, SqlRunner(backend.database))
    world.monitor = restarted  # the evaluator restarts: the window comes back from the table
    world.observe("auc", [0.5], start=T0 + MINUTE + timedelta(seconds=1000), every=MINUTE)

    # Judged as the live evaluator would: the crossing from 700 s lasted 300 s and opens B-2.
    opened = world.events(BreachOpened)
    assert [(b.breach_id, b.effective_at) for b in opened] == [
        ("B-1", T0 + MINUTE),
        ("B-2", T0 + MINUTE + timedelta(seconds=700)),
    ]
    restarted.sql.close()
