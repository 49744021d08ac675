"""Judging observations against the targets in force: windows, crossings, recoveries, anti-flapping.

Pure: the evaluator keeps, per (version, environment, dimension, metric), the recent values and
whether a crossing is pending, and turns observations into judgements (open a breach, close
one). Only those transitions become events; a value that stays on the same side changes nothing.

- Each observation is judged against the target in force at its own observed time, over the
  target's window ending there: `last`, `moving_average:N` (the last N values, judged once N
  have arrived) or `moving_average_minutes:M` (the values of the last M minutes), weighted by
  `sample_count` where given.
- A crossing opens a breach once it has lasted the target's `min_duration_seconds`; the breach
  takes effect when the crossing began. An open breach closes only when the value is back inside
  by the target's `hysteresis`.
- A late observation (observed before the key's last judged observation) is judged on its own
  at its own time: if it fails and no breach is open, a breach opens at its time and, if the
  latest judged value meets the target, closes at that latest time.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from application.monitoring.observations import Observation
from domain.entities import Target
from domain.model import Model
from domain.values import satisfies

Key = tuple[int, str, str, str]  # version, environment, dimension, metric
# Loads a key's stored observations (for its window after a restart): model, key -> the latest,
# oldest first, and whether that is all of them.
HistoryLoader = Callable[[str, Key], tuple[Sequence[Observation], bool]]
RETAIN = 100_000  # values kept per key at most, whatever the window says


@dataclass(frozen=True)
class Judgement:
    """A transition to record: `open` or `close` a breach on a key, with the value that decided."""

    kind: str
    version: int
    environment: str
    dimension: str
    metric: str
    value: float
    at: datetime
    target: Target
    note: str
    correlation: str  # what decided it: "observation:<position>" or "cost:<period>"

    @property
    def key(self) -> Key:
        return (self.version, self.environment, self.dimension, self.metric)


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


@dataclass
class KeyState:
    window: Window = field(default_factory=Window)
    last_at: datetime | None = None
    failing_since: datetime | None = None
    failing_value: float | None = None
    failing_position: int = 0


def recovered(value: float, target: Target) -> bool:
    """Whether a value meets the target with the hysteresis margin to spare."""
    margin = target.hysteresis if target.comparator in (">", ">=") else -target.hysteresis
    return satisfies(value - margin, target.comparator, target.threshold)


def describe(target: Target) -> str:
    return f"{target.metric} {target.comparator} {target.threshold:g} over {target.window}"


class Evaluator:
    """Turns observations of one model into judgements; keeps each key's state between batches."""

    def __init__(self) -> None:
        self.states: dict[tuple[str, Key], KeyState] = {}

    def _state(self, model: str, key: Key, history: HistoryLoader) -> KeyState:
        """A key's state; the first time (after a start or `forget`), its window is restored from
        the stored observations, without judging them again."""
        state = self.states.get((model, key))
        if state is None:
            state = self.states[(model, key)] = KeyState()
            stored, complete = history(model, key)
            self._seed(state, stored, complete=complete)
        return state

    @staticmethod
    def _seed(state: KeyState, history: Sequence[Observation], *, complete: bool) -> None:
        if history and not complete:
            state.window.horizon = history[0].observed_at
        for observation in history:
            state.window.add(observation.observed_at, observation.value, _weight(observation))
            if state.last_at is None or observation.observed_at >= state.last_at:
                state.last_at = observation.observed_at

    def keys_of(self, model: Model, observation: Observation) -> list[Key]:
        """The keys an observation is judged on: one per target on its metric, any dimension."""
        return [
            (observation.version, observation.environment, target.dimension, target.metric)
            for target in model.targets.values()
            if target.metric == observation.metric
        ]

    def forget(self) -> None:
        """Drop every key's state; the next batch restores windows from the stored observations."""
        self.states.clear()

    def judge(
        self, model: Model, observations: Sequence[Observation], history: HistoryLoader
    ) -> list[Judgement]:
        """Judge a batch (per-group figures are for fairness, not here), in observed-time order.

        An opening at a moment an already recorded breach of the key covers is not repeated: a
        batch judged again (after a crash or a conflict) records nothing twice.
        """
        open_keys = {
            (b.version, b.environment, b.dimension, b.metric) for b in model.open_breaches()
        }
        judgements: list[Judgement] = []
        ordered = sorted(
            (o for o in observations if o.group is None),
            key=lambda o: (o.observed_at, o.position),
        )
        for observation in ordered:
            for key in self.keys_of(model, observation):
                state = self._state(model.name, key, history)
                judgements += self._judge_one(model, key, state, observation, open_keys)
        return judgements

    def _judge_one(
        self, model: Model, key: Key, state: KeyState, observation: Observation,
        open_keys: set[Key],
    ) -> list[Judgement]:  # fmt: skip
        at = observation.observed_at
        late = state.last_at is not None and at < state.last_at
        index = state.window.add(at, observation.value, _weight(observation))
        target = model.target_in_force(key[2], key[3], at=at)
        if target is None:
            return []
        value = state.window.value_at(index, target.window)
        if not late:
            state.last_at = at
        if value is None:
            return []
        correlation = f"observation:{observation.position}"

        def judgement(
            kind: str, value: float, at: datetime, target: Target, note: str
        ) -> Judgement:
            return Judgement(kind, *key, value=value, at=at, target=target, note=note,
                             correlation=correlation)  # fmt: skip

        fails = not satisfies(value, target.comparator, target.threshold)
        if late:
            return self._judge_late(model, key, state, index, target, value, fails, open_keys,
                                    judgement)  # fmt: skip
        state.window.trim(target.window)
        if key in open_keys:
            if recovered(value, target):
                open_keys.discard(key)
                state.failing_since = None
                return [
                    judgement("close", value, at, target, f"{value:g} meets {describe(target)}")
                ]
            return []
        if not fails:
            state.failing_since = None
            return []
        if state.failing_since is None:
            state.failing_since, state.failing_value = at, value
            state.failing_position = observation.position
        lasted = (at - state.failing_since).total_seconds()
        if lasted < target.min_duration_seconds:
            return []
        assert state.failing_value is not None
        began = model.target_in_force(key[2], key[3], at=state.failing_since) or target
        note = f"{state.failing_value:g} fails {describe(began)}"
        if target.min_duration_seconds:
            note += f"; still failing {lasted:g} s later ({value:g} at {at.isoformat()})"
        opened = Judgement("open", *key, value=state.failing_value, at=state.failing_since,
                           target=began, note=note,
                           correlation=f"observation:{state.failing_position}")  # fmt: skip
        state.failing_since = None
        open_keys.add(key)
        return [] if recorded_breach_covers(model, key, opened.at) else [opened]

    def _judge_late(
        self, model: Model, key: Key, state: KeyState, index: int, target: Target,
        value: float, fails: bool, open_keys: set[Key],
        judgement: Callable[[str, float, datetime, Target, str], Judgement],
    ) -> list[Judgement]:  # fmt: skip
        """A value observed before the key's latest: judged alone, at its own time.

        It opens a breach only when it fails, no breach is open or was open then, its whole
        window is still kept, and the target asks no minimum duration (one late value cannot
        show a crossing that lasted); the breach closes at the latest value if that one meets
        the target in force at its own time.
        """
        at = state.window.times[index]
        if (
            not fails
            or key in open_keys
            or target.min_duration_seconds
            or not state.window.covers(index, target.window)
            or recorded_breach_covers(model, key, at)
        ):
            return []
        opened = judgement(
            "open", value, at, target,
            f"late observation: {value:g} at {at.isoformat()} fails {describe(target)}, "
            "the target in force then",
        )  # fmt: skip
        assert state.last_at is not None
        latest_index = bisect.bisect_right(state.window.times, state.last_at) - 1
        latest = model.target_in_force(key[2], key[3], at=state.last_at)
        latest_value = state.window.value_at(latest_index, latest.window) if latest else None
        if latest is not None and latest_value is not None and recovered(latest_value, latest):
            closed = judgement(
                "close", latest_value, state.last_at, latest,
                f"the latest value, {latest_value:g}, meets {describe(latest)}",
            )  # fmt: skip
            return [opened, closed]
        open_keys.add(key)
        return [opened]


def recorded_breach_covers(model: Model, key: Key, at: datetime) -> bool:
    """Whether a breach of the key recorded already was open at `at` (or opened right then)."""
    return any(
        (b.version, b.environment, b.dimension, b.metric) == key
        and b.opened_at <= at
        and (b.closed_at is None or at < b.closed_at)
        for b in model.breaches.values()
    )


def _weight(observation: Observation) -> float:
    return float(observation.sample_count or 1)
