"""The Merkle tree of RFC 9162 section 2.1 (Certificate Transparency v2): hashes, roots and proofs.

Pure functions over leaf hashes at dense positions 0..n-1, so that anyone holding the events can
recompute a signed tree head, and anyone holding two tree heads can check a proof without us.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha256

HASH_SIZE = 32

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

EMPTY_ROOT: bytes = sha256(b"").digest()
"""MTH({}) = HASH(): the root of the tree with no leaves (RFC 9162 2.1.1)."""


class MerkleTreeShapeError(ValueError):
    """Sizes, indices or saved hashes that no tree of the given size has; check what was passed."""


def leaf_hash(data: bytes) -> bytes:
    """HASH(0x00 || d) (RFC 9162 2.1.1); the prefix keeps a leaf from passing for a node."""
    return sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """HASH(0x01 || left || right) (RFC 9162 2.1.1); the prefix keeps a node from passing for a leaf."""
    return sha256(NODE_PREFIX + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than `size` (>= 2): where MTH splits (RFC 9162 2.1.1)."""
    return 1 << ((size - 1).bit_length() - 1)


def _parents(level: list[bytes]) -> list[bytes]:
    """The node hashes of neighbouring pairs; an odd last node has no partner and is left out."""
    pairs = iter(level)
    return [
        sha256(NODE_PREFIX + left + right).digest()
        for left, right in zip(pairs, pairs, strict=False)
    ]


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) (RFC 9162 2.1.1), level by level so that a million leaves take about a second.

    Pairing neighbours and carrying an odd last node up unchanged builds exactly MTH's tree: the
    split at the largest power of two below n makes every subtree but the rightmost complete, and
    the rightmost one is the carried node. No recursion, and only one level kept at a time.
    """
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        parents = _parents(level)
        if len(level) % 2:
            parents.append(level[-1])
        level = parents
    return level[0]


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(m, D[n]) (RFC 9162 2.1.3.1) for leaf `index` of the tree of all `leaf_hashes`.

    Each call hashes the whole tree again; for many proofs over the same leaves build one
    `MerkleTree` and ask it.
    """
    return MerkleTree(leaf_hashes).inclusion_proof(index)


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(m, D[n]) (RFC 9162 2.1.4.1) from the tree of `old_size` to the tree of all leaves.

    Empty for m = 0 and for m = n: there is nothing to prove. Each call hashes the whole tree again.
    """
    return MerkleTree(leaf_hashes).consistency_proof(old_size)


def verify_inclusion(
    *, leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether `proof` shows `leaf_hash` at `index` in the tree of `tree_size` leaves with `root`.

    RFC 9162 2.1.3.2, step by step. Malformed input (an index outside the tree, a hash that is not
    32 bytes) is a failed proof, never an exception: a verifier answers the question it was asked.
    """
    if not _are_sizes(index, tree_size) or not _are_hashes(leaf_hash, root, *proof):
        return False
    if index >= tree_size:  # 1.
        return False
    fn, sn = index, tree_size - 1  # 2.
    r = leaf_hash  # 3.
    for p in proof:  # 4.
        if sn == 0:  # 4a.
            return False
        if fn & 1 or fn == sn:  # 4b.
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1  # 4c.
    return sn == 0 and r == root  # 5.


