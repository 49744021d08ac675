"""The recent values of one monitored key, and the windowed value a target judges.

Windows: `last`, `moving_average:N` (the last N values, none until N have arrived) and
`moving_average_minutes:M` (the values of the last M minutes), weighted by `sample_count`.
"""

from __future__ import annotations

import bisect
import operator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

RETAIN = 100_000  # values kept per key at most, whatever the window says


@dataclass
class Window:
    """The recent values of one key, ordered by observed time."""

    times: list[datetime] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    # Values observed before `horizon` may have been dropped (None: nothing was).
    horizon: datetime | None = None

    def add(self, at: datetime, value: float, weight: float) -> int:
        """Insert in time order (a late value lands in its place); returns its index."""
        index = bisect.bisect_right(self.times, at)
        self.times.insert(index, at)
        self.values.insert(index, value)
        self.weights.insert(index, weight)
        return index

    def value_at(self, index: int, window: str) -> float | None:
        """The windowed value ending at `index`; None while a count window is not yet full."""
        if window == "last":
            return self.values[index]
        kind, _, size = window.partition(":")
        if kind == "moving_average":
            count = int(size)
            if index + 1 < count:
                return None
            start = index + 1 - count
        else:
            since = self.times[index] - timedelta(minutes=int(size))
            start = bisect.bisect_right(self.times, since, 0, index + 1)
        values, weights = self.values[start : index + 1], self.weights[start : index + 1]
        return sum(map(operator.mul, values, weights)) / sum(weights)

    def covers(self, index: int, window: str) -> bool:
        """Whether every value of the window ending at `index` is still kept."""
        kind, _, size = window.partition(":")
        if self.horizon is None or kind != "moving_average_minutes":
            return True  # `last` needs one value; a count window is None when values are missing
        return self.times[index] - timedelta(minutes=int(size)) >= self.horizon

    def trim(self, window: str) -> None:
        """Drop what the window no longer needs, keeping twice its size for late values."""
        kind, _, size = window.partition(":")
        if kind == "moving_average_minutes":
            since = self.times[-1] - timedelta(minutes=2 * int(size))
            keep = bisect.bisect_right(self.times, since)
        else:
            keep = len(self.times) - (2 * int(size) if kind == "moving_average" else 2)
        keep = max(0, min(keep, len(self.times) - 1), len(self.times) - RETAIN)
        if keep:
            self.horizon = self.times[keep]
            del self.times[:keep], self.values[:keep], self.weights[:keep]
