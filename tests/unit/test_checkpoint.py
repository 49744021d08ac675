"""Checkpoints as signed notes: the vkey, the note's lines, and what is refused."""

from __future__ import annotations

import base64
from hashlib import sha256

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st

from application.ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    key_id,
    parse_checkpoint,
    parse_vkey,
    signed_note,
    split_note,
    vkey,
)

NAMES = st.text(
    alphabet=st.characters(
        blacklist_categories=("Zs", "Zl", "Zp", "Cc", "Cs"), blacklist_characters="+"
    ),
    min_size=1,
    max_size=40,
)


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@given(name=NAMES, seed=st.binary(min_size=32, max_size=32), size=st.integers(0, 2**63))
def test_a_signed_note_splits_back_into_its_checkpoint_and_a_signature_that_checks(
    name: str, seed: bytes, size: int
) -> None:
    private = Ed25519PrivateKey.from_private_bytes(seed)
    checkpoint = Checkpoint(name, size, bytes(range(32)))
    note = signed_note(checkpoint, name, _raw(private), private.sign(checkpoint.text().encode()))
    key = parse_vkey(vkey(name, _raw(private)))  # its base64 may hold '+' and '/'
    assert (key.name, key.public_key, key.key_id) == (
        name,
        _raw(private),
        key_id(name, _raw(private)),
    )
    split = split_note(note)
    assert parse_checkpoint(split.text) == checkpoint
    (signature,) = split.by(key)
    private.public_key().verify(signature, split.text.encode())


def test_the_key_id_is_the_signed_note_hash_of_name_and_key() -> None:
    # signed-note: SHA-256(name || 0x0A || 0x01 || key)[:4], written out here from the spec
    # (tests/interop checks the vkeys against Go's sumdb/note itself).
    raw = bytes(32)
    assert key_id("example.com/log", raw) == sha256(b"example.com/log\n\x01" + raw).digest()[:4]
    assert key_id("example.com/log", raw).hex() == "a3ad76db"  # pinned: the format cannot drift
    assert (
        vkey("example.com/log", raw)
        == "example.com/log+a3ad76db+" + base64.b64encode(b"\x01" + raw).decode()
    )


@pytest.mark.parametrize(
    "bad",
    [
        "a b",
        "a+b",
        "",
    ],
)
def test_a_name_with_spaces_or_plus_is_refused(bad: str) -> None:
    with pytest.raises(CheckpointError):
        vkey(bad, bytes(32))


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("origin\n12\n", "three non-empty lines"),
        ("origin\n012\n" + base64.b64encode(bytes(32)).decode() + "\n", "tree size"),
        ("origin\n-1\n" + base64.b64encode(bytes(32)).decode() + "\n", "tree size"),
        ("origin\n1\n" + base64.b64encode(bytes(31)).decode() + "\n", "root hash"),
        ("origin\n1\nnot base64!\n", "root hash"),
        ("origin\n1\n" + base64.b64encode(bytes(32)).decode(), "three non-empty lines"),
    ],
)
def test_a_malformed_checkpoint_is_refused_saying_which_line(text: str, says: str) -> None:
    with pytest.raises(CheckpointError, match=says):
        parse_checkpoint(text)


@pytest.mark.parametrize(
    "note",
    [
        "origin\n1\nAAAA\n",  # no signatures
        "origin\n1\nAAAA\n\n- origin AAAAAAAA\n",  # a hyphen, not the em dash
        "origin\n1\nAAAA\n\n\u2014 origin AAA\n",  # fewer than 5 bytes
    ],
)
def test_a_note_without_a_well_formed_signature_line_is_refused(note: str) -> None:
    with pytest.raises(CheckpointError):
        split_note(note)


def test_a_vkey_whose_id_does_not_match_its_key_is_refused() -> None:
    good = vkey("example.com/log", bytes(32))
    name, _, key = good.split("+", 2)
    with pytest.raises(CheckpointError, match="does not match"):
        parse_vkey(f"{name}+00000000+{key}")
