"""A batch of observations is refused at its first bad entry, and within it at its first bad
field, whatever kind of error each bad value raises (the batch is checked a column at a time)."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone
from typing import Any

import pytest

from application.monitoring.observations import checked_observations
from domain.commands import RegisterVersion
from domain.errors import InvalidValueError
from domain.instants import utc_text
from tests.factories import T0, by, card, new_model


def _entry(**overrides: Any) -> dict[str, Any]:
    entry = {"version": 1, "environment": "production", "metric": "auc", "value": 0.8,
             "observed_at": utc_text(T0 + timedelta(hours=1)), "group": None,
             "sample_count": None}  # fmt: skip
    return entry | overrides


def test_an_earlier_bad_entry_wins_over_a_later_value_no_check_can_read() -> None:
    model = new_model()
    model.register_version(RegisterVersion(name=model.name, card=card()), by("eng"))
    batch = [_entry(value=True), _entry(version=[])]  # a list cannot even be looked up

    with pytest.raises(InvalidValueError) as refused:
        checked_observations(model, batch, now=T0 + timedelta(days=1))

    assert refused.value.field == "observations[0].value"


def test_a_value_no_check_can_read_is_refused_in_its_own_place() -> None:
    model = new_model()
    model.register_version(RegisterVersion(name=model.name, card=card()), by("eng"))

    with pytest.raises(TypeError):
        checked_observations(model, [_entry(), _entry(version=[])], now=T0 + timedelta(days=1))


INF = float("inf")


@pytest.mark.parametrize(
    ("values", "field"),
    [([0.5, float("nan")], "observations[1].value"), ([0.5, INF], "observations[1].value"),
     ([0.5, -INF], "observations[1].value"), ([INF, -INF], "observations[0].value")],
)  # fmt: skip
def test_a_value_that_is_not_finite_among_floats_is_refused_in_its_place(
    values: list[float], field: str
) -> None:
    model = new_model()
    model.register_version(RegisterVersion(name=model.name, card=card()), by("eng"))
    at = T0 + timedelta(hours=1)  # times already held in UTC: the column is judged whole first
    batch = [_entry(value=value, observed_at=at) for value in values]

    with pytest.raises(InvalidValueError) as refused:
        checked_observations(model, batch, now=T0 + timedelta(days=1))

    assert refused.value.field == field


def test_a_time_at_offset_zero_in_another_zone_is_held_in_utc() -> None:
    model = new_model()
    model.register_version(RegisterVersion(name=model.name, card=card()), by("eng"))
    zulu = timezone(timedelta(0), "Z")  # equal to UTC, not UTC itself
    at = (T0 + timedelta(hours=1)).astimezone(zulu)

    [checked] = checked_observations(model, [_entry(observed_at=at)], now=T0 + timedelta(days=1))

    assert checked.observed_at == at and checked.observed_at.tzinfo is UTC
