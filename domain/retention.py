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
from typing import Annotated, Any

from domain.errors import InvalidValueError
from domain.fields import Range

# EU AI Act Art. 19(1) and 26(6): automatically generated logs kept at least six months.
MIN_LOG_MONTHS = 6
# EU AI Act Art. 18(1): technical documentation kept ten years after the system is placed on the market.
MIN_DOCUMENTATION_YEARS = 10
MAX_RETENTION_MONTHS = 1200  # a century: past that a figure is a typo
MAX_DOCUMENTATION_YEARS = 100
# The months of observations, or of logs, a policy keeps (domain/policy.py); None: its tier's.
RetentionMonths = Annotated[int | None, Range(ge=MIN_LOG_MONTHS, le=MAX_RETENTION_MONTHS)]

# Months of observations (and of the operators' logs) kept by default, by risk tier: the legal
# floor for low risk; longer where a model's decisions are more likely to be questioned later
# (five years for regulated models, the span of most financial record-keeping rules).
RETENTION_MONTHS_BY_TIER: Mapping[str, int] = {
    "low": 6,
    "medium": 12,
    "high": 24,
    "regulated": 60,
}
# The law's floor under each retention a policy states: (the least, its unit, the article of the
# EU AI Act, what the article keeps). A policy's bounds are in its declaration (domain/policy.py).
_LOGS = (MIN_LOG_MONTHS, "month", "Art. 19", "logs of a high-risk system")
_DOCUMENTATION = (MIN_DOCUMENTATION_YEARS, "year", "Art. 18", "technical documentation")
LEGAL_FLOORS: Mapping[str, tuple[int, str, str, str]] = {
    "observation_retention_months": _LOGS,
    "log_retention_months": _LOGS,
    "documentation_retention_years": _DOCUMENTATION,
}


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


def require_legal_floor(key: str, value: object) -> None:
    """Refuses a policy's whole number of months or years (`key`, one of LEGAL_FLOORS) below the
    law's floor (InvalidValueError, a 422), with the text that sets the floor; whether it is a
    whole number in range is the policy's check."""
    least, unit, article, kept = LEGAL_FLOORS[key]
    if isinstance(value, int) and not isinstance(value, bool) and value < least:
        raise InvalidValueError(
            f"policy.{key}",
            f"{value} {unit}(s) is less than the {least} {unit}s the EU AI Act ({article}) "
            f"requires for {kept}; state {least} or more",
        )


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
