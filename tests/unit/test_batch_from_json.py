"""The metrics route's fast parse (`batch_from_json`) gives exactly what ObservationBatch gives for
every body ObservationBatch accepts, and nothing for any body it refuses, whose refusal then
comes from ObservationBatch in its own words."""

from __future__ import annotations

import json
from datetime import timedelta, timezone
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from infrastructure.api.routes_monitoring import batch_from_json
from infrastructure.api.schemas import ObservationBatch

offsets = st.integers(-1439, 1439).map(lambda minutes: timezone(timedelta(minutes=minutes)))
good_times = st.one_of(
    st.just("2026-11-01T09:30:00Z"),
    st.datetimes(timezones=offsets).map(lambda moment: moment.isoformat()),
)
bad_times = st.sampled_from([
    "2026-11-01T09:30:00", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "not a time",
    "2026-13-01T00:00:00Z", 7,
])  # fmt: skip
good_entries = st.fixed_dictionaries(
    {
        "metric": st.sampled_from(["auc", "latency_ms"]),
        "value": st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-9, 9)),
        "version": st.integers(min_value=1, max_value=1_000_000),
        "environment": st.sampled_from(["production", "staging"]),
        "observed_at": good_times,
    },
    optional={
        "group": st.one_of(st.none(), st.just("sex=female")),
        "sample_count": st.one_of(st.none(), st.integers(min_value=1, max_value=10**12)),
    },
)
# One field made bad (or one added, or not an object at all).
bad_values = {
    "metric": st.sampled_from(["", "x" * 101, 5]), "value": st.sampled_from(["0.5", None]),
    "version": st.sampled_from([0, 1_000_001, True, "1"]), "environment": st.just("Prod!"),
    "observed_at": bad_times, "group": st.sampled_from(["sex", "=x"]),
    "sample_count": st.sampled_from([0, 10**13, 1.5]), "extra": st.just(1),
}  # fmt: skip
bad_entries = st.one_of(
    st.sampled_from(sorted(bad_values))
    .flatmap(lambda key: st.tuples(good_entries, st.just(key), bad_values[key]))
    .map(lambda made: {**made[0], made[1]: made[2]}),
    st.sampled_from([5, None, [1], "x"]),
)
bodies = st.one_of(
    st.fixed_dictionaries({"observations": st.lists(good_entries, min_size=1, max_size=4)}),
    st.fixed_dictionaries({"observations": st.lists(st.one_of(good_entries, bad_entries),
                                                    max_size=4)}),
    st.fixed_dictionaries({"observations": st.lists(good_entries, max_size=2), "more": st.just(1)}),
    st.lists(good_entries, max_size=2),
)  # fmt: skip


def _full(body: bytes) -> dict[str, Any] | None:
    try:
        return ObservationBatch.model_validate_json(body).model_dump()
    except ValidationError:
        return None


OUT_OF_RANGE = {"observations": [{"metric": "auc", "value": 0.5, "version": 1,
                                 "environment": "production",
                                 "observed_at": "0001-01-01T00:00:00+05:00"}]}  # fmt: skip


@settings(max_examples=600)
@given(body=bodies)
@example(body=OUT_OF_RANGE)  # parsed, but before year 1 once in UTC
def test_the_fast_parse_accepts_what_the_batch_accepts_and_gives_the_same(body: Any) -> None:
    text = json.dumps(body, allow_nan=True).encode()
    fast = batch_from_json(text)
    assert repr(None if fast is None else fast.model_dump()) == repr(_full(text))  # zones too


def test_times_are_held_in_utc_as_the_batch_holds_them() -> None:
    entry = {"metric": "auc", "value": 0.5, "version": 1, "environment": "production",
             "observed_at": "2026-11-01T09:30:00+05:30"}  # fmt: skip
    batch = batch_from_json(json.dumps({"observations": [entry]}).encode())
    assert batch is not None and isinstance(batch, ObservationBatch)
    assert batch.observations[0]["observed_at"].isoformat() == "2026-11-01T04:00:00+00:00"
