"""The RFC 9162 Merkle tree: published known answers, every small tree, and tampered proofs refused."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from application.ledger.merkle import (
    EMPTY_ROOT,
    MerkleFrontier,
    MerkleTree,
    MerkleTreeShapeError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

# Known answers: the Certificate Transparency reference leaves and hashes, copied from
# github.com/transparency-dev/merkle (the successor of google/certificate-transparency's C++
# merkle_tree_test vectors, used by most RFC 6962/9162 implementations):
#   testonly/constants.go   LeafInputs, NodeHashes, RootHashes
#                           (commit 582a6ad190b6848f1d26f8bf08ddef29955d9db1)
#   testonly/reference_test.go   TestRefInclusionProof, TestRefConsistencyProof
#                           (commit 141d627eab770a7e9a2514f46a8b6338e6d90874)
#   proof/verify_test.go   consistencyProofs, the 6 -> 7 case
#                           (commit 02194e9afb6c1d95b5381350007963aa70fff472)
CT_LEAF_INPUTS = [
    bytes.fromhex(text)
    for text in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
CT_LEAF_HASHES = [  # NodeHashes()[0]
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
]
CT_PAIR_HASHES = [  # NodeHashes()[1]: node_hash of leaves 0-1, 2-3, 4-5, 6-7
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
]
CT_ROOTS = [  # RootHashes(): index is the tree size
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION_PROOFS = [  # (index, tree size, proof)
    (0, 1, []),
    (0, 2, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"]),
    (1, 2, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
CT_CONSISTENCY_PROOFS = [  # (old size, new size, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

# Our own trees: distinct leaves, so no two subtrees share a hash and any change of claim shows.
MAX_SIZE = 256
LEAVES = [leaf_hash(position.to_bytes(2, "big")) for position in range(300)]
ROOTS = [root_of(LEAVES[:size]) for size in range(MAX_SIZE + 1)]
TREE = MerkleTree(LEAVES[:MAX_SIZE])

SIZES = st.integers(min_value=1, max_value=MAX_SIZE)
HASHES = st.binary(min_size=32, max_size=32)


def _hexes(values: Sequence[bytes]) -> list[str]:
    return [value.hex() for value in values]


def _reference_root(leaves: Sequence[bytes]) -> bytes:
    """MTH exactly as RFC 9162 2.1.1 writes it: recursion and slices, slow and obviously right."""
    if len(leaves) <= 1:
        return leaves[0] if leaves else hashlib.sha256(b"").digest()
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(_reference_root(leaves[:split]), _reference_root(leaves[split:]))


def _inclusion_shape(index: int, size: int) -> tuple[str, ...]:
    """The side each proof hash joins on, leaf first, from PATH's recursion (RFC 9162 2.1.3.1).

    Two claims of the same shape are checked by the very same hashing, so one proof proves both:
    index 4 in a tree of 7 and in a tree of 8 are such a pair. Only a change of shape is tampering.
    """
    if index >= size:
        return ("no such leaf",)
    if size == 1:
        return ()
    split = 1 << ((size - 1).bit_length() - 1)
    if index < split:
        return (*_inclusion_shape(index, split), "right")
    return (*_inclusion_shape(index - split, size - split), "left")


def _consistency_shape(old_size: int, new_size: int, whole: bool = True) -> tuple[str, ...]:
    """The role of each proof hash, deepest first, from SUBPROOF's recursion (RFC 9162 2.1.4.1)."""
    if old_size == new_size:
        return () if whole else ("old subtree",)
    split = 1 << ((new_size - 1).bit_length() - 1)
    if old_size <= split:
        return (*_consistency_shape(old_size, split, whole), "new on the right")
    return (*_consistency_shape(old_size - split, new_size - split, False), "shared on the left")


