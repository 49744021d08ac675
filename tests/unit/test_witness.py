"""The witness's judgement (C2SP tlog-witness) and the cosignature/v1 format, without a server:
each refusal has the spec's status, and no sequence of checkpoints gets two inconsistent ones
cosigned."""

from __future__ import annotations

import base64
import itertools
import struct
from collections.abc import Sequence
from hashlib import sha256

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from application.ledger.checkpoint import (
    COSIGNATURE_V1,
    Checkpoint,
    NoteKey,
    key_id,
    parse_vkey,
    signed_note,
    vkey,
)
from application.ledger.merkle import EMPTY_ROOT, consistency_proof, leaf_hash, root_of
from application.ledger.witness import (
    AddCheckpoint,
    Cosigned,
    CosigningRefusedError,
    check_quorum,
    cosignature_line,
    cosigned_message,
    cosigners,
    decide,
    parse_add_checkpoint,
    with_signatures,
)

ORIGIN = "modelgov.example/ledger"
LOG_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
WITNESS_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


LOG = parse_vkey(vkey(ORIGIN, _raw(LOG_KEY)))
WITNESS = parse_vkey(vkey("witness.example/w1", _raw(WITNESS_KEY), COSIGNATURE_V1), COSIGNATURE_V1)


def _note(
    leaves: Sequence[bytes], *, key: Ed25519PrivateKey = LOG_KEY, origin: str = ORIGIN
) -> str:
    checkpoint = Checkpoint(origin, len(leaves), root_of(list(leaves)))
    return signed_note(checkpoint, origin, _raw(key), key.sign(checkpoint.text().encode()))


def _leaves(*values: int) -> list[bytes]:
    return [leaf_hash(bytes([v])) for v in values]


def _request(old: int, leaves: Sequence[bytes], **note: object) -> AddCheckpoint:
    proof = consistency_proof(list(leaves), old) if 0 < old < len(leaves) else []
    return AddCheckpoint(old, tuple(proof), _note(leaves, **note))  # type: ignore[arg-type]


def _state(leaves: Sequence[bytes]) -> dict[str, Cosigned]:
    return {ORIGIN: Cosigned(len(leaves), root_of(list(leaves)), _note(leaves))}


def _refused(request: AddCheckpoint, state: dict[str, Cosigned]) -> int:
    with pytest.raises(CosigningRefusedError) as refused:
        decide(request, state=state, log_keys=[LOG])
    return refused.value.status


def test_a_request_body_is_written_and_read_as_the_spec_shows() -> None:
    request = _request(3, _leaves(1, 2, 3, 4, 5))
    body = request.body()
    head = body.decode().split("\n\n")[0].split("\n")
    assert head[0] == "old 3" and len(head) == 1 + len(request.proof)
    assert parse_add_checkpoint(body) == request
    first = AddCheckpoint(0, (), _note(_leaves(1)))
    assert first.body().startswith(b"old 0\n\nmodelgov.example/ledger\n1\n")
    assert parse_add_checkpoint(first.body()) == first


@pytest.mark.parametrize(
    "body",
    [b"old 01\n\nx", b"old -1\n\nx", b"new 1\n\nx", b"old 1\nnot-base64!\n\nx", b"old 1",
     b"old 1\n" + b"AAAA\n" * 2 + b"\nx", b"\xff\xfe", b"old 1\n" + (b"A" * 43 + b"=\n") * 64 + b"\nx"],
)  # fmt: skip
def test_a_malformed_body_is_a_400(body: bytes) -> None:
    with pytest.raises(CosigningRefusedError) as refused:
        request = parse_add_checkpoint(body)
        decide(request, state={}, log_keys=[LOG])
    assert refused.value.status == 400


def test_the_first_checkpoint_is_cosigned_from_old_0_and_then_only_extensions() -> None:
    log = _leaves(*range(10))
    assert decide(_request(0, log[:4]), state={}, log_keys=[LOG]).tree_size == 4
    state = _state(log[:4])
    assert decide(_request(4, log[:4]), state=state, log_keys=[LOG]).tree_size == 4  # again
    assert decide(_request(4, log), state=state, log_keys=[LOG]).tree_size == 10


def test_each_refusal_has_the_status_tlog_witness_gives_it() -> None:
    log = _leaves(*range(10))
    fork = _leaves(0, 1, 2, 99, 4, 5, 6, 7, 8, 9)
    state = _state(log[:6])
    stranger = Ed25519PrivateKey.generate()
    assert _refused(_request(6, log, origin="other.example/log"), state) == 404
    assert _refused(_request(6, log, key=stranger), state) == 403  # no signature by its key
    forged = _request(6, log)
    bad = forged.note.replace(
        forged.note.split(" ")[-1], base64.b64encode(LOG.key_id + bytes(64)).decode()
    )
    assert _refused(AddCheckpoint(6, forged.proof, bad + "\n"), state) == 403
    assert _refused(AddCheckpoint(8, (), _note(log[:6])), state) == 400  # old beyond it
    with pytest.raises(CosigningRefusedError) as conflict:
        decide(_request(0, log), state=state, log_keys=[LOG])
    assert (conflict.value.status, conflict.value.size) == (409, 6)
    assert _refused(_request(6, fork), state) == 422  # a proof from the fork's own size 6
    assert _refused(_request(6, fork[:6]), state) == 422  # same size, another root
    assert _refused(AddCheckpoint(6, (EMPTY_ROOT,), _note(log)), state) == 422
    assert _refused(AddCheckpoint(0, (EMPTY_ROOT,), _note(log)), {}) == 422  # old 0: no proof
    empty = Checkpoint(ORIGIN, 0, sha256(b"x").digest())
    note = signed_note(empty, ORIGIN, _raw(LOG_KEY), LOG_KEY.sign(empty.text().encode()))
    assert _refused(AddCheckpoint(0, (), note), {}) == 422  # size 0 has the empty root
    assert _refused(_request(4, log[:4]), state) == 409  # smaller than what it cosigned


