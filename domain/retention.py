"""How long a model's records are kept, by risk tier, and which months of observations may go.

The ledger (every event) is never deleted. What retention governs is the observations store:
the production figures monitoring judged. They are dropped by whole calendar months (UTC), so
that the same rule answers for a table with a partition per month (issue 15): a month may go
only when all of it is past the policy's retention, never while a legal hold applies, and never
before six months (EU AI Act Art. 19: logs kept at least six months) whatever a policy says.
Technical documentation (Annex IV, Art. 18) is kept ten years: it is built from the ledger,
which is kept for good, so that figure is a floor the policy states, not something dropped.

With one partition per month holding every model's figures, a partition may be dropped when the
month may go for each model with figures in it (`months_past_retention` per model, then the
months every model's answer holds).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from domain.errors import InvalidValueError

# EU AI Act Art. 19(1) and 26(6): automatically generated logs kept at least six months.
MIN_LOG_MONTHS = 6
# EU AI Act Art. 18(1): technical documentation kept ten years after the system is placed on the market.
MIN_DOCUMENTATION_YEARS = 10
MAX_RETENTION_MONTHS = 1200  # a century: past that a figure is a typo
MAX_DOCUMENTATION_YEARS = 100

# Months of observations (and of the operators' logs) kept by default, by risk tier: the legal
# floor for low risk; longer where a model's decisions are more likely to be questioned later
# (five years for regulated models, the span of most financial record-keeping rules).
RETENTION_MONTHS_BY_TIER: Mapping[str, int] = {
    "low": 6,
    "medium": 12,
    "high": 24,
    "regulated": 60,
}
RETENTION_FIELDS = (
    "observation_retention_months",
    "log_retention_months",
    "documentation_retention_years",
)


def default_retention_for(risk_tier: str) -> dict[str, int]:
    """The retention a tier's default policy states."""
    months = RETENTION_MONTHS_BY_TIER[risk_tier]
    return {
        "observation_retention_months": months,
        "log_retention_months": months,
        "documentation_retention_years": MIN_DOCUMENTATION_YEARS,
    }


def with_retention(policy: dict[str, Any], *, risk_tier: str) -> dict[str, Any]:
    """A policy stored before it stated retention, with its tier's (reading old events)."""
    for key, value in default_retention_for(risk_tier).items():
        policy.setdefault(key, value)
    return policy


def checked_retention(data: Mapping[str, object], *, risk_tier: str) -> dict[str, int]:
    """A policy's retention fields, each omitted (or None) one the tier's default; below the legal
    floor is refused (InvalidValueError, a 422), with the text that sets the floor."""
    checked = default_retention_for(risk_tier)
    for key in ("observation_retention_months", "log_retention_months"):
        value = data.get(key)
        value = checked[key] if value is None else value
        if isinstance(value, bool) or not isinstance(value, int) or value > MAX_RETENTION_MONTHS:
            raise InvalidValueError(
                f"policy.{key}", f"must be a whole number of months, {MIN_LOG_MONTHS}-1200"
            )
        if value < MIN_LOG_MONTHS:
            raise InvalidValueError(
                f"policy.{key}",
                f"{value} month(s) is less than the {MIN_LOG_MONTHS} months the EU AI Act "
                "(Art. 19) requires for logs of a high-risk system; state 6 or more",
            )
        checked[key] = value
    years = data.get("documentation_retention_years")
    years = MIN_DOCUMENTATION_YEARS if years is None else years
    if isinstance(years, bool) or not isinstance(years, int) or years > MAX_DOCUMENTATION_YEARS:
        raise InvalidValueError(
            "policy.documentation_retention_years",
            f"must be a whole number of years, {MIN_DOCUMENTATION_YEARS}-{MAX_DOCUMENTATION_YEARS}",
        )
    if years < MIN_DOCUMENTATION_YEARS:
        raise InvalidValueError(
            "policy.documentation_retention_years",
            f"{years} year(s) is less than the {MIN_DOCUMENTATION_YEARS} years the EU AI Act "
            "(Art. 18) requires for technical documentation; state 10 or more",
        )
    checked["documentation_retention_years"] = years
    return checked


def month_start(month: str) -> datetime:
    """The first instant of a month given as `YYYY-MM` (UTC)."""
    return datetime(int(month[:4]), int(month[5:7]), 1, tzinfo=UTC)


def add_months(moment: datetime, months: int) -> datetime:
    """The first instant of the month `months` after `moment`'s month (moment must be a month's
    start: what the rule needs, and exact where days of month differ)."""
    index = moment.year * 12 + moment.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def kept_until(month: str, *, retention_months: int) -> datetime:
    """When all of `month` is past retention: the end of the month plus the retention (never less
    than six months)."""
    return add_months(month_start(month), 1 + max(retention_months, MIN_LOG_MONTHS))


def months_past_retention(
    months: Iterable[str], *, retention_months: int, held: bool, now: datetime
) -> list[str]:
    """The months (`YYYY-MM`) of a model's observations that may be dropped at `now`, in order:
    none under a legal hold; otherwise each month all of which is older than the retention."""
    if held:
        return []
    return sorted(m for m in set(months) if kept_until(m, retention_months=retention_months) <= now)