def _flip_bit(proof: list[bytes], *, element: int, bit: int) -> list[bytes]:
    flipped = bytearray(proof[element])
    flipped[bit // 8] ^= 1 << (bit % 8)
    return [*proof[:element], bytes(flipped), *proof[element + 1 :]]


# Known answers


def test_the_empty_tree_root_is_the_sha256_of_nothing() -> None:
    assert EMPTY_ROOT == hashlib.sha256(b"").digest() == bytes.fromhex(CT_ROOTS[0])
    assert root_of([]) == MerkleTree([]).root() == MerkleFrontier().root() == EMPTY_ROOT


def test_leaf_and_node_hashes_are_the_published_ones() -> None:
    leaves = [leaf_hash(data) for data in CT_LEAF_INPUTS]
    assert _hexes(leaves) == CT_LEAF_HASHES
    pairs = [node_hash(leaves[i], leaves[i + 1]) for i in range(0, 8, 2)]
    assert _hexes(pairs) == CT_PAIR_HASHES


@pytest.mark.parametrize("size", range(9))
def test_the_root_of_each_reference_tree_is_the_published_one(size: int) -> None:
    leaves = [leaf_hash(data) for data in CT_LEAF_INPUTS[:size]]
    assert root_of(leaves).hex() == CT_ROOTS[size]
    assert MerkleTree(leaves).root().hex() == CT_ROOTS[size]


@pytest.mark.parametrize(("index", "size", "expected"), CT_INCLUSION_PROOFS)
def test_inclusion_proofs_in_the_reference_trees_are_the_published_ones(
    index: int, size: int, expected: list[str]
) -> None:
    leaves = [leaf_hash(data) for data in CT_LEAF_INPUTS[:size]]
    proof = inclusion_proof(leaves, index)
    assert _hexes(proof) == expected
    root = bytes.fromhex(CT_ROOTS[size])
    assert verify_inclusion(
        leaf_hash=leaves[index], index=index, tree_size=size, proof=proof, root=root
    )


@pytest.mark.parametrize(("old_size", "new_size", "expected"), CT_CONSISTENCY_PROOFS)
def test_consistency_proofs_between_the_reference_trees_are_the_published_ones(
    old_size: int, new_size: int, expected: list[str]
) -> None:
    leaves = [leaf_hash(data) for data in CT_LEAF_INPUTS[:new_size]]
    proof = consistency_proof(leaves, old_size)
    assert _hexes(proof) == expected
    old_root, new_root = bytes.fromhex(CT_ROOTS[old_size]), bytes.fromhex(CT_ROOTS[new_size])
    assert verify_consistency(
        old_size=old_size, new_size=new_size, old_root=old_root, new_root=new_root, proof=proof
    )


# Every small tree


def test_the_fast_root_is_the_rfc_recursion_for_every_size_up_to_300() -> None:
    for size in range(len(LEAVES) + 1):
        assert root_of(LEAVES[:size]) == _reference_root(LEAVES[:size]), size


def test_every_leaf_is_proven_included_in_every_tree_up_to_256_leaves() -> None:
    for size in range(1, MAX_SIZE + 1):
        own_tree = MerkleTree(LEAVES[:size])
        assert own_tree.root() == TREE.root(tree_size=size) == ROOTS[size]
        for index in range(size):
            proof = TREE.inclusion_proof(index, tree_size=size)
            assert proof == own_tree.inclusion_proof(index), (index, size)
            assert verify_inclusion(
                leaf_hash=LEAVES[index], index=index, tree_size=size, proof=proof, root=ROOTS[size]
            ), (index, size)


def test_every_tree_up_to_256_leaves_is_proven_consistent_with_every_earlier_one() -> None:
    for new_size in range(1, MAX_SIZE + 1):
        for old_size in range(new_size + 1):
            proof = TREE.consistency_proof(old_size, tree_size=new_size)
            assert verify_consistency(
                old_size=old_size,
                new_size=new_size,
                old_root=ROOTS[old_size],
                new_root=ROOTS[new_size],
                proof=proof,
            ), (old_size, new_size)


def test_the_proof_functions_give_the_proofs_of_a_tree_of_the_same_leaves() -> None:
    for size in range(1, 33):
        for index in range(size):
            assert inclusion_proof(LEAVES[:size], index) == TREE.inclusion_proof(
                index, tree_size=size
            )
        for old_size in range(size + 1):
            assert consistency_proof(LEAVES[:size], old_size) == TREE.consistency_proof(
                old_size, tree_size=size
            )


@pytest.mark.parametrize(
    "ask",
    [
        lambda: inclusion_proof(LEAVES[:5], 5),
        lambda: inclusion_proof([], 0),
        lambda: inclusion_proof(LEAVES[:5], -1),
        lambda: consistency_proof(LEAVES[:5], 6),
        lambda: consistency_proof(LEAVES[:5], -1),
        lambda: TREE.root(tree_size=MAX_SIZE + 1),
        lambda: TREE.inclusion_proof(0, tree_size=-1),
    ],
)
def test_a_proof_of_something_outside_the_tree_is_refused(ask: Callable[[], object]) -> None:
    with pytest.raises(MerkleTreeShapeError):
        ask()


def test_a_proof_fits_every_claim_of_its_shape_so_the_size_must_come_signed_with_the_root() -> None:
    # Why the tampering tests below skip sizes of the same shape: the hashing cannot tell them
    # apart, and only a tree head that signs size and root together can.
    assert _inclusion_shape(4, 7) == _inclusion_shape(4, 8)
    assert verify_inclusion(
        leaf_hash=LEAVES[4],
        index=4,
        tree_size=8,
        proof=TREE.inclusion_proof(4, tree_size=7),
        root=ROOTS[7],
    )
    assert _consistency_shape(2, 4) == _consistency_shape(4, 8)
    assert verify_consistency(
        old_size=2,
        new_size=4,
        old_root=ROOTS[4],
        new_root=ROOTS[8],
        proof=TREE.consistency_proof(4, tree_size=8),
    )


# Tampered inclusion proofs


@st.composite
def inclusions(draw: st.DrawFn, *, min_size: int = 1) -> tuple[int, int, list[bytes]]:
    size = draw(st.integers(min_value=min_size, max_value=MAX_SIZE))
    index = draw(st.integers(min_value=0, max_value=size - 1))
    return index, size, TREE.inclusion_proof(index, tree_size=size)


@given(claim=inclusions(min_size=2), data=st.data())
def test_an_inclusion_proof_with_a_flipped_bit_is_refused(
    claim: tuple[int, int, list[bytes]], data: st.DataObject
) -> None:
    index, size, proof = claim
    element = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
    bit = data.draw(st.integers(min_value=0, max_value=255))
    tampered = _flip_bit(proof, element=element, bit=bit)
    assert not verify_inclusion(
        leaf_hash=LEAVES[index], index=index, tree_size=size, proof=tampered, root=ROOTS[size]
    )


@given(claim=inclusions(min_size=2), data=st.data())
def test_a_truncated_inclusion_proof_is_refused(
    claim: tuple[int, int, list[bytes]], data: st.DataObject
) -> None:
    index, size, proof = claim
    keep = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
    assert not verify_inclusion(
        leaf_hash=LEAVES[index], index=index, tree_size=size, proof=proof[:keep], root=ROOTS[size]
    )


@given(claim=inclusions(), extra=HASHES, data=st.data())
def test_an_inclusion_proof_with_an_extra_hash_is_refused(
    claim: tuple[int, int, list[bytes]], extra: bytes, data: st.DataObject
) -> None:
    index, size, proof = claim
    where = data.draw(st.integers(min_value=0, max_value=len(proof)))
    longer = [*proof[:where], extra, *proof[where:]]
    assert not verify_inclusion(
        leaf_hash=LEAVES[index], index=index, tree_size=size, proof=longer, root=ROOTS[size]
    )


@given(claim=inclusions(), other_index=st.integers(min_value=0, max_value=MAX_SIZE + 50))
def test_an_inclusion_proof_does_not_prove_the_leaf_at_another_index(
    claim: tuple[int, int, list[bytes]], other_index: int
) -> None:
    index, size, proof = claim
    assume(other_index != index)
    assert not verify_inclusion(
        leaf_hash=LEAVES[index], index=other_index, tree_size=size, proof=proof, root=ROOTS[size]
    )


@given(claim=inclusions(), other_size=st.integers(min_value=0, max_value=2 * MAX_SIZE))
def test_an_inclusion_proof_does_not_prove_the_leaf_in_a_tree_of_another_shape(
    claim: tuple[int, int, list[bytes]], other_size: int
) -> None:
    index, size, proof = claim
    assume(_inclusion_shape(index, other_size) != _inclusion_shape(index, size))
    assert not verify_inclusion(
        leaf_hash=LEAVES[index], index=index, tree_size=other_size, proof=proof, root=ROOTS[size]
    )


@given(claim=inclusions(), other_leaf=st.sampled_from(LEAVES), other_root=HASHES)
def test_an_inclusion_proof_does_not_prove_another_leaf_or_another_root(
    claim: tuple[int, int, list[bytes]], other_leaf: bytes, other_root: bytes
) -> None:
    index, size, proof = claim
    assume(other_leaf != LEAVES[index])
    assert not verify_inclusion(
        leaf_hash=other_leaf, index=index, tree_size=size, proof=proof, root=ROOTS[size]
    )
    assume(other_root != ROOTS[size])
    assert not verify_inclusion(
        leaf_hash=LEAVES[index], index=index, tree_size=size, proof=proof, root=other_root
    )


# Tampered consistency proofs


@st.composite
def extensions(draw: st.DrawFn) -> tuple[int, int, list[bytes]]:
    """A proof between two different non-empty trees, the only kind that is not empty."""
    new_size = draw(st.integers(min_value=2, max_value=MAX_SIZE))
    old_size = draw(st.integers(min_value=1, max_value=new_size - 1))
    return old_size, new_size, TREE.consistency_proof(old_size, tree_size=new_size)


def _consistent(old_size: int, new_size: int, proof: Sequence[bytes]) -> bool:
    return verify_consistency(
        old_size=old_size,
        new_size=new_size,
        old_root=ROOTS[old_size],
        new_root=ROOTS[new_size],
        proof=proof,
    )


@given(claim=extensions(), data=st.data())
def test_a_consistency_proof_with_a_flipped_bit_is_refused(
    claim: tuple[int, int, list[bytes]], data: st.DataObject
) -> None:
    old_size, new_size, proof = claim
    element = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
    bit = data.draw(st.integers(min_value=0, max_value=255))
    assert not _consistent(old_size, new_size, _flip_bit(proof, element=element, bit=bit))


@given(claim=extensions(), data=st.data())
def test_a_truncated_consistency_proof_is_refused(
    claim: tuple[int, int, list[bytes]], data: st.DataObject
) -> None:
    old_size, new_size, proof = claim
    keep = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
    assert not _consistent(old_size, new_size, proof[:keep])


@given(claim=extensions(), extra=HASHES, data=st.data())
def test_a_consistency_proof_with_an_extra_hash_is_refused(
    claim: tuple[int, int, list[bytes]], extra: bytes, data: st.DataObject
) -> None:
    old_size, new_size, proof = claim
    where = data.draw(st.integers(min_value=0, max_value=len(proof)))
    assert not _consistent(old_size, new_size, [*proof[:where], extra, *proof[where:]])


@given(claim=extensions(), other_old=st.integers(0, MAX_SIZE), other_new=st.integers(0, MAX_SIZE))
def test_a_consistency_proof_does_not_prove_other_sizes(
    claim: tuple[int, int, list[bytes]], other_old: int, other_new: int
) -> None:
    old_size, new_size, proof = claim
    # Sizes whose proofs hash the same way are the same claim (2 -> 4 and 4 -> 8 both take one
    # right-hand hash); outside 0 < m < n a non-empty proof is refused outright.
    assume(
        not 0 < other_old < other_new
        or _consistency_shape(other_old, other_new) != _consistency_shape(old_size, new_size)
    )
    assert not verify_consistency(
        old_size=other_old,
        new_size=other_new,
        old_root=ROOTS[old_size],
        new_root=ROOTS[new_size],
        proof=proof,
    )


@given(claim=extensions())
def test_a_consistency_proof_does_not_run_backwards(claim: tuple[int, int, list[bytes]]) -> None:
    old_size, new_size, proof = claim
    for candidate in (proof, []):
        assert not verify_consistency(
            old_size=new_size,
            new_size=old_size,
            old_root=ROOTS[new_size],
            new_root=ROOTS[old_size],
            proof=candidate,
        )
        assert not verify_consistency(
            old_size=new_size,
            new_size=old_size,
            old_root=ROOTS[old_size],
            new_root=ROOTS[new_size],
            proof=candidate,
        )


@given(claim=extensions())
def test_a_consistency_proof_with_swapped_roots_is_refused(
    claim: tuple[int, int, list[bytes]],
) -> None:
    old_size, new_size, proof = claim
    assert not verify_consistency(
        old_size=old_size,
        new_size=new_size,
        old_root=ROOTS[new_size],
        new_root=ROOTS[old_size],
        proof=proof,
    )


@given(new_size=SIZES, extra=HASHES)
def test_the_empty_tree_is_consistent_with_every_tree_by_an_empty_proof_only(
    new_size: int, extra: bytes
) -> None:
    assert _consistent(0, new_size, [])
    assert not _consistent(0, new_size, [extra])
    assert not _consistent(0, new_size, [ROOTS[new_size]])
    assert not verify_consistency(
        old_size=0, new_size=new_size, old_root=extra, new_root=ROOTS[new_size], proof=[]
    )


@given(size=SIZES, extra=HASHES)
def test_a_tree_is_consistent_with_itself_by_an_empty_proof_only(size: int, extra: bytes) -> None:
    assert _consistent(size, size, [])
    assert not _consistent(size, size, [extra])
    assert not verify_consistency(
        old_size=size, new_size=size, old_root=ROOTS[size], new_root=extra, proof=[]
    )


# Malformed input is a failed proof, never an exception

GOOD: dict[str, Any] = {"leaf_hash": LEAVES[2], "index": 2, "tree_size": 5, "root": ROOTS[5]}


@pytest.mark.parametrize(
    "change",
    [
        {"index": 5},
        {"index": -1},
        {"index": 2.0},
        {"index": None},
        {"tree_size": 0},
        {"tree_size": -5},
        {"tree_size": "5"},
        {"leaf_hash": LEAVES[2][:31]},
        {"leaf_hash": "not bytes"},
        {"root": ROOTS[5] + b"\x00"},
        {"root": None},
    ],
)
def test_a_malformed_inclusion_claim_fails_without_raising(change: dict[str, Any]) -> None:
    proof = TREE.inclusion_proof(2, tree_size=5)
    assert verify_inclusion(**GOOD, proof=proof)
    assert not verify_inclusion(**{**GOOD, **change}, proof=proof)


@pytest.mark.parametrize(
    "proof_change",
    [
        lambda proof: [*proof[:1], proof[1][:16], *proof[2:]],
        lambda proof: [*proof[:1], None, *proof[2:]],
        lambda proof: [*proof[:1], proof[1].hex(), *proof[2:]],
        lambda proof: [*proof, b""],
    ],
)
def test_a_proof_with_a_malformed_hash_fails_without_raising(
    proof_change: Callable[[list[bytes]], list[Any]],
) -> None:
    inclusion = proof_change(TREE.inclusion_proof(2, tree_size=5))
    assert not verify_inclusion(**GOOD, proof=inclusion)
    consistency = proof_change(TREE.consistency_proof(3, tree_size=7))
    assert not verify_consistency(
        old_size=3, new_size=7, old_root=ROOTS[3], new_root=ROOTS[7], proof=consistency
    )


@pytest.mark.parametrize(
    ("old_size", "new_size", "old_root", "new_root"),
    [
        (-1, 7, ROOTS[3], ROOTS[7]),
        (3, None, ROOTS[3], ROOTS[7]),
        (3, 7, ROOTS[3][:-1], ROOTS[7]),
        (3, 7, ROOTS[3], b""),
        (True, 7, ROOTS[1], ROOTS[7]),
    ],
)
def test_a_malformed_consistency_claim_fails_without_raising(
    old_size: Any, new_size: Any, old_root: Any, new_root: Any
) -> None:
    proof = TREE.consistency_proof(3, tree_size=7)
    assert not verify_consistency(
        old_size=old_size, new_size=new_size, old_root=old_root, new_root=new_root, proof=proof
    )


# The frontier a sealer keeps


def test_a_frontier_root_is_the_tree_root_after_every_append_up_to_300() -> None:
    frontier = MerkleFrontier()
    for size, leaf in enumerate(LEAVES, start=1):
        frontier.append(leaf)
        assert frontier.size == size
        assert len(frontier.to_list()) == size.bit_count()
        assert frontier.root() == root_of(LEAVES[:size]), size


def test_a_frontier_resumed_from_its_saved_list_carries_on_as_if_never_stopped() -> None:
    for stopped_at in range(len(LEAVES) + 1):
        frontier = MerkleFrontier()
        for leaf in LEAVES[:stopped_at]:
            frontier.append(leaf)
        resumed = MerkleFrontier.from_list(stopped_at, frontier.to_list())
        assert (resumed.size, resumed.root()) == (frontier.size, frontier.root())
        for leaf in LEAVES[stopped_at : stopped_at + 5]:
            resumed.append(leaf)
        assert resumed.root() == root_of(LEAVES[: stopped_at + 5]), stopped_at


def test_a_frontier_saved_list_is_a_copy() -> None:
    frontier = MerkleFrontier()
    frontier.append(LEAVES[0])
    frontier.to_list().clear()
    assert frontier.root() == LEAVES[0]


@pytest.mark.parametrize(
    ("size", "hashes"),
    [
        (3, [LEAVES[0]]),
        (3, [LEAVES[0], LEAVES[1], LEAVES[2]]),
        (0, [LEAVES[0]]),
        (1, [LEAVES[0][:31]]),
        (1, ["not bytes"]),
        (-1, []),
    ],
)
def test_a_frontier_refuses_a_saved_list_no_tree_of_that_size_has(
    size: int, hashes: list[bytes]
) -> None:
    with pytest.raises(MerkleTreeShapeError):
        MerkleFrontier.from_list(size, hashes)


def test_a_frontier_refuses_data_that_is_not_a_leaf_hash() -> None:
    with pytest.raises(MerkleTreeShapeError, match="leaf_hash"):
        MerkleFrontier().append(b"an event, not its hash")