def verify_consistency(
    *, old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether `proof` shows that the tree of `new_size` with `new_root` extends the older one.

    RFC 9162 2.1.4.2, step by step, for 0 < m < n. A tree is consistent with itself by an empty
    proof, and so is the empty tree (whose root must be EMPTY_ROOT) with every tree. Malformed
    input is a failed proof, never an exception.
    """
    if not _are_sizes(old_size, new_size) or not _are_hashes(old_root, new_root, *proof):
        return False
    if old_size > new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:  # 1.
        return False
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)  # 2.
    fn, sn = old_size - 1, new_size - 1  # 3.
    while fn & 1:  # 4.
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]  # 5.
    for c in path[1:]:  # 6.
        if sn == 0:  # 6a.
            return False
        if fn & 1 or fn == sn:  # 6b.
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1  # 6c.
    return fr == old_root and sr == new_root and sn == 0  # 7.


def _are_sizes(*values: object) -> bool:
    return all(type(value) is int and value >= 0 for value in values)


def _are_hashes(*values: object) -> bool:
    return all(isinstance(value, bytes) and len(value) == HASH_SIZE for value in values)


class MerkleTree:
    """Every complete subtree root over fixed leaf hashes, for many proofs at any earlier size.

    Building it costs about the hashes of one root and keeps about 2n hashes; after that a root or
    proof for any tree size up to `size` costs O(log² n) hashes instead of rehashing the log.
    """

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self._levels = [list(leaf_hashes)]
        while len(self._levels[-1]) > 1:
            self._levels.append(_parents(self._levels[-1]))

    @property
    def size(self) -> int:
        """How many leaves the tree holds."""
        return len(self._levels[0])

    def root(self, *, tree_size: int | None = None) -> bytes:
        """MTH(D[tree_size]) (RFC 9162 2.1.1), of all the leaves unless told."""
        size = self._checked(tree_size)
        return self._subtree_root(0, size) if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, *, tree_size: int | None = None) -> list[bytes]:
        """PATH(m, D[n]) (RFC 9162 2.1.3.1), unrolled top-down and then reversed (leaf first)."""
        size = self._checked(tree_size)
        if not 0 <= index < size:
            raise MerkleTreeShapeError(f"leaf {index} is not in a tree of {size} leaves")
        path: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            middle = start + _split(end - start)
            if index < middle:
                path.append(self._subtree_root(middle, end))
                end = middle
            else:
                path.append(self._subtree_root(start, middle))
                start = middle
        return path[::-1]

    def consistency_proof(self, old_size: int, *, tree_size: int | None = None) -> list[bytes]:
        """PROOF(m, D[n]) = SUBPROOF(m, D[n], true) (RFC 9162 2.1.4.1), unrolled and reversed."""
        size = self._checked(tree_size)
        if not 0 <= old_size <= size:
            raise MerkleTreeShapeError(f"a tree of {size} leaves has no earlier tree of {old_size}")
        if old_size in (0, size):
            return []
        proof: list[bytes] = []
        start, end, whole_old_tree = 0, size, True
        while old_size != end:
            middle = start + _split(end - start)
            if old_size <= middle:
                proof.append(self._subtree_root(middle, end))
                end = middle
            else:
                proof.append(self._subtree_root(start, middle))
                start, whole_old_tree = middle, False
        if not whole_old_tree:
            proof.append(self._subtree_root(start, end))
        return proof[::-1]

    def _checked(self, tree_size: int | None) -> int:
        if tree_size is None:
            return self.size
        if not 0 <= tree_size <= self.size:
            raise MerkleTreeShapeError(f"the tree holds {self.size} leaves, not {tree_size}")
        return tree_size

    def _subtree_root(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a range of MTH's recursion, whose start is aligned to its size."""
        height = (end - start).bit_length() - 1
        if end - start == 1 << height:
            return self._levels[height][start >> height]
        middle = start + _split(end - start)
        return node_hash(self._subtree_root(start, middle), self._subtree_root(middle, end))


class MerkleFrontier:
    """The root of an append-only log in O(log n) memory: one complete subtree per set bit of n.

    A sealer appends each stored event's leaf hash, signs `root()` now and then, and persists
    `to_list()` so that after a restart it resumes without rereading every event. MTH of n leaves
    is the right fold of these subtrees, largest and leftmost first (RFC 9162 2.1.1).
    """

    def __init__(self) -> None:
        self._size = 0
        self._subtrees: list[bytes] = []

    @property
    def size(self) -> int:
        """How many leaves have been appended."""
        return self._size

    def append(self, leaf_hash: bytes) -> None:
        """Add the next leaf, merging the equal-sized complete subtrees it completes."""
        if (
            not isinstance(leaf_hash, bytes) or len(leaf_hash) != HASH_SIZE
        ):  # inline: once per event
            raise MerkleTreeShapeError("a leaf hash is 32 bytes: append leaf_hash(data), not data")
        node, carry = leaf_hash, self._size
        while carry & 1:
            node = sha256(NODE_PREFIX + self._subtrees.pop() + node).digest()
            carry >>= 1
        self._subtrees.append(node)
        self._size += 1

    def root(self) -> bytes:
        """MTH of every leaf appended so far; equal to `root_of` over the same leaves."""
        if not self._subtrees:
            return EMPTY_ROOT
        root = self._subtrees[-1]
        for subtree in reversed(self._subtrees[:-1]):
            root = node_hash(subtree, root)
        return root

    def to_list(self) -> list[bytes]:
        """The complete subtree roots, largest first; with `size` they are the whole state."""
        return list(self._subtrees)

    @classmethod
    def from_list(cls, size: int, hashes: Sequence[bytes]) -> MerkleFrontier:
        """Resume from `size` and `to_list()`; refuses hashes that no tree of `size` could have."""
        if not _are_sizes(size):
            raise MerkleTreeShapeError(f"a frontier's size is a count of leaves, not {size!r}")
        if len(hashes) != size.bit_count() or not _are_hashes(*hashes):
            raise MerkleTreeShapeError(
                f"a frontier of {size} leaves is {size.bit_count()} hashes of {HASH_SIZE} bytes; "
                "the saved state is damaged or belongs to another log"
            )
        frontier = cls()
        frontier._size, frontier._subtrees = size, list(hashes)
        return frontier
