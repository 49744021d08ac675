"""Charts as SVG text: they parse, draw what they are given (points, breaches, target steps, bars),
say it in their title and description, escape what they are given, and stay inside the plot."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reports.charts import (
    BreachPeriod,
    MonthCost,
    TargetPeriod,
    cost_chart,
    cost_charts,
    metric_chart,
    metric_charts,
)
from reports.charts import cost as cost_layout
from reports.charts import metric as metric_layout
from reports.charts.scales import Linear, Time, padded_domain, value_ticks

NS = "{http://www.w3.org/2000/svg}"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PLOT_LEFT, PLOT_RIGHT = metric_layout.LEFT, metric_layout.WIDTH - metric_layout.RIGHT
PLOT_TOP, PLOT_BOTTOM = metric_layout.TOP, metric_layout.HEIGHT - metric_layout.BOTTOM


def hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


def parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def observed(root: ET.Element) -> list[tuple[float, float]]:
    line = root.find(f"{NS}polyline[@data-role='observed']")
    if line is None:
        return []
    pairs = (p.split(",") for p in (line.get("points") or "").split())
    return [(float(a), float(b)) for a, b in pairs]


def shaded(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{NS}rect") if r.get("data-breach")]


def target_path(root: ET.Element) -> list[str]:
    path = root.find(f"{NS}path[@data-role='target']")
    return [] if path is None else (path.get("d") or "").split()


def accuracy(**overrides: Any) -> Any:
    """accuracy in production: 120 hourly values, the floor 0.90 raised to 0.92 at 60 h, two
    breaches (one closed, one open), now at 120 h."""
    arguments: dict[str, Any] = {
        "metric": "accuracy", "environment": "production",
        "points": [(hours(h), 0.95 - 0.1 * (30 <= h < 40) - 0.05 * (h >= 110)) for h in range(120)],
        "targets": [TargetPeriod(">=", 0.90, hours(-5), hours(60)), TargetPeriod(">=", 0.92, hours(60), None)],
        "breaches": [BreachPeriod("B-1", hours(30), hours(40)), BreachPeriod("B-2", hours(110), None)],
        "now": hours(120),
    }  # fmt: skip
    return metric_chart(**{**arguments, **overrides})


def test_a_metric_chart_is_an_image_named_and_described_for_assistive_technology() -> None:
    chart = accuracy()
    root = parsed(chart.svg)
    assert root.get("role") == "img" and root.get("viewBox") == "0 0 720 300"
    title, desc = root.find(f"{NS}title"), root.find(f"{NS}desc")
    assert title is not None and desc is not None
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == "accuracy in production: observed values against the target in force"
    assert (
        desc.text
        == chart.caption
        == (
            "accuracy in production: 120 observations from 2026-01-05 09:00Z to 2026-01-10 08:00Z, "
            "between 0.85 and 0.95, last 0.9; target at least 0.9, then at least 0.92 from "
            "2026-01-07 21:00Z; 2 breaches (1 still open)."
        )
    )


def test_every_observation_is_a_point_of_the_line_in_time_order() -> None:
    points = observed(parsed(accuracy().svg))
    assert len(points) == 120
    assert [x for x, _ in points] == sorted(x for x, _ in points)
    assert not list(parsed(accuracy().svg).iter(f"{NS}circle"))  # too many to dot
    few = parsed(accuracy(points=[(hours(h), 0.9) for h in range(5)]).svg)
    assert len(list(few.iter(f"{NS}circle"))) == 5


def test_each_breach_is_shaded_from_opening_to_closing_and_an_open_one_up_to_now() -> None:
    root = parsed(accuracy().svg)
    closed, still_open = shaded(root)
    assert [closed.get("data-breach"), still_open.get("data-breach")] == ["B-1", "B-2"]
    low_values = [x for x, y in observed(root)[30:40]]
    left, width = float(closed.get("x") or 0), float(closed.get("width") or 0)
    assert left <= min(low_values) and max(low_values) <= left + width
    right_edge = float(still_open.get("x") or 0) + float(still_open.get("width") or 0)
    assert math.isclose(right_edge, PLOT_RIGHT)
    assert "still open" in (still_open.findtext(f"{NS}title") or "")


def test_breaches_outside_the_drawn_period_are_not_shaded() -> None:
    earlier = BreachPeriod("B-0", hours(-50), hours(-40))
    root = parsed(accuracy(breaches=[earlier, BreachPeriod("B-1", hours(30), hours(40))]).svg)
    assert [r.get("data-breach") for r in shaded(root)] == ["B-1"]


def test_the_target_steps_where_it_changed_and_nowhere_else() -> None:
    root = parsed(accuracy().svg)
    path = target_path(root)
    assert [step[0] for step in path] == ["M", "H", "V", "H"]
    step_x = float(path[1][1:])
    xs = [x for x, _ in observed(root)]
    assert xs[59] < step_x <= xs[60]  # between the values observed before and after the change
    before, after = float(path[0].split(",")[1]), float(path[2][1:])
    assert after < before  # raised: higher up the chart (y grows downwards)
    assert math.isclose(float(path[-1][1:]), PLOT_RIGHT)  # still in force: up to now


def test_a_period_without_a_target_leaves_a_gap_in_the_step_line() -> None:
    late = [TargetPeriod("<=", 250.0, hours(50), None, unit="ms")]
    root = parsed(accuracy(metric="latency", targets=late, breaches=[]).svg)
    path = target_path(root)
    assert path[0].startswith("M") and float(path[0][1:].split(",")[0]) > PLOT_LEFT + 100
    assert "target at most 250 ms" in (root.findtext(f"{NS}desc") or "")


def test_text_put_into_the_svg_is_escaped() -> None:
    name = "<script>alert('x')</script> & \"p99\""
    chart = accuracy(metric=name, environment="prod<uction>",
                     targets=[TargetPeriod("<", 1.0, hours(0), None, unit="<ms>")])  # fmt: skip
    assert "<script>" not in chart.svg and "<uction>" not in chart.svg and "<ms>" not in chart.svg
    root = parsed(chart.svg)
    assert (root.findtext(f"{NS}title") or "").startswith(f"{name} in prod<uction>:")
    assert "target below 1 <ms>" in (root.findtext(f"{NS}desc") or "")
    assert all(" " not in (e.get("id") or "") for e in root.iter())


def test_a_metric_never_observed_shows_its_target_and_says_so() -> None:
    chart = metric_chart(metric="auc", environment=None, points=[], breaches=[], now=hours(10),
                         targets=[TargetPeriod(">=", 0.8, hours(0), None)])  # fmt: skip
    root = parsed(chart.svg)
    assert observed(root) == [] and len(target_path(root)) == 2
    assert (
        chart.caption
        == "auc: no observations yet in any environment; target at least 0.8; 0 breaches."
    )


def test_no_observations_and_no_target_still_make_a_valid_chart() -> None:
    chart = metric_chart(metric="auc", environment="staging", points=[], targets=[], breaches=[],
                         now=hours(0))  # fmt: skip
    assert parsed(chart.svg).findtext(f"{NS}desc") == (
        "auc in staging: no observations yet; no target in force; 0 breaches."
    )


def test_one_point_and_equal_values_are_drawn_inside_the_plot() -> None:
    one = parsed(metric_chart(metric="m", environment="p", points=[(hours(1), 5.0)], targets=[],
                              breaches=[], now=hours(1)).svg)  # fmt: skip
    assert len(observed(one)) == 1 and len(list(one.iter(f"{NS}circle"))) == 1
    flat = parsed(accuracy(points=[(hours(h), 0.9) for h in range(100)], breaches=[]).svg)
    ys = {y for _, y in observed(flat)}
    assert len(ys) == 1 and PLOT_TOP < ys.pop() < PLOT_BOTTOM
    assert "between 0.9 and 0.9" in (flat.findtext(f"{NS}desc") or "")


def test_axis_labels_name_utc_times_and_values() -> None:
    labels = [t.text or "" for t in parsed(accuracy().svg).iter(f"{NS}text")]
    assert labels[:10] == [
        "0.80", "0.85", "0.90", "0.95", "1.00",
        "2026-01-05 09:00Z", "2026-01-07 01:00Z", "2026-01-08 17:00Z", "2026-01-10 09:00Z",
        "time (UTC)",
    ]  # fmt: skip


def test_the_same_data_draws_the_same_bytes() -> None:
    assert accuracy().svg == accuracy().svg


def test_cost_bars_one_per_month_with_the_budget_marked_and_overruns_said() -> None:
    months = [MonthCost("2026-01", Decimal("1200.00"), 1000.0),
              MonthCost("2025-12", Decimal("800.00"), 1000.0)]  # fmt: skip
    chart = cost_chart(months, currency="EUR")
    root = parsed(chart.svg)
    bars = [(r.get("data-period"), r.get("data-state")) for r in root.iter(f"{NS}rect")
            if r.get("data-period")]  # fmt: skip
    assert bars == [("2025-12", "within-budget"), ("2026-01", "over-budget")]
    budget = [line for line in root.iter(f"{NS}line") if line.get("data-role") == "budget"]
    assert len(budget) == 2 and len({line.get("y1") for line in budget}) == 1
    assert chart.caption == (
        "Cost in EUR, 2 months (2025-12 to 2026-01); budget 1000 EUR a month; 1 month over budget "
        "(2026-01: 1200.00 EUR); latest 2026-01: 1200.00 EUR."
    )


def test_a_model_without_a_budget_gets_bars_and_no_budget_mark() -> None:
    chart = cost_chart([MonthCost("2026-01", Decimal("10"), None)], currency="USD")
    root = parsed(chart.svg)
    assert [r.get("data-state") for r in root.iter(f"{NS}rect") if r.get("data-period")] == [
        "no-budget"
    ]
    assert not [line for line in root.iter(f"{NS}line") if line.get("data-role") == "budget"]
    assert "no budget set" in chart.caption


def test_only_the_latest_months_are_drawn_and_the_rest_are_mentioned() -> None:
    months = [MonthCost(f"{2024 + i // 12}-{i % 12 + 1:02d}", Decimal(i), 20.0) for i in range(30)]
    chart = cost_chart(months, currency="EUR")
    periods = [
        r.get("data-period") for r in parsed(chart.svg).iter(f"{NS}rect") if r.get("data-period")
    ]
    assert len(periods) == cost_layout.MONTHS_SHOWN and periods[-1] == "2026-06"
    assert "6 earlier months not drawn" in chart.caption and "9 months over budget" in chart.caption


def _report() -> dict[str, Any]:
    target = {
        "dimension": "accuracy",
        "metric": "auc",
        "comparator": ">=",
        "threshold": 0.8,
        "unit": "",
        "in_force_from": "2026-01-05T09:00:00Z",
        "in_force_until": None,
    }
    breach = {
        "breach_id": "B-1",
        "dimension": "accuracy",
        "metric": "auc",
        "environment": "staging",
        "opened_at": "2026-01-05T12:00:00Z",
        "closed_at": None,
    }
    cost = {**target, "dimension": "cost", "metric": "monthly_cost", "threshold": 100.0}
    return {"model": {"policy": {"environments": ["staging", "production"]}},
            "targets": [target, cost], "breaches": [breach]}  # fmt: skip


def test_a_model_gets_a_chart_per_monitored_metric_and_environment_observed_or_breached() -> None:
    series = {("production", "auc"): [(hours(1), 0.9), (hours(2), 0.85)]}
    charts = metric_charts(_report(), series, now=hours(3))
    assert [c.title.split(":")[0] for c in charts] == ["auc in staging", "auc in production"]
    assert [len(shaded(parsed(c.svg))) for c in charts] == [1, 0]  # the breach where it was


def test_cost_charts_come_one_per_currency() -> None:
    from application.monitoring.cost import ShowbackLine

    lines = [ShowbackLine("2026-01", unit, currency, Decimal(5), Decimal(10), None)
             for unit in ("a", "b") for currency in ("EUR", "USD")]  # fmt: skip
    charts = cost_charts(lines)
    assert [c.title for c in charts] == [
        "Cost per month in EUR against the monthly budget",
        "Cost per month in USD against the monthly budget",
    ]


finite = st.floats(allow_nan=False, allow_infinity=False)


@given(st.lists(finite, min_size=1, max_size=50), finite)
def test_any_value_maps_inside_the_plot_area(values: list[float], other: float) -> None:
    low, high = padded_domain(values)
    assert low < high and math.isfinite(low) and math.isfinite(high)
    y = Linear(low, high, PLOT_BOTTOM, PLOT_TOP)
    for value in [*values, other]:
        assert PLOT_TOP <= y(value) <= PLOT_BOTTOM
    for value in values:
        assert low <= value <= high
    assert all(math.isfinite(tick) for tick, _ in value_ticks(low, high))


seconds = st.integers(0, 10**7)


@given(
    st.lists(st.tuples(seconds, finite), min_size=1, max_size=30), seconds, finite,
    st.tuples(seconds, seconds),
)  # fmt: skip
def test_any_series_target_and_breach_are_drawn_inside_the_plot_area(
    raw: list[tuple[int, float]], later_seconds: int, threshold: float, breach: tuple[int, int]
) -> None:
    def at(offset: int) -> datetime:
        return T0 + timedelta(seconds=offset)

    chart = metric_chart(
        metric="m", environment="p", points=[(at(s), v) for s, v in raw], now=at(later_seconds),
        targets=[TargetPeriod("<", threshold, at(0), None)],
        breaches=[BreachPeriod("B-1", at(min(breach)), at(max(breach)))],
    )  # fmt: skip
    root = parsed(chart.svg)
    drawn = observed(root)
    assert len(drawn) == len(raw)
    for x, y in drawn:
        assert PLOT_LEFT <= x <= PLOT_RIGHT and PLOT_TOP <= y <= PLOT_BOTTOM
    for rect in shaded(root):
        left, width = float(rect.get("x") or 0), float(rect.get("width") or 0)
        assert left >= PLOT_LEFT and left + width <= PLOT_RIGHT + 0.01
    for step in target_path(root):
        for number in step[1:].split(","):
            assert PLOT_TOP - 0.01 <= float(number) <= PLOT_RIGHT + 0.01


@given(st.datetimes(timezones=st.just(UTC)), st.datetimes(timezones=st.just(UTC)))
def test_any_instant_maps_inside_the_time_axis(first: datetime, moment: datetime) -> None:
    last = first + timedelta(days=3)
    x = Time(first, last, PLOT_LEFT, PLOT_RIGHT)
    assert PLOT_LEFT <= x(moment) <= PLOT_RIGHT
