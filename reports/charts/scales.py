"""Scales: values and instants to positions in the plot area, and the ticks that label them.

Pure arithmetic. Whatever the values (equal, huge, one of them), a scale answers a finite position
inside its range: a chart never draws outside its plot area.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.instants import utc_text

LARGEST = sys.float_info.max


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
    return (
        utc_text(moment.astimezone(UTC).replace(second=0, microsecond=0))[:16].replace("T", " ")
        + "Z"
    )


def padded_domain(values: Iterable[float], *, floor: float | None = None) -> tuple[float, float]:
    """A range holding every finite value with a margin, widened around a single value, rounded
    out to whole ticks where that stays exact; (0, 1) when there is nothing to hold. `floor` is
    a value the range must start at or below (0 for bars), without a margin under it."""
    held = [value for value in values if math.isfinite(value)]
    if floor is not None:
        held.append(floor)
    if not held:
        return 0.0, 1.0
    smallest, largest = min(held), max(held)
    margin = (largest / 2 - smallest / 2) * 0.16 or abs(largest) * 0.1 or 1.0  # 8% a side
    low = smallest if floor is not None and smallest == floor else max(smallest - margin, -LARGEST)
    high = min(largest + margin, LARGEST)
    if not low < high:  # a margin lost to rounding, at the very ends of the floats
        low, high = (low - 1.0, high) if high > 0 else (low, high + 1.0)
    step = tick_step(low, high)
    nice_low, nice_high = math.floor(low / step) * step, math.ceil(high / step) * step
    if floor is not None and smallest == floor:
        nice_low = floor
    if (math.isfinite(nice_low) and math.isfinite(nice_high) and nice_low <= smallest
            and largest <= nice_high and nice_low < nice_high):  # fmt: skip
        return nice_low, nice_high
    return low, high


def tick_step(low: float, high: float, count: int = 5) -> float:
    """A step of 1, 2 or 5 times a power of ten giving about `count` ticks over [low, high]."""
    span = high / 2 - low / 2  # halved: the span of two finite floats may not be one
    if not span > 0 or not math.isfinite(span):
        return 1.0
    exponent = math.floor(math.log10(span) + math.log10(2 / count))
    if not -300 <= exponent <= 300:
        return max(span * 2 / count, 5e-324) if exponent < 0 else span
    power = 10.0**exponent
    share = span / power * 2 / count
    for multiple in (1.0, 2.0, 5.0, 10.0):
        if share <= multiple:
            return multiple * power
    return 10 * power


def value_ticks(low: float, high: float, count: int = 5) -> list[tuple[float, str]]:
    """The multiples of a nice step within [low, high], each with its label."""
    step = tick_step(low, high, count)
    decimals: int | None = max(0, -math.floor(math.log10(step)))
    if decimals is not None and decimals > 10:
        decimals = None
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
