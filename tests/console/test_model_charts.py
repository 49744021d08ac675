"""The model page's charts over a real store (SQLite and PostgreSQL): each monitored metric per
environment against the target in force, breaches shaded, and cost against budget by month."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from application.monitoring.observations import Observation
from infrastructure.monitoring.observation_table import ObservationStore
from tests.console.conftest import Console, with_bias_flag
from tests.factories import audited_history, later

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
SVG = "{http://www.w3.org/2000/svg}"


def _store(console: Console) -> ObservationStore:
    store: ObservationStore = console.api.client.app.state.monitor.observations  # type: ignore[attr-defined]
    return store


def _auc(version: int, hours: float, value: float, environment: str = "production") -> Observation:
    return Observation(model="scorer", version=version, environment=environment, metric="auc",
                       value=value, observed_at=later(hours))  # fmt: skip


def _charts(html: str) -> dict[str, ET.Element]:
    """Each chart on the page, parsed as XML, by its <title>."""
    charts = {}
    for text in re.findall(r"<svg .*?</svg>", html, flags=re.S):
        svg = ET.fromstring(text)
        assert svg.get("role") == "img"
        charts[svg.findtext(f"{SVG}title") or ""] = svg
    return charts


def test_the_model_page_draws_each_metric_against_its_target_with_breaches_shaded(
    console: Console,
) -> None:
    audited_history(console.governance)  # auc >= 0.8, loosened to 0.75 at 60 h; B-1 70 h to 80 h
    observed = [_auc(1, h, 0.82) for h in range(7, 51)] + [
        _auc(2, h, 0.7 if 70 <= h < 80 else 0.79) for h in range(51, 100)
    ]
    _store(console).append(observed)
    session = console.sign_in("auditor")

    page = console.get("/console/models/scorer", session)

    assert page.status_code == 200
    charts = _charts(page.text)
    auc = charts["auc in production: observed values against the target in force"]
    line = auc.find(f"{SVG}polyline[@data-role='observed']")
    assert line is not None and len(line.get("points", "").split()) == len(observed)
    assert [r.get("data-breach") for r in auc.iter(f"{SVG}rect") if r.get("data-breach")] == ["B-1"]
    desc = auc.findtext(f"{SVG}desc") or ""
    assert desc.startswith(
        f"auc in production: {len(observed)} observations from 2026-01-05 16:00Z"
    )
    assert "target at least 0.8, then at least 0.75 from 2026-01-07 21:00Z; 1 breach." in desc
    assert f"<figcaption>{desc}</figcaption>" in page.text  # the same, as text under the chart
    # Targets without observations are still shown, said to have none.
    latency = charts["latency_p99_ms: observed values against the target in force"]
    assert "no observations yet in any environment; target at most 250 ms" in (
        latency.findtext(f"{SVG}desc") or ""
    )
    cost = charts["Cost per month in EUR against the monthly budget"]
    bars = {r.get("data-period"): r.get("data-state") for r in cost.iter(f"{SVG}rect")
            if r.get("data-period")}  # fmt: skip
    assert bars == {"2025-12": "within-budget", "2026-01": "over-budget"}
    assert len([b for b in cost.iter(f"{SVG}line") if b.get("data-role") == "budget"]) == 2
    assert "1 month over budget (2026-01: 1200.00 EUR)" in (cost.findtext(f"{SVG}desc") or "")


def test_a_model_without_targets_or_costs_shows_no_chart(console: Console) -> None:
    with_bias_flag(console.governance)
    page = console.get("/console/models/scorer", console.sign_in("auditor"))
    assert page.status_code == 200
    assert "<svg" not in page.text and 'id="m-charts"' not in page.text


def test_charts_read_only_the_latest_observations_of_each_series(console: Console) -> None:
    audited_history(console.governance)
    store = _store(console)
    store.append([_auc(1, 10 + h / 60, 0.8) for h in range(10)])
    store.append([_auc(1, 9, 0.9, environment="staging"), _auc(2, 60, 0.81)])

    series = store.latest_series(
        "scorer", versions=[1, 2], environments=["production", "staging"], metrics=["auc"], limit=4
    )

    production = series[("production", "auc")]
    assert [o.observed_at for o in production] == [
        later(10 + 7 / 60),
        later(10 + 8 / 60),
        later(10 + 9 / 60),
        later(60),
    ]
    assert [(o.value, o.observed_at) for o in series[("staging", "auc")]] == [(0.9, later(9))]
