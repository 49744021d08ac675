"""C2SP tlog-tiles: the tiles a tree has, their bytes, and their paths, for trees of any size."""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha256

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.ledger.merkle import HASH_SIZE, leaf_hash, root_of
from application.ledger.tiles import (
    WIDTH,
    LeafHashes,
    Tile,
    TileError,
    check_within,
    entry_bundle,
    parse_tile_path,
    read_entry_bundle,
    tile_bytes,
    tiles_for,
)


def _leaves(size: int) -> list[bytes]:
    return [leaf_hash(n.to_bytes(8, "big")) for n in range(size)]


def _reader(leaves: Sequence[bytes]) -> LeafHashes:
    def read(start: int, end: int) -> Sequence[bytes]:
        assert 0 <= start <= end <= len(leaves), (start, end, len(leaves))
        return leaves[start:end]

    return read


def _split(data: bytes) -> list[bytes]:
    assert len(data) % HASH_SIZE == 0
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def _root_from_top(
    tiles: dict[tuple[int | None, int], Tile], data: dict[Tile, bytes], size: int
) -> bytes:
    """The root from the tiles alone, as a client would: the hashes each level's tiles hold
    cover whole 256**L blocks of leaves; what they leave at the right edge comes from the level
    below. Recomputes RFC 6962's root of `size` leaves."""

    def subtree(start: int, end: int) -> bytes:
        """The root of leaves [start, end), from the highest tile hash covering exactly it."""
        for level in range(len(levels) - 1, -1, -1):
            span = WIDTH**level
            if start % span == 0 and end - start == span and level in levels:
                return levels[level][start // span]
        mid = 1
        while mid * 2 < end - start:
            mid *= 2
        return sha256(b"\x01" + subtree(start, start + mid) + subtree(start + mid, end)).digest()

    levels: dict[int, list[bytes]] = {}
    for (level, _), tile in sorted(tiles.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1])):
        if level is not None:
            levels.setdefault(level, []).extend(_split(data[tile]))
    return subtree(0, size)


@settings(max_examples=60, deadline=None)
@given(size=st.integers(min_value=1, max_value=3000))
def test_the_tiles_of_a_tree_recompute_its_root(size: int) -> None:
    leaves = _leaves(size)
    read = _reader(leaves)
    listed = list(tiles_for(size))
    assert len(listed) == len(set(listed)), "no tile listed twice"
    by_place = {(tile.level, tile.index): tile for tile in listed}
    assert len(by_place) == len(listed), "one width per tile: the tree's own"
    data = {t: tile_bytes(t, read) for t in listed if t.level is not None}

    for tile in listed:
        check_within(tile, size)  # every tile listed is in the tree
        assert parse_tile_path(tile.path().removeprefix("tile/")) == tile
        if tile.level is not None:
            assert len(data[tile]) == tile.width * HASH_SIZE
        # the tile one wider is not in this tree: the listed width is the largest there is
        if not tile.full:
            with pytest.raises(TileError):
                check_within(Tile(tile.level, tile.index, tile.width + 1), size)

    level0 = b"".join(data[by_place[(0, n)]] for n in range((size + WIDTH - 1) // WIDTH))
    assert _split(level0) == leaves
    assert root_of(_split(level0)) == root_of(leaves)
    assert _root_from_top(by_place, data, size) == root_of(leaves)
    # each hash at level L >= 1 is the root of its 256**L leaves
    for tile in listed:
        if tile.level:
            span = tile.span()
            for i, hashed in enumerate(_split(data[tile])):
                first = tile.first_leaf() + i * span
                assert hashed == root_of(leaves[first : first + span])


@given(
    level=st.one_of(st.none(), st.integers(min_value=0, max_value=63)),
    index=st.integers(min_value=0, max_value=10**15),
    width=st.integers(min_value=1, max_value=WIDTH),
)
def test_tile_paths_round_trip(level: int | None, index: int, width: int) -> None:
    tile = Tile(level, index, width)
    path = tile.path()
    assert path.startswith("tile/")
    assert parse_tile_path(path.removeprefix("tile/")) == tile
    groups = path.removeprefix("tile/").split("/")[1:]
    if not tile.full:
        assert groups[-2].endswith(".p") and groups[-1] == str(width)
        groups = groups[:-1]
        groups[-1] = groups[-1].removesuffix(".p")
    assert all(len(g) == 4 and g.startswith("x") for g in groups[:-1])
    assert len(groups[-1]) == 3 and groups[-1].isdigit()


def test_the_specifications_examples() -> None:
    """tlog-tiles: a tree of 70,000 leaves has 273 full level-0 tiles and a partial one of 112,
    a level-1 tile of 17 (partial: 273 // 256 = 1 full, then 17), and a level-2 tile of 1; and
    index 1234067 is written x001/x234/067."""
    listed = list(tiles_for(70_000))
    level0 = [t for t in listed if t.level == 0]
    assert sum(t.full for t in level0) == 273
    assert [t.width for t in level0 if not t.full] == [112]
    assert [t for t in listed if t.level is None] == [Tile(None, t.index, t.width) for t in level0]
    assert [(t.index, t.width) for t in listed if t.level == 1] == [(0, 256), (1, 17)]
    assert [(t.index, t.width) for t in listed if t.level == 2] == [(0, 1)]
    assert not [t for t in listed if (t.level or 0) > 2]
    assert Tile(0, 273, 112).path() == "tile/0/273.p/112"
    assert Tile(1, 1, 17).path() == "tile/1/001.p/17"
    assert Tile(2, 0, 1).path() == "tile/2/000.p/1"
    assert Tile(0, 1234067, 256).path() == "tile/0/x001/x234/067"
    assert Tile(None, 1234067, 8).path() == "tile/entries/x001/x234/067.p/8"


@pytest.mark.parametrize(
    "path",
    ["0/1", "0/0001", "0/x01/002", "0/001/002", "0/000.p/0", "0/000.p/256", "0/000.p/01",
     "64/000", "01/000", "data/000", "-1/000", "entries/000.p/"],
)  # fmt: skip
def test_paths_that_name_no_tile_are_refused(path: str) -> None:
    with pytest.raises(TileError):
        parse_tile_path(path)


@given(st.lists(st.binary(max_size=300), max_size=20))
def test_entry_bundles_round_trip(entries: list[bytes]) -> None:
    assert read_entry_bundle(entry_bundle(entries)) == entries
