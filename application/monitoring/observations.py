"""An observation from production, and the checks a batch of them passes before it is stored."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from application.governance import CLOCK_SKEW
from domain.errors import InvalidValueError
from domain.instants import require_instant, utc_text
from domain.model import Model
from domain.values import require_environment, require_number, require_text

MAX_BATCH = 10_000


@dataclass(frozen=True)
class Observation:
    """One figure observed in production: `metric = value` for a version in an environment.

    `group` ("attribute=value", e.g. "sex=female") marks a per-group figure for fairness;
    `sample_count` weighs the value in moving averages. `position` is its place in the
    observations table (0 until stored).
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
    """A batch for one model, every entry checked; the first bad entry refuses the whole batch.

    Returned in observed-time order: stored so, the values posted together are judged in time
    order (the evaluator judges in stored order, each value as if it had come alone).
    """
    if not items:
        raise InvalidValueError("observations", "must hold at least one observation")
    if len(items) > MAX_BATCH:
        raise InvalidValueError("observations", f"must hold at most {MAX_BATCH} observations")
    latest = (now or datetime.now(UTC)) + CLOCK_SKEW
    versions = {version.number for version in model.versions}
    environments = set(model.policy.environments)
    checked = []
    for index, item in enumerate(items):
        field = f"observations[{index}]"
        version = item.get("version")
        if version not in versions:
            raise InvalidValueError(
                f"{field}.version", f"model {model.name!r} has no version {version!r}"
            )
        environment = require_environment(f"{field}.environment", item.get("environment"))
        if environment not in environments:
            raise InvalidValueError(
                f"{field}.environment",
                f"{environment!r} is not one of the policy's environments "
                f"({', '.join(model.policy.environments)})",
            )
        observed_at = require_instant(f"{field}.observed_at", item.get("observed_at"))
        if observed_at < model.registered_at:
            raise InvalidValueError(
                f"{field}.observed_at",
                f"{utc_text(observed_at)} is before the model was registered "
                f"({utc_text(model.registered_at)})",
            )
        if observed_at > latest:
            raise InvalidValueError(
                f"{field}.observed_at", f"{utc_text(observed_at)} is in the future"
            )
        group = item.get("group")
        if group is not None:
            attribute, _, value = str(group).partition("=")
            if not attribute or not value or len(group) > 200:
                raise InvalidValueError(
                    f"{field}.group", f"must read attribute=value (e.g. sex=female); got {group!r}"
                )
        samples = item.get("sample_count")
        if samples is not None and (
            isinstance(samples, bool) or not isinstance(samples, int) or samples < 1
        ):
            raise InvalidValueError(f"{field}.sample_count", "must be a whole number of 1 or more")
        checked.append(
            Observation(
                model=model.name,
                version=int(version),
                environment=environment,
                metric=require_text(f"{field}.metric", item.get("metric"), max_length=100),
                value=require_number(f"{field}.value", item.get("value")),
                observed_at=observed_at,
                group=group,
                sample_count=samples,
            )
        )
    return sorted(checked, key=lambda observation: observation.observed_at)
