"""Times and durations given on the command line: ISO 8601 (UTC when no zone is given), 90m/12h/30d."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import typer

_DURATION = re.compile(r"^\s*(\d{1,6})\s*([mhd])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
MAX_DURATION = timedelta(days=3650)


def parse_time(option: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not an ISO 8601 time such as 2026-11-01T09:30:00Z", param_hint=option
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_duration(option: str, value: str) -> timedelta:
    """A positive duration in minutes, hours or days (90m, 12h, 30d), at most ten years."""
    match = _DURATION.match(value)
    duration = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))}) if match else None
    if duration is None or not timedelta(0) < duration <= MAX_DURATION:
        raise typer.BadParameter(
            f"{value!r} is not a duration such as 90m, 12h or 30d (minutes, hours or days; "
            f"more than zero, at most {MAX_DURATION.days}d)",
            param_hint=option,
        )
    return duration
