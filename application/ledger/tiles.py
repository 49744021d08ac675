"""The ledger's Merkle tree as C2SP tlog-tiles (https://c2sp.org/tlog-tiles): static, cacheable.

A tile at level L, index N holds up to 256 hashes: the i-th is the root of the leaves
[(N*256 + i) * 256**L, (N*256 + i + 1) * 256**L). Level 0 holds leaf hashes. A full tile has 256;
a partial one (`.p/W`) the W a tree of a given size has so far. An entry bundle (`entries/N`)
holds the data of level-0 tile N's leaves, each prefixed by its length as a big-endian uint16.
Paths write N in three-digit groups, all but the last prefixed by `x`: 1234067 is x001/x234/067.

Pure functions over a `LeafHashes` reader, so the server and the bundle export build the same
bytes, and any tlog client (e.g. Go's golang.org/x/mod/sumdb/tlog) can recompute the root.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from application.ledger.merkle import root_of

WIDTH = 256
MAX_ENTRY_BYTES = 0xFFFF  # an entry's length is a uint16
_GROUP = re.compile(r"(?:x\d{3}/)*\d{3}")

LeafHashes = Callable[[int, int], Sequence[bytes]]
"""The leaf hashes at positions [start, end): what a tile is computed from."""


class TileError(ValueError):
    """A tile path that names no tile, or a tile the signed tree does not have yet."""


@dataclass(frozen=True)
class Tile:
    """Level `level` (None: an entry bundle), index `index`, `width` hashes or entries."""

    level: int | None
    index: int
    width: int

    @property
    def full(self) -> bool:
        return self.width == WIDTH

    def path(self) -> str:
        """`tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`."""
        level = "entries" if self.level is None else str(self.level)
        partial = "" if self.full else f".p/{self.width}"
        return f"tile/{level}/{_index_path(self.index)}{partial}"

    def span(self) -> int:
        """How many leaves one of its hashes (or entries) covers."""
        return WIDTH ** (self.level or 0)

    def first_leaf(self) -> int:
        return self.index * WIDTH * self.span()

    def needs(self) -> int:
        """The tree size from which this tile, at this width, exists."""
        return self.first_leaf() + self.width * self.span()


def _index_path(index: int) -> str:
    groups = []
    while True:
        index, rest = divmod(index, 1000)
        groups.append(f"{rest:03d}")
        if index == 0:
            break
    return "/".join([f"x{g}" for g in reversed(groups[1:])] + [groups[0]])


def parse_tile_path(path: str) -> Tile:
    """The tile a path names (the part after `tile/`); TileError if it names none."""
    level_text, _, rest = path.partition("/")
    index_text, partial, width_text = rest.partition(".p/")
    if not _GROUP.fullmatch(index_text):
        raise TileError(f"{path!r}: the index is three-digit groups, all but the last with x")
    index = int(index_text.replace("x", "").replace("/", ""))
    if _index_path(index) != index_text:  # one path per tile: no leading x000 groups
        raise TileError(f"{path!r}: the index is written {_index_path(index)!r}")
    width = WIDTH
    if partial:
        if not re.fullmatch(r"[1-9]\d*", width_text) or int(width_text) >= WIDTH:
            raise TileError(f"{path!r}: a partial tile's width is 1 to 255")
        width = int(width_text)
    if level_text == "entries":
        return Tile(None, index, width)
    if not re.fullmatch(r"0|[1-9]\d?", level_text) or int(level_text) > 63:
        raise TileError(f"{path!r}: the level is 0 to 63, or `entries`")
    return Tile(int(level_text), index, width)


def tiles_for(tree_size: int) -> Iterator[Tile]:
    """Every tile and entry bundle a tree of `tree_size` has: the full ones and, per level, the
    partial one at its right edge (what a static copy of the log holds)."""
    level = 0
    while WIDTH**level <= tree_size:
        hashes = tree_size // WIDTH**level  # hashes at this level
        for index in range(hashes // WIDTH):
            yield Tile(level, index, WIDTH)
            if level == 0:
                yield Tile(None, index, WIDTH)
        if hashes % WIDTH:
            yield Tile(level, hashes // WIDTH, hashes % WIDTH)
            if level == 0:
                yield Tile(None, hashes // WIDTH, hashes % WIDTH)
        level += 1


def check_within(tile: Tile, tree_size: int) -> None:
    if tile.needs() > tree_size:
        raise TileError(
            f"{tile.path()} is not in the signed tree of {tree_size} leaves; "
            "fetch the checkpoint and ask for the tiles its size has"
        )


def tile_bytes(tile: Tile, leaves: LeafHashes) -> bytes:
    """The tile's hashes, concatenated: level 0 the leaf hashes, above, roots of their spans."""
    assert tile.level is not None, "an entry bundle is built from the entries: entry_bundle()"
    start, span = tile.first_leaf(), tile.span()
    hashes = leaves(start, start + tile.width * span)
    if span == 1:
        return b"".join(hashes)
    return b"".join(root_of(hashes[i * span : (i + 1) * span]) for i in range(tile.width))


def entry_bundle(entries: Iterable[bytes]) -> bytes:
    """Entries, each after its length as a big-endian uint16."""
    parts = []
    for entry in entries:
        if len(entry) > MAX_ENTRY_BYTES:
            raise TileError(
                f"an entry of {len(entry):,} bytes does not fit an entry bundle (at most "
                f"{MAX_ENTRY_BYTES:,}); its leaf hash is still in the tiles"
            )
        parts.append(struct.pack(">H", len(entry)) + entry)
    return b"".join(parts)


def read_entry_bundle(data: bytes) -> list[bytes]:
    entries, at = [], 0
    while at < len(data):
        if at + 2 > len(data):
            raise TileError("an entry bundle ends inside an entry's length")
        (size,) = struct.unpack_from(">H", data, at)
        if at + 2 + size > len(data):
            raise TileError("an entry bundle ends inside an entry")
        entries.append(data[at + 2 : at + 2 + size])
        at += 2 + size
    return entries
