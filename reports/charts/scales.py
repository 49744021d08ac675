"""Scales: values and instants to positions in the plot area, and the ticks that label them.

Pure arithmetic. Whatever the values (equal, huge, one of them), a scale answers a finite position
inside its range: a chart never draws outside its plot area.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.instants import utc_text


@dataclass(frozen=True)
class Linear:
    """Maps [low, high] onto [start, end] (pixels; end may be below start, as a y axis runs)."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        # Halved, so that the span of two finite floats never overflows.
        span = self.high / 2 - self.low / 2
        share = (value / 2 - self.low / 2) / span if span > 0 else 0.5
        if not math.isfinite(share):
            share = 0.0 if share != share else (1.0 if share > 0 else 0.0)
        share = min(1.0, max(0.0, share))
        return self.start + share * (self.end - self.start)


@dataclass(frozen=True)
class Time:
    """Maps instants onto [start, end]."""

    first: datetime
    last: datetime
    start: float
    end: float

    def __call__(self, moment: datetime) -> float:
        linear = Linear(self.first.timestamp(), self.last.timestamp(), self.start, self.end)
        return linear(moment.timestamp())

    def ticks(self, count: int = 4) -> list[tuple[datetime, str]]:
        """`count` evenly spaced instants (one when first and last are the same), labelled in
        UTC to the minute."""
        if self.last <= self.first:
            return [(self.first, minute_text(self.first))]
        step = (self.last - self.first) / (count - 1)
        moments = [self.first + step * index for index in range(count)]
        return [(moment, minute_text(moment)) for moment in moments]


def minute_text(moment: datetime) -> str:
    """`2026-01-05 09:00Z`: a tick label (UTC, to the minute)."""
    return utc_text(moment.astimezone(UTC).replace(second=0, microsecond=0))[:16].replace("T", " ") + "Z"


def padded_domain(values: Iterable[float], *, floor: float | None = None) -> tuple[float, float]:
    """A range holding every finite value with a margin, widened around a single value, rounded
    out to whole ticks where that stays finite; (0, 1) when there is nothing to hold. `floor` is
    a value the range must start at or below (0 for bars)."""
    held = [value for value in values if math.isfinite(value)]
    if floor is not None:
        held.append(floor)
    if not held:
        return 0.0, 1.0
    low, high = min(held), max(held)
    if high - low <= abs(high) * 1e-12 or high == low:
        margin = abs(high) * 0.1 or 1.0
        low, high = low - margin, high + margin
    else:
        margin = (high / 2 - low / 2) * 0.16  # 8% of the span each side
        low = low if floor is not None and low == floor else low - margin
        high = high + margin
    low, high = max(low, -1.7e308), min(high, 1.7e308)
    step = tick_step(low, high)
    nice_low, nice_high = math.floor(low / step) * step, math.ceil(high / step) * step
    if floor is not None and low >= floor:
        nice_low = max(nice_low, floor)
    if math.isfinite(nice_low) and math.isfinite(nice_high) and nice_high > nice_low:
        return nice_low, nice_high
    return low, high


def tick_step(low: float, high: float, count: int = 5) -> float:
    """A step of 1, 2 or 5 times a power of ten giving about `count` ticks over [low, high]."""
    span = high / 2 - low / 2
    if not span > 0 or not math.isfinite(span):
        return 1.0
    raw = span * 2 / count
    power = 10.0 ** math.floor(math.log10(raw))
    for multiple in (1.0, 2.0, 5.0, 10.0):
        if raw <= multiple * power:
            return multiple * power
    return 10 * power


def value_ticks(low: float, high: float, count: int = 5) -> list[tuple[float, str]]:
    """The multiples of a nice step within [low, high], each with its label."""
    step = tick_step(low, high, count)
    decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    first = math.ceil(low / step)
    ticks = []
    for index in range(first, first + count * 3):
        value = index * step
        if value > high + step * 1e-9 or not math.isfinite(value):
            break
        ticks.append((value, value_text(value, decimals=decimals)))
    return ticks


def value_text(value: float, *, decimals: int | None = None) -> str:
    """A value as a reader writes it: 0.75, 250, 12000, 1.5e+09."""
    if decimals is not None and abs(value) < 1e9:
        return f"{value:.{decimals}f}" if value else "0"
    return f"{value:.6g}"
