"""What the ledger hashes and signs: canonical bytes of a stored event record, and of a tree head."""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass
from typing import Any
from uuid import UUID

_LEAF_FORMAT = b"modelgov-leaf-v1"
_HEAD_FORMAT = "modelgov-tree-head-v1"


@dataclass(frozen=True)
class StoredRecord:
    """An event as stored: its notification id (the global order, with gaps) and the stored bytes.

    `state` is what the database holds (ciphertext), so hashing never needs the data key.
    """

    notification_id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


def record_bytes(record: StoredRecord) -> bytes:
    """Canonical, unambiguous bytes of a record: fixed-width integers and length-prefixed fields."""
    topic = record.topic.encode()
    return b"".join(
        (
            _LEAF_FORMAT,
            struct.pack(">Q", record.notification_id),
            record.originator_id.bytes,
            struct.pack(">Q", record.originator_version),
            struct.pack(">I", len(topic)),
            topic,
            struct.pack(">Q", len(record.state)),
            record.state,
        )
    )


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


@dataclass(frozen=True)
class LeafRow:
    """One leaf as the ledger stored it: its dense position, the record's notification id, its hash."""

    position: int
    notification_id: int
    leaf_hash: bytes
