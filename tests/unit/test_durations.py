"""Durations on the command line (`tokens create --expires-in`): minutes, hours or days."""

from __future__ import annotations

from datetime import timedelta

import pytest
import typer

from infrastructure.cli.time_args import parse_duration


@pytest.mark.parametrize(
    ("text", "duration"),
    [("90m", timedelta(minutes=90)), ("12h", timedelta(hours=12)), ("30d", timedelta(days=30)),
     (" 1d ", timedelta(days=1)), ("3650d", timedelta(days=3650))],
)  # fmt: skip
def test_minutes_hours_and_days_are_understood(text: str, duration: timedelta) -> None:
    assert parse_duration("--expires-in", text) == duration


@pytest.mark.parametrize("text", ["", "30", "d", "1.5h", "1y", "1w", "0m", "-1d", "3651d", "1d2h"])
def test_anything_else_is_refused_with_the_forms_that_work(text: str) -> None:
    with pytest.raises(typer.BadParameter, match="such as 90m, 12h or 30d"):
        parse_duration("--expires-in", text)
