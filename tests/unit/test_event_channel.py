"""The notification channel of a store: a valid PostgreSQL identifier, one per schema."""

from __future__ import annotations

from infrastructure.projections.event_signal import channel_for


def test_a_long_channel_name_is_shortened_to_a_postgresql_identifier() -> None:
    assert len(channel_for("s" * 63)) <= 63
    assert channel_for("s" * 63) != channel_for("s" * 62 + "t")
