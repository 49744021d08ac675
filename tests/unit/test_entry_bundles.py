"""Entry bundles: entries after their uint16 length, read back as written; too large is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.ledger.tiles import MAX_ENTRY_BYTES, TileError, entry_bundle, read_entry_bundle


@given(st.lists(st.binary(max_size=300), max_size=256))
def test_a_bundle_reads_back_as_the_entries_it_was_made_of(entries: list[bytes]) -> None:
    bundle = entry_bundle(entries)
    assert len(bundle) == sum(2 + len(entry) for entry in entries)
    assert read_entry_bundle(bundle) == entries


def test_an_entry_too_large_for_a_uint16_length_is_refused_naming_its_size() -> None:
    assert read_entry_bundle(entry_bundle([b"x" * MAX_ENTRY_BYTES])) == [b"x" * MAX_ENTRY_BYTES]
    with pytest.raises(TileError, match="65,536 bytes does not fit"):
        entry_bundle([b"x" * (MAX_ENTRY_BYTES + 1)])


@pytest.mark.parametrize("bundle", [b"\x00", b"\x00\x05abc", b"\x00\x01a\x00"])
def test_a_cut_bundle_is_refused(bundle: bytes) -> None:
    with pytest.raises(TileError):
        read_entry_bundle(bundle)
