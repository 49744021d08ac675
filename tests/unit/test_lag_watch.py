"""A follower's lag is logged when it crosses the threshold, each way, never once per loop."""

from __future__ import annotations

import logging

import pytest

from infrastructure.lag_watch import LagWatch


class Clock:
    """Seconds that pass only when the test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_crossing_is_logged_once_each_way_and_looks_are_spaced(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    watch = LagWatch("projections", 100, logging.getLogger("modelgov.test"), clock=clock)
    measured: list[int] = []

    def measure(value: int) -> int:
        measured.append(value)
        return value

    def lag_of(value: int) -> None:
        clock.now += 1.0
        watch.look(lambda: measure(value))

    caplog.set_level(logging.INFO, logger="modelgov.test")
    for value in (5, 150, 400, 120, 99, 30, 101):
        lag_of(value)
    watch.look(lambda: measure(-1))  # no time has passed: not measured again
    lines = [(r.levelname, r.getMessage(), getattr(r, "lag", None)) for r in caplog.records]
    assert lines == [
        ("WARNING", "lag over threshold: projections is 150 behind "
                    "(MODELGOV_LAG_WARNING_EVENTS is 100)", 150),
        ("INFO", "lag back under threshold: projections is 99 behind", 99),
        ("WARNING", "lag over threshold: projections is 101 behind "
                    "(MODELGOV_LAG_WARNING_EVENTS is 100)", 101),
    ]  # fmt: skip
    assert measured == [5, 150, 400, 120, 99, 30, 101]
