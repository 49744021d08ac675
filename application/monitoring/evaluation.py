"""Judging observations against the targets in force: windows, crossings, recoveries, anti-flapping.

Pure: the evaluator keeps, per (version, environment, dimension, metric), the recent values and
the crossing under way, and turns observations into judgements (open a breach, close one). Only
those transitions become events; a value that stays on the same side changes nothing.

- A batch is judged exactly as its values one by one: in stored order, each against the
  model as the judgements before it left it (the caller records each on the model before the
  next is judged). How values are split into batches, and restarts between them, change nothing.
- Each observation is judged against the target in force at its own observed time, over the
  target's window ending there (application/monitoring/windows.py).
- A crossing opens a breach once it has lasted the target's `min_duration_seconds`; the breach
  takes effect when the crossing began. An open breach closes only when the value is back inside
  by the target's `hysteresis`.
- A late observation (observed before the key's last judged observation) is judged on its own
  at its own time: if it fails and no breach is open, a breach opens at its time and, if the
  latest judged value meets the target, closes at that latest time.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from application.monitoring.observations import Observation
from application.monitoring.windows import Window
from domain.entities import Breach, Target
from domain.instants import utc_text
from domain.model import Model
from domain.values import satisfies

Key = tuple[int, str, str, str]  # version, environment, dimension, metric
# Loads a key's stored observations (for its window after a restart): model, key -> the latest,
# oldest first, and whether that is all of them.
HistoryLoader = Callable[[str, Key], tuple[Sequence[Observation], bool]]


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


@dataclass(frozen=True)
class Crossing:
    """A key's values failing their target since `since` (the first failing one, and where)."""

    since: datetime
    value: float
    position: int


