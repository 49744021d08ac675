"""Witnesses (C2SP tlog-witness, tlog-cosignature): a second key that cosigns a checkpoint only
when it extends the last one it cosigned, so the log's own key alone cannot fork history.

The add-checkpoint request body is `old <size>`, the consistency proof (one base64 hash a line),
a blank line, then the checkpoint as a signed note. A cosignature (type 0x04) is an Ed25519
signature over `cosignature/v1\\ntime <unix seconds>\\n` and the checkpoint's text; its note
line carries key ID || 8-byte big-endian time || signature. `decide` is the witness's whole
judgement, given what it last cosigned: pure, so a property test can throw histories at it.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from application.ledger.checkpoint import (
    COSIGNATURE_V1,
    DASH,
    Checkpoint,
    CheckpointError,
    NoteKey,
    SignedNote,
    ed25519_valid,
    key_id,
    parse_checkpoint,
    signature_line,
    split_note,
)
from application.ledger.merkle import EMPTY_ROOT, HASH_SIZE, verify_consistency

MAX_PROOF_LINES = 63  # tlog-witness: a client sends no more
_OLD = re.compile(r"old (0|[1-9][0-9]*)")


class CosigningRefusedError(Exception):
    """The witness will not cosign: the HTTP status tlog-witness gives the case, and why."""

    def __init__(self, status: int, message: str, *, size: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.size = size  # with 409: the size of the last checkpoint the witness cosigned


@dataclass(frozen=True)
class AddCheckpoint:
    """An add-checkpoint request: the size the client believes the witness is at, the proof
    from there to the checkpoint, and the checkpoint note itself."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str

    def body(self) -> bytes:
        lines = [f"old {self.old_size}", *(base64.b64encode(h).decode() for h in self.proof)]
        return ("\n".join(lines) + "\n\n" + self.note).encode()


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    """The request as the spec writes it; anything else is a 400."""
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise CosigningRefusedError(400, "the request body is not UTF-8 text") from None
    head, separator, note = text.partition("\n\n")
    if not separator:
        raise CosigningRefusedError(
            400, "the body is the old size line, proof lines, a blank line, a checkpoint"
        )
    lines = head.split("\n")
    old = _OLD.fullmatch(lines[0])
    if old is None:
        raise CosigningRefusedError(
            400, "the first line must be `old <size>` (decimal, no leading zeroes)"
        )
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise CosigningRefusedError(400, f"a consistency proof has at most {MAX_PROOF_LINES} lines")
    proof = []
    for line in lines[1:]:
        try:
            hashed = base64.b64decode(line, validate=True)
        except binascii.Error:
            hashed = b""
        if len(hashed) != HASH_SIZE:
            raise CosigningRefusedError(
                400, f"a proof line must be one base64 SHA-256 hash: {line[:60]!r}"
            )
        proof.append(hashed)
    return AddCheckpoint(int(old.group(1)), tuple(proof), note)


@dataclass(frozen=True)
class Cosigned:
    """What a witness keeps per log: the last checkpoint it cosigned (its note with the
    witness's own cosignature appended)."""

    size: int
    root: bytes
    note: str


def signed_by(note: SignedNote, key: NoteKey) -> bool | None:
    """None when the note has no signature line of `key` (by name and key ID); else whether
    it verifies (an Ed25519 note signature over the text)."""
    signatures = note.by(key)
    if not signatures:
        return None
    message = note.text.encode()
    return all(ed25519_valid(key.public_key, signature, message) for signature in signatures)


def decide(
    request: AddCheckpoint, *, state: Mapping[str, Cosigned], log_keys: Sequence[NoteKey]
) -> Checkpoint:
    """The checkpoint to cosign given the witness's `state` (per origin, the last checkpoint it
    cosigned), or CosigningRefusedError with tlog-witness's status, in its order:
    404 unknown origin, 403 no valid log signature, 400 old beyond the checkpoint, 409 old is
    not what was last cosigned, 422 a proof that does not verify (or a root that differs)."""
    try:
        note = split_note(request.note)
        checkpoint = parse_checkpoint(note.text)
    except CheckpointError as error:
        raise CosigningRefusedError(400, f"not a checkpoint: {error}") from None
    keys = [key for key in log_keys if key.name == checkpoint.origin]
    if not keys:
        raise CosigningRefusedError(
            404, f"this witness does not know the log {checkpoint.origin!r}"
        )
    verdicts = [signed_by(note, key) for key in keys]
    if False in verdicts or True not in verdicts:
        raise CosigningRefusedError(403, "the checkpoint is not validly signed by a key of its log")
    if request.old_size > checkpoint.tree_size:
        raise CosigningRefusedError(400, "the old size is larger than the checkpoint's")
    last = state.get(checkpoint.origin)
    size, root = (last.size, last.root) if last is not None else (0, EMPTY_ROOT)
    if request.old_size != size:
        raise CosigningRefusedError(409, f"this witness last cosigned size {size}", size=size)
    if checkpoint.tree_size == 0 and checkpoint.root != EMPTY_ROOT:
        raise CosigningRefusedError(422, "a checkpoint of size 0 must have the empty tree's root")
    if not verify_consistency(
        old_size=size,
        new_size=checkpoint.tree_size,
        old_root=root,
        new_root=checkpoint.root,
        proof=request.proof,
    ):
        raise CosigningRefusedError(
            422,
            f"the checkpoint of size {checkpoint.tree_size} is not consistent with the one of "
            f"size {size} this witness cosigned: refusing to cosign a fork",
        )
    return checkpoint


def cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    """What a cosignature/v1 signs: header, time, and the checkpoint's whole note text."""
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_text}".encode()


def cosignature_line(*, name: str, public_key: bytes, timestamp: int, signature: bytes) -> str:
    """A note signature line (with its newline) for a cosignature of type 0x04."""
    payload = key_id(name, public_key, COSIGNATURE_V1) + struct.pack(">Q", timestamp) + signature
    return signature_line(name, payload)


def cosignature_time(note_text: str, key: NoteKey, signature: bytes) -> int | None:
    """The time of `key`'s cosignature (the payload after the key ID) if it verifies on the
    note text, else None."""
    if key.kind != COSIGNATURE_V1 or len(signature) != 8 + 64:
        return None
    (timestamp,) = struct.unpack(">Q", signature[:8])
    if timestamp == 0 or timestamp >= 2**63:
        return None
    if not ed25519_valid(key.public_key, signature[8:], cosigned_message(note_text, timestamp)):
        return None
    return int(timestamp)


def cosigners(note: str, witnesses: Iterable[NoteKey]) -> dict[NoteKey, int]:
    """The witnesses among `witnesses` whose cosignature on `note` verifies, with its time;
    other signature lines (the log's, unknown witnesses') are ignored."""
    split = split_note(note)
    found = {}
    for witness in witnesses:
        times = [cosignature_time(split.text, witness, s) for s in split.by(witness)]
        if times and all(times):
            found[witness] = max(t for t in times if t)
    return found


def with_signatures(note: str, lines: Iterable[str]) -> str:
    """The note with more signature lines appended (each ends with its newline), once each:
    a signed-note verifier checks the ones it knows and ignores the rest."""
    present = set(note.split("\n"))
    return note + "".join(line for line in lines if line.rstrip("\n") not in present)


def response_lines(body: str) -> list[str]:
    """The signature lines of a 200 answer to add-checkpoint (each with its newline)."""
    if not body.endswith("\n"):
        raise CheckpointError("a witness's answer is signature lines, each ending in a newline")
    lines = [line + "\n" for line in body[:-1].split("\n")]
    if not all(line.startswith(f"{DASH} ") for line in lines):
        raise CheckpointError("a witness's answer holds something other than signature lines")
    return lines


@dataclass(frozen=True)
class QuorumVerdict:
    """Whether `quorum` of the given witnesses cosigned the checkpoint of the verified head."""

    ok: bool
    detail: str


def check_quorum(
    *, note: str, head_size: int, head_root: bytes, witnesses: Sequence[NoteKey], quorum: int
) -> QuorumVerdict:
    """Cosignatures on `note` from distinct `witnesses`, counted only when the note is the
    checkpoint of the head verification recomputed (same size, same root)."""
    try:
        checkpoint = parse_checkpoint(split_note(note).text)
        found = cosigners(note, witnesses)
    except CheckpointError as error:
        return QuorumVerdict(False, f"the latest checkpoint is not a signed note: {error}")
    if (checkpoint.tree_size, checkpoint.root) != (head_size, head_root):
        return QuorumVerdict(
            False,
            f"the latest checkpoint (size {checkpoint.tree_size}) is not the latest signed "
            f"head (size {head_size}, root {head_root.hex()}): its cosignatures prove nothing "
            "about this log",
        )
    names = ", ".join(f"{w.name} ({w.key_id.hex()})" for w in found) or "none"
    missing = ", ".join(f"{w.name} ({w.key_id.hex()})" for w in witnesses if w not in found)
    detail = (
        f"{len(found)} of the {quorum} witness cosignature(s) required on the checkpoint at size "
        f"{head_size}: cosigned by {names}" + (f"; not by {missing}" if missing else "")
    )
    return QuorumVerdict(len(found) >= quorum, detail)
