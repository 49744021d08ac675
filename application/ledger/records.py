"""What the ledger hashes and signs: canonical bytes of a stored event record, and of a tree head."""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass
from typing import Any, NamedTuple
from uuid import UUID

from application.ledger.merkle import LEAF_PREFIX

LEAF_FORMAT = b"modelgov-leaf-v1"
_DAMAGED_FORMAT = b"modelgov-damaged"
"""In place of LEAF_FORMAT for a row whose integers do not fit the format (negative, too large, as
a database administrator can write them): its bytes then differ from every well-formed record's."""
_HEAD_FORMAT = "modelgov-tree-head-v1"

RECORD_HEADER = struct.Struct(">16sQ16sQI")
"""The fixed part of `record_bytes`: format, notification id, originator id, version, topic length."""
STATE_LENGTH = struct.Struct(">Q")

RecordFields = tuple[int, UUID, int, str, bytes]
"""A record's fields in `StoredRecord`'s order: what a well-typed row of the events table is."""


class StoredRecord(NamedTuple):
    """An event as stored: its notification id (the global order, with gaps) and the stored bytes.

    `state` is what the database holds (ciphertext), so hashing never needs the data key. A
    named tuple, so that a row read in this order is one without building anything.
    """

    notification_id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


def record_from_row(
    notification_id: int, originator: object, version: object, topic: object, state: object
) -> StoredRecord:
    """A record from the columns as the database returned them, even when a database
    administrator damaged them (wrong types, garbage): what cannot be read is still hashed, so
    it cannot match its leaf, instead of crashing the verifier."""
    if type(originator) is UUID:
        originator_id = originator
    else:
        try:
            originator_id = UUID(str(originator))
        except ValueError:  # not a UUID any more: keep its bytes in the hash, so it cannot match
            originator_id = UUID(bytes=hashlib.sha256(str(originator).encode()).digest()[:16])
    return StoredRecord(
        int(notification_id),
        originator_id,
        int(version) if isinstance(version, int) else -1,
        str(topic),
        bytes(state) if isinstance(state, bytes | memoryview) else str(state).encode(),
    )


def as_record(fields: RecordFields) -> StoredRecord:
    """A record from its fields, which may be a row as read (see `record_from_row`)."""
    return fields if isinstance(fields, StoredRecord) else record_from_row(*fields)


def record_bytes(record: RecordFields) -> bytes:
    """Canonical, unambiguous bytes of a record: fixed-width integers and length-prefixed fields."""
    return b"".join(_record_pieces(record))


def record_leaf_hash(record: RecordFields) -> bytes:
    """leaf_hash(record_bytes(record)) in one join: the same bytes hashed, one copy fewer."""
    return hashlib.sha256(b"".join((LEAF_PREFIX, *_record_pieces(record)))).digest()


def _record_pieces(record: RecordFields) -> tuple[bytes, bytes, bytes, bytes]:
    """`record_bytes` in pieces: the header, the topic, the state's length, the state."""
    notification_id, originator_id, version, topic, state = record
    name = topic.encode()
    try:
        header = RECORD_HEADER.pack(
            LEAF_FORMAT, notification_id, originator_id.bytes, version, len(name)
        )
    except struct.error:  # an id or version no sealed record can have: damage, not a crash
        header = _DAMAGED_FORMAT + f"{notification_id} {originator_id} {version}\n".encode()
    return header, name, STATE_LENGTH.pack(len(state)), state


def record_json(record: StoredRecord) -> dict[str, Any]:
    """A record as exported (bundles, proofs): its fields, the stored bytes in base64."""
    return {
        "notification_id": record.notification_id,
        "originator_id": str(record.originator_id),
        "originator_version": record.originator_version,
        "topic": record.topic,
        "state": base64.b64encode(record.state).decode(),
    }


def record_from_json(data: dict[str, Any]) -> StoredRecord:
    """A record read back from `record_json`'s form (KeyError or ValueError when it is not one)."""
    return StoredRecord(
        notification_id=int(data["notification_id"]),
        originator_id=UUID(data["originator_id"]),
        originator_version=int(data["originator_version"]),
        topic=str(data["topic"]),
        state=base64.b64decode(data["state"]),
    )


@dataclass(frozen=True)
class ProvenRecord:
    """A stored record, its ledger position, and its inclusion proof in a tree of some size."""

    record: StoredRecord
    position: int
    proof: list[bytes]

    def as_json(self) -> dict[str, Any]:
        return {
            **record_json(self.record),
            "position": self.position,
            "proof": [step.hex() for step in self.proof],
        }


@dataclass(frozen=True)
class TreeHead:
    """The state of the log at `tree_size` leaves: its root, when it was signed and by which key."""

    tree_size: int
    root: bytes
    timestamp: str
    key_id: str

    def signed_bytes(self) -> bytes:
        """What the signature covers (a text form an auditor can rebuild by hand)."""
        return (
            f"{_HEAD_FORMAT}\n{self.tree_size}\n{self.root.hex()}\n{self.timestamp}\n{self.key_id}\n"
        ).encode()


@dataclass(frozen=True)
class SignedHead:
    head: TreeHead
    signature: bytes


LeafFields = tuple[int, int, bytes]
"""A leaf's fields in `LeafRow`'s order: a row of the leaves table as read."""


class LeafRow(NamedTuple):
    """One leaf as the ledger stored it: its dense position, the record's notification id, its hash."""

    position: int
    notification_id: int
    leaf_hash: bytes