@dataclass
class KeyState:
    window: Window = field(default_factory=Window)
    last_at: datetime | None = None
    crossing: Crossing | None = None


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
        # The judged model's open breaches by key, as of a model revision (read once per change,
        # not once per value): for the batch being judged only.
        self._open: tuple[int, dict[Key, Breach]] | None = None

    def _state(self, model: Model, key: Key, history: HistoryLoader) -> KeyState:
        """A key's state; the first time (after a start or `forget`), restored by judging its
        stored observations again, in stored order, and dropping the judgements: the window and
        the crossing under way end as judging them when they came left them."""
        state = self.states.get((model.name, key))
        if state is None:
            state = self.states[(model.name, key)] = KeyState()
            stored, complete = history(model.name, key)
            if stored and not complete:
                state.window.horizon = stored[0].observed_at
            for observation in sorted(stored, key=lambda o: o.position):
                self._judge_one(model, key, state, observation, restoring=True)
        return state

    def keys_of(self, model: Model, observation: Observation) -> list[Key]:
        """The keys an observation is judged on: one per target on its metric, any dimension."""
        return [
            (observation.version, observation.environment, target.dimension, target.metric)
            for target in model.targets.values()
            if target.metric == observation.metric
        ]

    def forget(self, model: str | None = None) -> None:
        """Drop the keys' state (of one model, or all); the next batch restores it from the
        stored observations."""
        for name, key in list(self.states):
            if model is None or name == model:
                del self.states[(name, key)]

    def judge(
        self, model: Model, observations: Sequence[Observation], history: HistoryLoader
    ) -> Iterator[Judgement]:
        """Judge a batch (per-group figures are for fairness, not here) in stored order.

        Record each judgement on `model` before asking for the next: a value is judged against
        the breaches the values before it opened and closed, as if it had come alone. An opening
        at a moment an already recorded breach of the key covers is not repeated: a batch judged
        again (after a crash or a conflict) records nothing twice.
        """
        ordered = sorted((o for o in observations if o.group is None), key=lambda o: o.position)
        self._open = None
        # The keys of each (version, environment, metric), found once per batch; each key's
        # state is restored (`_state`) when first judged, as before.
        keys: dict[tuple[int, str, str], list[tuple[Key, tuple[str, Key]]]] = {}
        states = self.states
        for observation in ordered:
            found = keys.get((observation.version, observation.environment, observation.metric))
            if found is None:
                found = keys[observation.version, observation.environment, observation.metric] = [
                    (key, (model.name, key)) for key in self.keys_of(model, observation)
                ]
            for key, named in found:
                state = states.get(named) or self._state(model, key, history)
                yield from self._judge_one(model, key, state, observation)

    def _judge_one(
        self,
        model: Model,
        key: Key,
        state: KeyState,
        observation: Observation,
        *,
        restoring: bool = False,
    ) -> Sequence[Judgement]:
        at = observation.observed_at
        window = state.window
        late = state.last_at is not None and at < state.last_at
        index = window.add(at, observation.value, float(observation.sample_count or 1))
        if not late:
            state.last_at = at
        target = model.target_in_force(key[2], key[3], at=at)
        if target is None:
            return ()
        value = window.value_at(index, target.window)
        if value is None:
            return ()
        fails = not satisfies(value, target.comparator, target.threshold)
        if late:
            return self._judge_late(model, key, state, index, target, value, fails,
                                    observation.position)  # fmt: skip
        window.trim(target.window)
        # Restoring, a value is judged against the breaches as they were at its time (one closed
        # by hand since then was open), as when it came; live, against those open now.
        if (
            recorded_breach_covers(model, key, at)
            if restoring
            else self._open_breach(model, key) is not None
        ):
            if recovered(value, target):
                state.crossing = None
                note = f"{value:g} meets {describe(target)}"
                return [judgement("close", key, value, at, target, note, observation.position)]
            return ()
        if not fails:
            state.crossing = None
            return ()
        if state.crossing is None:
            state.crossing = Crossing(since=at, value=value, position=observation.position)
        crossing = state.crossing
        lasted = (at - crossing.since).total_seconds()
        if lasted < target.min_duration_seconds:
            return ()
        began = model.target_in_force(key[2], key[3], at=crossing.since) or target
        note = f"{crossing.value:g} fails {describe(began)}"
        if target.min_duration_seconds:
            note += f"; still failing {lasted:g} s later ({value:g} at {utc_text(at)})"
        opened = judgement("open", key, crossing.value, crossing.since, began, note,
                           crossing.position)  # fmt: skip
        state.crossing = None
        return () if recorded_breach_covers(model, key, opened.at) else [opened]

    def _open_breach(self, model: Model, key: Key) -> Breach | None:
        if self._open is None or self._open[0] != model.version:  # read again once it changed
            self._open = (model.version, {key_of(b): b for b in model.open_breaches()})
        return self._open[1].get(key)

    def _judge_late(
        self, model: Model, key: Key, state: KeyState, index: int, target: Target,
        value: float, fails: bool, position: int,
    ) -> Sequence[Judgement]:  # fmt: skip
        """A value observed before the key's latest: judged alone, at its own time.

        It opens a breach only when it fails, no breach is open or was open then, its whole
        window is still kept, and the target asks no minimum duration (one late value cannot
        show a crossing that lasted); the breach closes at the latest value if that one meets
        the target in force at its own time.
        """
        at = state.window.times[index]
        if (
            not fails
            or self._open_breach(model, key) is not None
            or target.min_duration_seconds
            or not state.window.covers(index, target.window)
            or recorded_breach_covers(model, key, at)
        ):
            return ()
        opened = judgement(
            "open", key, value, at, target,
            f"late observation: {value:g} at {utc_text(at)} fails {describe(target)}, "
            "the target in force then", position,
        )  # fmt: skip
        assert state.last_at is not None
        latest_index = bisect.bisect_right(state.window.times, state.last_at) - 1
        latest = model.target_in_force(key[2], key[3], at=state.last_at)
        latest_value = state.window.value_at(latest_index, latest.window) if latest else None
        if latest is not None and latest_value is not None and recovered(latest_value, latest):
            closed = judgement(
                "close", key, latest_value, state.last_at, latest,
                f"the latest value, {latest_value:g}, meets {describe(latest)}", position,
            )  # fmt: skip
            return [opened, closed]
        return [opened]


def judgement(
    kind: str, key: Key, value: float, at: datetime, target: Target, note: str, position: int
) -> Judgement:
    """A judgement decided by the observation at `position`."""
    return Judgement(kind, *key, value=value, at=at, target=target, note=note,
                     correlation=f"observation:{position}")  # fmt: skip


def key_of(breach: Breach) -> Key:
    return (breach.version, breach.environment, breach.dimension, breach.metric)


def open_breach_on(model: Model, key: Key) -> Breach | None:
    for breach in model.open_breaches():
        if key_of(breach) == key:
            return breach
    return None


def recorded_breach_covers(model: Model, key: Key, at: datetime) -> bool:
    """Whether a breach of the key recorded already was open at `at` (or opened right then).

    Asked of recent moments (within the key's stored window), so the open breaches and the latest
    closed ones the model keeps (domain/state.py: RECENTLY_CLOSED_KEPT) are those that can answer.
    """
    return any(
        key_of(b) == key and b.opened_at <= at and (b.closed_at is None or at < b.closed_at)
        for b in model.recent_breaches()
    )
