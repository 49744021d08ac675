"""The recent values of one monitored key, and the windowed value a target judges.

Windows: `last`, `moving_average:N` (the last N values, none until N have arrived) and
`moving_average_minutes:M` (the values of the last M minutes), weighted by `sample_count`.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

RETAIN = 100_000  # values kept per key at most, whatever the window says


@cache
def parsed(window: str) -> tuple[str, int, timedelta]:
    """A window as (kind, size, its span in time): read once per window text, not per value."""
    kind, _, size = window.partition(":")
    count = int(size) if size else 0
    return kind, count, timedelta(minutes=count if kind == "moving_average_minutes" else 0)


@dataclass
class Window:
    """The recent values of one key, ordered by observed time (with each value times its
    weight, so a moving average sums what it was summing, not multiplies again)."""

    times: list[datetime] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    weighted: list[float] = field(default_factory=list)
    # Whether any value ever added weighed other than 1 (if none did, a sum of the weights is
    # exactly their count).
    weighed: bool = False
    # Values observed before `horizon` may have been dropped (None: nothing was).
    horizon: datetime | None = None

    def add(self, at: datetime, value: float, weight: float) -> int:
        """Insert in time order (a late value lands in its place); returns its index."""
        times = self.times
        if weight != 1.0:
            self.weighed = True
        if not times or at >= times[-1]:  # the usual case: the newest
            times.append(at)
            self.values.append(value)
            self.weights.append(weight)
            self.weighted.append(value * weight)
            return len(times) - 1
        index = bisect.bisect_right(times, at)
        times.insert(index, at)
        self.values.insert(index, value)
        self.weights.insert(index, weight)
        self.weighted.insert(index, value * weight)
        return index

    def value_at(self, index: int, window: str) -> float | None:
        """The windowed value ending at `index`; None while a count window is not yet full."""
        kind, size, span = parsed(window)
        if kind == "last":
            return self.values[index]
        if kind == "moving_average":
            if index + 1 < size:
                return None
            start = index + 1 - size
        else:
            start = bisect.bisect_right(self.times, self.times[index] - span, 0, index + 1)
        total = sum(self.weights[start : index + 1]) if self.weighed else index + 1 - start
        return sum(self.weighted[start : index + 1]) / total

    def covers(self, index: int, window: str) -> bool:
        """Whether every value of the window ending at `index` is still kept."""
        kind, _, span = parsed(window)
        if self.horizon is None or kind != "moving_average_minutes":
            return True  # `last` needs one value; a count window is None when values are missing
        return self.times[index] - span >= self.horizon

    def trim(self, window: str) -> None:
        """Drop what the window no longer needs, keeping twice its size for late values."""
        kind, size, span = parsed(window)
        times = self.times
        if kind == "moving_average_minutes":
            keep = bisect.bisect_right(times, times[-1] - 2 * span)
        else:
            keep = len(times) - (2 * size if kind == "moving_average" else 2)
        count = len(times)
        keep = min(keep, count - 1)  # the newest stays
        if keep < count - RETAIN:
            keep = count - RETAIN
        if keep > 0:
            self.horizon = times[keep]
            del times[:keep], self.values[:keep], self.weights[:keep], self.weighted[:keep]
