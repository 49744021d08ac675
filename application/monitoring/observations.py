"""An observation from production, and the checks a batch of them passes before it is stored."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from itertools import repeat
from operator import attrgetter
from typing import Any

from application.handling import CLOCK_SKEW
from domain.errors import InvalidValueError
from domain.instants import require_instant, utc_text
from domain.model import Model
from domain.values import require_environment, require_number, require_text

MAX_BATCH = 10_000


@dataclass(slots=True)
class Observation:
    """One figure observed in production: `metric = value` for a version in an environment.

    `group` ("attribute=value", e.g. "sex=female") marks a per-group figure for fairness;
    `sample_count` weighs the value in moving averages. `position` is its place in the
    observations table (0 until stored; the store sets it, nothing else changes one).
    """

    model: str
    version: int
    environment: str
    metric: str
    value: float
    observed_at: datetime
    group: str | None = None
    sample_count: int | None = None
    position: int = 0

    @property
    def attribute(self) -> str | None:
        return self.group.split("=", 1)[0] if self.group else None


def checked_observations(
    model: Model, items: Sequence[Mapping[str, Any]], *, now: datetime | None = None
) -> list[Observation]:
    """A batch for one model, every entry checked; the first bad entry refuses the whole batch
    (and of its fields, the first in the order below).

    Checked a field at a time over the batch, each distinct value once (a batch is mostly one
    version, environment and a few metrics). Returned in observed-time order: stored so, the
    values posted together are judged in time order (the evaluator judges in stored order, each
    value as if it had come alone).
    """
    if not items:
        raise InvalidValueError("observations", "must hold at least one observation")
    if len(items) > MAX_BATCH:
        raise InvalidValueError("observations", f"must hold at most {MAX_BATCH} observations")
    latest = (now or datetime.now(UTC)) + CLOCK_SKEW
    versions = {version.number for version in model.versions}
    environments = set(model.policy.environments)

    def version(field: str, value: object) -> int:
        if value not in versions:
            raise InvalidValueError(field, f"model {model.name!r} has no version {value!r}")
        return int(value)

    def environment(field: str, value: object) -> str:
        if require_environment(field, value) not in environments:
            raise InvalidValueError(
                field,
                f"{value!r} is not one of the policy's environments "
                f"({', '.join(model.policy.environments)})",
            )
        return str(value)

    def observed_at(field: str, value: object) -> datetime:
        moment = require_instant(field, value)
        if moment < model.registered_at:
            raise InvalidValueError(
                field,
                f"{utc_text(moment)} is before the model was registered "
                f"({utc_text(model.registered_at)})",
            )
        if moment > latest:
            raise InvalidValueError(field, f"{utc_text(moment)} is in the future")
        return moment

    def in_range(times: list[Any]) -> bool:
        """Instants as held, the earliest and the latest passing `observed_at` (so all do)."""
        if set(map(type, times)) != {datetime} or any(t.tzinfo is not UTC for t in times):
            return False
        try:
            observed_at("observed_at", min(times))
            observed_at("observed_at", max(times))
        except InvalidValueError:
            return False
        return True

    columns = [
        _column(items, "version", version),
        _column(items, "environment", environment),
        _column(items, "observed_at", observed_at, each=True, whole=in_range),
        _column(items, "group", _group),
        _column(items, "sample_count", _sample_count),
        _column(items, "metric", partial(require_text, max_length=100)),
        _column(items, "value", require_number, each=True, whole=_finite_floats),
    ]
    refusals = [column for column in columns if isinstance(column, tuple)]
    if refusals:
        raise min(refusals, key=lambda refusal: refusal[0])[1]
    (versions_, environments_, times, groups, samples, metrics, values) = columns
    checked = list(map(
        Observation, repeat(model.name), versions_, environments_, metrics, values, times,
        groups, samples,
    ))  # fmt: skip
    checked.sort(key=attrgetter("observed_at"))
    return checked


def _group(field: str, group: object) -> str | None:
    if group is not None:
        attribute, _, value = str(group).partition("=")
        if not attribute or not value or len(group) > 200:  # type: ignore[arg-type]
            raise InvalidValueError(
                field, f"must read attribute=value (e.g. sex=female); got {group!r}"
            )
    return group  # type: ignore[return-value]


def _sample_count(field: str, samples: object) -> int | None:
    if samples is not None and (
        isinstance(samples, bool) or not isinstance(samples, int) or samples < 1
    ):
        raise InvalidValueError(field, "must be a whole number of 1 or more")
    return samples


def _finite_floats(values: list[Any]) -> bool:
    """Every value a float, none of them NaN or infinite."""
    return set(map(type, values)) == {float} and all(map(math.isfinite, values))


def _column(
    items: Sequence[Mapping[str, Any]],
    name: str,
    check: Callable[[str, Any], Any],
    *,
    each: bool = False,
    whole: Callable[[list[Any]], bool] | None = None,
) -> list[Any] | tuple[tuple[int, int], InvalidValueError | TypeError]:
    """One field of every entry as `check(field, value)` returns it, each distinct value checked
    once (`each`: every value, as when they are seldom alike; `whole`: unless it passes the column
    as it is, when each value would be returned unchanged); or the first entry it refuses:
    ((entry, the field's place in an entry), why): a TypeError (a value no check can read, such
    as a list where a version goes) is refused in its place too, as the entry-by-entry check
    raised it, so the first bad entry wins whatever its error."""
    values = [item.get(name) for item in items]
    if whole is not None and whole(values):
        return values
    try:
        if each:
            return list(map(check, repeat(name), values))
        # By type too: 1 and True are one set member, and only one of them a sample count.
        keys = list(zip(map(type, values), values, strict=True))
        known = {key: check(name, key[1]) for key in set(keys)}
        return [known[key] for key in keys]
    except (InvalidValueError, TypeError):  # a refusal, or unhashable values: one by one
        checked = []
        for index, value in enumerate(values):
            try:
                checked.append(check(f"observations[{index}].{name}", value))
            except (InvalidValueError, TypeError) as error:  # a TypeError too, in its place
                return (index, _ORDER.index(name)), error
        return checked


_ORDER = ("version", "environment", "observed_at", "group", "sample_count", "metric", "value")
