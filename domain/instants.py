"""Instants as modelgov stores and shows them: UTC, written with `Z`; input with any offset is
turned into UTC at the edge, and input without one is refused (it would be a guess).

`utc_text` is the one place an instant becomes text (`sortable_utc_text`, its fixed-width form,
for columns); `require_instant` the one place text, or a parser's datetime, becomes an instant
(`aware_in_utc`, its last step, for a parser that has checked the offset).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from domain.errors import InvalidValueError

Precision = Literal["auto", "seconds", "milliseconds", "microseconds"]


def utc_text(moment: datetime, *, timespec: Precision = "auto") -> str:
    """`2026-11-01T04:30:00Z` (with `.ffffff` only when there are microseconds) from an aware
    datetime in any zone.

    Text that SQL sorts or compares is written by `sortable_utc_text` instead.
    """
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError(f"{moment!r} has no time zone: which instant it names is a guess")
    if offset:
        moment = moment.astimezone(UTC)
    # At offset zero, isoformat ends in "+00:00": written as Z (hot: every instant a document shows).
    return moment.isoformat(timespec=timespec)[:-6] + "Z"


def sortable_utc_text(moment: datetime) -> str:
    """`2026-11-01T04:30:00.000000Z`: at a fixed width, so text order is time order (at varying
    widths 04:30:00.5Z sorts before 04:30:00Z). For every column SQL sorts or compares."""
    if moment.tzinfo is not UTC:
        return utc_text(moment, timespec="microseconds")
    # Held in UTC (as instants are once in): utc_text's very text, formatted in one step (hot: a
    # stored row's time columns; half the time of isoformat and its slice, and of an f-string).
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (  # noqa: UP031
        moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second,
        moment.microsecond,
    )  # fmt: skip


def require_instant(field: str, value: object) -> datetime:
    """An aware datetime in UTC from ISO 8601 text or a datetime with any offset (`Z`, `+05:00`,
    `-08:00`); refused without an offset, or when it is not a time at all."""
    if type(value) is datetime and value.tzinfo is UTC:
        return value  # already an instant as held (hot: each observation of a batch)
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidValueError(
                field, f"{value!r} is not an ISO 8601 time such as 2026-11-01T09:30:00Z"
            ) from None
    if not isinstance(moment, datetime):
        raise InvalidValueError(field, f"{value!r} is not a time such as 2026-11-01T09:30:00Z")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValueError(
            field, "must carry a time zone (e.g. 2026-11-01T09:30:00Z or 2026-11-01T14:30:00+05:00)"
        )
    return aware_in_utc(field, moment)


def aware_in_utc(field: str, moment: datetime) -> datetime:
    """An aware datetime (its offset known: a parser checked) in UTC; refused when out of range
    once there. `require_instant`'s last step, on its own for a parser's aware datetimes."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidValueError(
            field, "is out of range once in UTC (before year 1 or after 9999)"
        ) from None


def duration_text(seconds: float) -> str:
    """A length of time as people read it, in days, hours and minutes: 3 d 4 h 5 min."""
    minutes = int(abs(seconds)) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [
        f"{days} d" if days else "",
        f"{hours} h" if hours else "",
        f"{mins} min" if mins else "",
    ]
    return " ".join(p for p in parts if p) or "under a minute"
