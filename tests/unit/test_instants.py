"""Instants: written in UTC with `Z`, read with any offset, refused without one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidValueError
from domain.instants import Precision, require_instant, sortable_utc_text, utc_text
from domain.values import Attribution

PLUS_5 = timezone(timedelta(hours=5))


def test_an_instant_in_any_zone_is_written_in_utc_with_z() -> None:
    assert utc_text(datetime(2026, 1, 5, 8, tzinfo=PLUS_5)) == "2026-01-05T03:00:00Z"
    assert utc_text(datetime(2026, 1, 4, 20, tzinfo=timezone(timedelta(hours=-8)))) == (
        "2026-01-05T04:00:00Z"
    )
    assert utc_text(datetime(2026, 1, 5, 3, 0, 0, 500, tzinfo=UTC)) == "2026-01-05T03:00:00.000500Z"
    assert utc_text(datetime(2026, 1, 5, 3, 0, 0, 500, tzinfo=UTC), timespec="seconds") == (
        "2026-01-05T03:00:00Z"
    )


def test_a_sortable_instant_has_a_fixed_width() -> None:
    assert sortable_utc_text(datetime(2026, 1, 5, 3, tzinfo=UTC)) == "2026-01-05T03:00:00.000000Z"


@given(moment=st.datetimes(timezones=st.just(UTC)) | st.datetimes(timezones=st.timezones()))
def test_a_sortable_instant_is_the_instant_to_the_microsecond(moment: datetime) -> None:
    """Held in UTC or not (two ways to the text): utc_text's text at microseconds."""
    try:
        expected = utc_text(moment, timespec="microseconds")
    except OverflowError:  # leaves the years 1-9999 in UTC
        return
    assert sortable_utc_text(moment) == expected
    assert sortable_utc_text(moment.astimezone(UTC)) == expected


def test_a_naive_datetime_is_never_written() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        utc_text(datetime(2026, 1, 5, 3))


@pytest.mark.parametrize(
    "text",
    ["2026-01-05T08:00:00+05:00", "2026-01-04T19:00:00-08:00", "2026-01-05T03:00:00Z",
     "2026-01-05T03:00:00+00:00", " 2026-01-05T03:00Z "],
)  # fmt: skip
def test_input_with_any_offset_is_read_as_the_same_utc_instant(text: str) -> None:
    moment = require_instant("at", text)
    assert moment == datetime(2026, 1, 5, 3, tzinfo=UTC)
    assert moment.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-01-05T03:00:00", "must carry a time zone"),
        (datetime(2026, 1, 5, 3), "must carry a time zone"),
        ("soon", "not an ISO 8601 time"),
        (1767582000, "not a time"),
        ("0001-01-01T00:00:00+05:00", "out of range"),
    ],
)
def test_input_that_is_not_an_instant_is_refused_naming_the_field(
    value: object, message: str
) -> None:
    with pytest.raises(InvalidValueError, match=message) as refused:
        require_instant("effective_at", value)
    assert refused.value.field == "effective_at"


def test_an_attribution_holds_its_times_in_utc() -> None:
    by = Attribution(principal="ann", role="auditor", correlation_id="r-1",
                     effective_at=datetime(2026, 1, 5, 8, tzinfo=PLUS_5),
                     recorded_at=datetime(2026, 1, 5, 9, tzinfo=PLUS_5))  # fmt: skip
    assert by.effective_at == datetime(2026, 1, 5, 3, tzinfo=UTC) and by.effective_at.tzinfo is UTC
    assert by.recorded_at is not None and by.recorded_at.tzinfo is UTC


@given(
    first=st.datetimes(timezones=st.timezones(), allow_imaginary=False),
    second=st.datetimes(timezones=st.timezones(), allow_imaginary=False),
)
def test_sortable_text_sorts_as_the_instants_do(first: datetime, second: datetime) -> None:
    try:
        texts = sortable_utc_text(first), sortable_utc_text(second)
    except OverflowError:  # the edge refuses these: they leave the years 1-9999 in UTC
        return
    assert (texts[0] < texts[1]) == (first < second)
    # By timestamp: an ambiguous local time (a DST fold) never compares equal across zones (PEP 495).
    assert require_instant("at", texts[0]).timestamp() == first.timestamp()


@given(
    moment=st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.builds(
            timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
        ),
    ),
    timespec=st.sampled_from(["auto", "seconds", "milliseconds", "microseconds"]),
)
def test_utc_text_is_the_instant_in_utc_with_z_whatever_its_offset(
    moment: datetime, timespec: Precision
) -> None:
    expected = moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec=timespec) + "Z"
    assert utc_text(moment, timespec=timespec) == expected
