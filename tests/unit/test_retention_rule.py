"""Which months of a model's observations may be dropped: one rule, for rows and for monthly
partitions alike (domain/retention.py months_past_retention)."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.commands import ChangePolicy
from domain.errors import InvalidValueError
from domain.policy import checked_policy, default_policy_for, policy_from
from domain.retention import (
    MIN_LOG_MONTHS,
    RETENTION_MONTHS_BY_TIER,
    add_months,
    months_past_retention,
)
from domain.values import RISK_TIERS
from tests.factories import by, new_model

months = st.builds(
    lambda year, month: f"{year:04d}-{month:02d}",
    st.integers(min_value=2020, max_value=2035),
    st.integers(min_value=1, max_value=12),
)
instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2037, 12, 31), timezones=st.just(UTC)
)
retentions = st.integers(min_value=0, max_value=150)  # below six too: the rule's floor holds


def _last_instant(month: str) -> datetime:
    year, number = int(month[:4]), int(month[5:])
    last_day = calendar.monthrange(year, number)[1]
    return datetime(year, number, last_day, 23, 59, 59, 999999, tzinfo=UTC)


def _calendar_months_later(moment: datetime, count: int) -> datetime:
    """The same day and time `count` months later, the day clamped to the month's last."""
    index = moment.year * 12 + moment.month - 1 + count
    year, month = index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@given(st.lists(months, max_size=30), retentions, instants)
def test_nothing_is_dropped_under_a_legal_hold(
    stored: list[str], retention: int, now: datetime
) -> None:
    assert months_past_retention(stored, retention_months=retention, held=True, now=now) == []


@given(st.lists(months, max_size=30), retentions, instants)
def test_a_dropped_month_is_past_retention_and_six_months_in_all_of_it(
    stored: list[str], retention: int, now: datetime
) -> None:
    for month in months_past_retention(stored, retention_months=retention, held=False, now=now):
        newest = _last_instant(month)
        assert _calendar_months_later(newest, retention) < now
        assert _calendar_months_later(newest, MIN_LOG_MONTHS) < now
        assert now - newest > timedelta(days=181)  # six months are at least 181 days


@given(st.lists(months, max_size=30), retentions, instants)
def test_every_month_wholly_past_retention_is_dropped_and_only_those(
    stored: list[str], retention: int, now: datetime
) -> None:
    dropped = months_past_retention(stored, retention_months=retention, held=False, now=now)
    kept_for = max(retention, MIN_LOG_MONTHS)
    expected = {m for m in stored if add_months(datetime.fromisoformat(f"{m}-01T00:00:00+00:00"),
                                                1 + kept_for) <= now}  # fmt: skip
    assert dropped == sorted(expected)
    assert set(dropped) <= set(stored)


def test_a_month_goes_at_the_first_instant_all_of_it_is_past_retention() -> None:
    # January's last observation is six months old once July 31 has passed.
    at = datetime(2026, 8, 1, tzinfo=UTC)
    assert months_past_retention(["2026-01"], retention_months=6, held=False, now=at) == ["2026-01"]
    before = at - timedelta(microseconds=1)
    assert months_past_retention(["2026-01"], retention_months=6, held=False, now=before) == []


@pytest.mark.parametrize("tier", RISK_TIERS)
def test_each_tier_s_default_policy_states_its_retention(tier: str) -> None:
    policy = default_policy_for(tier)
    assert policy.observation_retention_months == RETENTION_MONTHS_BY_TIER[tier] >= 6
    assert policy.log_retention_months == RETENTION_MONTHS_BY_TIER[tier]
    assert policy.documentation_retention_years == 10


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("observation_retention_months", 5, "Art. 19"),
        ("log_retention_months", 0, "Art. 19"),
        ("documentation_retention_years", 9, "Art. 18"),
        ("observation_retention_months", "12", "whole number"),
    ],
)
def test_a_policy_asking_to_keep_less_than_the_law_is_refused(
    field: str, value: object, says: str
) -> None:
    model = new_model("medium")
    asked = {"required_gates": list(model.policy.required_gates), field: value}
    with pytest.raises(InvalidValueError, match=says) as refused:
        model.change_policy(
            ChangePolicy(name="churn", risk_tier="medium", policy=asked), by("co", "x")
        )
    assert refused.value.field == f"policy.{field}"
    assert model.policy.observation_retention_months == 12  # nothing recorded


def test_a_policy_may_keep_longer_and_omitted_fields_are_the_tier_s() -> None:
    policy = checked_policy(
        {"required_gates": ["data_scientist_release_approval"], "observation_retention_months": 36},
        risk_tier="low",
    )
    assert (policy.observation_retention_months, policy.log_retention_months) == (36, 6)
    assert policy.documentation_retention_years == 10


def test_a_policy_recorded_before_retention_reads_with_its_tier_s() -> None:
    stored = {"required_gates": ["data_scientist_release_approval"], "environments": ["production"]}
    policy = policy_from(stored, risk_tier="regulated")
    assert (policy.observation_retention_months, policy.documentation_retention_years) == (60, 10)
    assert "observation_retention_months" not in stored  # the event's own dict is not changed