def test_a_cosignature_is_the_spec_s_line_and_verifies_with_the_witness_vkey() -> None:
    note = _note(_leaves(1, 2, 3))
    text = note.split("\n\n")[0] + "\n"
    signature = WITNESS_KEY.sign(cosigned_message(text, 1679315147))
    line = cosignature_line(
        name=WITNESS.name, public_key=WITNESS.public_key, timestamp=1679315147, signature=signature
    )
    payload = base64.b64decode(line.split(" ")[2])
    assert line.startswith("\u2014 witness.example/w1 ") and line.endswith("\n")
    assert payload[:4] == key_id(WITNESS.name, WITNESS.public_key, COSIGNATURE_V1)
    assert payload[:4] == sha256(b"witness.example/w1\n\x04" + WITNESS.public_key).digest()[:4]
    assert struct.unpack(">Q", payload[4:12]) == (1679315147,) and len(payload) == 76
    assert cosigned_message(text, 7) == f"cosignature/v1\ntime 7\n{text}".encode()
    cosigned = with_signatures(note, [line])
    assert cosigners(cosigned, [WITNESS]) == {WITNESS: 1679315147}
    assert with_signatures(cosigned, [line]) == cosigned  # once each
    assert cosigners(cosigned.replace("\n3\n", "\n4\n"), [WITNESS]) == {}
    other = NoteKey(WITNESS.name, b"\x00" * 4, WITNESS.public_key, COSIGNATURE_V1)
    assert cosigners(cosigned, [other]) == {}


def test_a_quorum_counts_distinct_witnesses_on_the_verified_head_only() -> None:
    leaves = _leaves(1, 2, 3)
    note = _note(leaves)
    text = note.split("\n\n")[0] + "\n"
    line = cosignature_line(
        name=WITNESS.name, public_key=WITNESS.public_key, timestamp=5,
        signature=WITNESS_KEY.sign(cosigned_message(text, 5)),
    )  # fmt: skip
    cosigned, root = with_signatures(note, [line]), root_of(leaves)
    second = parse_vkey(vkey("w2", _raw(Ed25519PrivateKey.generate()), COSIGNATURE_V1), 4)
    verdict = check_quorum(
        note=cosigned, head_size=3, head_root=root, witnesses=[WITNESS], quorum=1
    )
    assert verdict.ok and "1 of the 1" in verdict.detail
    short = check_quorum(
        note=cosigned, head_size=3, head_root=root, witnesses=[WITNESS, second], quorum=2
    )
    assert not short.ok and "not by w2" in short.detail
    elsewhere = check_quorum(
        note=cosigned, head_size=3, head_root=EMPTY_ROOT, witnesses=[WITNESS], quorum=1
    )
    assert not elsewhere.ok and "not the latest signed head" in elsewhere.detail


# Histories: the true log, and forks of it (one leaf changed at some position).
TRUE_LOG = _leaves(*range(40))
SUBMISSION = st.tuples(st.integers(0, 40), st.none() | st.integers(0, 39), st.booleans())


@settings(max_examples=150, deadline=None)
@given(submissions=st.lists(SUBMISSION, min_size=1, max_size=12))
def test_no_sequence_of_checkpoints_gets_two_inconsistent_ones_cosigned(
    submissions: list[tuple[int, int | None, bool]],
) -> None:
    """Each submission is a checkpoint of the true log or of a fork, sent the way a log would
    (after a 409, again from the size the witness gave) or with a stale old size."""
    state: dict[str, Cosigned] = {}
    cosigned: list[list[bytes]] = []
    for size, forked_at, stale in submissions:
        leaves = list(TRUE_LOG[:size])
        if forked_at is not None and forked_at < size:
            leaves[forked_at] = leaf_hash(b"forged %d" % forked_at)
        at = state[ORIGIN].size if ORIGIN in state else 0
        old = min(at, size) if not stale else max(0, at - 1)
        try:
            checkpoint = decide(_request(old, leaves), state=state, log_keys=[LOG])
        except CosigningRefusedError as refused:
            assert refused.status in (400, 409, 422)
            continue
        state[ORIGIN] = Cosigned(checkpoint.tree_size, checkpoint.root, "")
        cosigned.append(leaves)
    for earlier, later in itertools.pairwise(cosigned):
        assert len(earlier) <= len(later) and later[: len(earlier)] == earlier
