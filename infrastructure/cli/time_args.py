"""Times and durations given on the command line: ISO 8601 with a zone (in UTC), 90m/12h/30d."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import typer

from domain.errors import InvalidValueError
from domain.instants import require_instant

_DURATION = re.compile(r"^\s*(\d{1,6})\s*([mhd])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
MAX_DURATION = timedelta(days=3650)


def parse_time(option: str, value: str) -> datetime:
    """An instant with its offset (`Z`, `+05:00`, `-08:00`), in UTC; without one it is refused."""
    try:
        return require_instant(option, value)
    except InvalidValueError as error:
        reason = str(error).removeprefix(f"{error.field}: ")
        raise typer.BadParameter(reason, param_hint=option) from None


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
