"""Verification: recompute every leaf from the stored events, every root, every signature.

The stored events and the stored leaves are walked side by side in commit order, so a million
events verify in one pass and constant memory. Damage is reported by position and kind:

- modified: the event at that position no longer hashes to its leaf;
- deleted: a sealed event is gone (a run of them at the end is a truncated tail);
- inserted: an event appears between sealed ones that was never sealed;
- reordered: an event hashes to another position's leaf (rows swapped or renumbered);
- head: the stored leaves do not give the root a signed head has at its size (leaves rewritten);
- signature: a head's signature does not verify, or its key is not trusted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from application.ledger.merkle import MerkleFrontier, leaf_hash
from application.ledger.records import LeafRow, SignedHead, StoredRecord, TreeHead, record_bytes


@dataclass(frozen=True)
class Damage:
    position: int
    kind: str
    detail: str


@dataclass
class VerificationReport:
    events: int = 0
    leaves: int = 0
    heads: int = 0
    unsealed: int = 0
    damage: list[Damage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.damage

    @property
    def first_damage(self) -> Damage | None:
        return min(self.damage, key=lambda d: d.position) if self.damage else None


def verify_ledger(
    *,
    records: Iterable[StoredRecord],
    leaves: Iterable[LeafRow],
    heads: Sequence[SignedHead],
    signature_ok: Callable[[SignedHead], bool],
    trusted: Sequence[TreeHead] = (),
) -> VerificationReport:
    """Check events against leaves, leaves against signed roots, and every signature.

    `trusted` heads come from outside the store (the sealer's head file, a head an auditor kept):
    the log must still reach them with the same root, or leaves and heads were wiped or rewritten.
    """
    report = VerificationReport(heads=len(heads))
    anchors = {head.tree_size: head.root for head in trusted}
    by_size = sorted(heads, key=lambda h: h.head.tree_size)
    pending_heads = iter(by_size)
    next_head = next(pending_heads, None)
    frontier = MerkleFrontier()
    mismatched: dict[int, tuple[LeafRow, StoredRecord]] = {}
    deleted: list[LeafRow] = []
    record_iter = _counting(records, report)
    record = next(record_iter, None)
    for leaf in leaves:
        report.leaves += 1
        if leaf.position != frontier.size:
            report.damage.append(
                Damage(frontier.size, "head", f"leaf rows are not dense at {leaf.position}")
            )
        while record is not None and record.notification_id < leaf.notification_id:
            report.damage.append(
                Damage(leaf.position, "inserted",
                       f"event {record.notification_id} (model version {record.originator_version}) "
                       "was never sealed but sits between sealed events")
            )  # fmt: skip
            record = next(record_iter, None)
        if record is None or record.notification_id > leaf.notification_id:
            deleted.append(leaf)
        else:
            if leaf_hash(record_bytes(record)) != leaf.leaf_hash:
                mismatched[leaf.position] = (leaf, record)
            record = next(record_iter, None)
        frontier.append(leaf.leaf_hash)
        if frontier.size in anchors and frontier.root() != anchors[frontier.size]:
            report.damage.append(
                Damage(frontier.size - 1, "head",
                       f"the log's root at size {frontier.size} differs from the trusted head's: "
                       "the sealed history was rewritten")
            )  # fmt: skip
        while next_head is not None and next_head.head.tree_size == frontier.size:
            _check_head(next_head, frontier.root(), report, signature_ok)
            next_head = next(pending_heads, None)
    while record is not None:
        report.unsealed += 1
        record = next(record_iter, None)
    for head in [next_head, *pending_heads] if next_head else []:
        report.damage.append(
            Damage(frontier.size, "truncated",
                   f"a head was signed at size {head.head.tree_size} but only {frontier.size} leaves remain")
        )  # fmt: skip
    for size in sorted(size for size in anchors if size > frontier.size):
        report.damage.append(
            Damage(frontier.size, "truncated",
                   f"a trusted head covers {size} events but the log has only {frontier.size} leaves: "
                   "leaves or heads were removed")
        )  # fmt: skip
    report.damage += _classify_missing(deleted, report.leaves)
    report.damage += _classify_mismatches(mismatched)
    report.damage.sort(key=lambda d: d.position)
    return report


def _counting(
    records: Iterable[StoredRecord], report: VerificationReport
) -> Iterator[StoredRecord]:
    for record in records:
        report.events += 1
        yield record


def _check_head(
    head: SignedHead,
    root: bytes,
    report: VerificationReport,
    signature_ok: Callable[[SignedHead], bool],
) -> None:
    size = head.head.tree_size
    if root != head.head.root:
        report.damage.append(
            Damage(size - 1, "head", f"the leaves give root {root.hex()} at size {size}; "
                   f"the head signed by {head.head.key_id} says {head.head.root.hex()}")
        )  # fmt: skip
    if not signature_ok(head):
        report.damage.append(
            Damage(size - 1, "signature",
                   f"the head at size {size} is not validly signed by a trusted key ({head.head.key_id})")
        )  # fmt: skip


def _classify_missing(deleted: list[LeafRow], leaf_count: int) -> list[Damage]:
    """A run of missing events that reaches the last leaf is a truncated tail; others are deletions."""
    damage = []
    tail_start = leaf_count
    for leaf in reversed(deleted):
        if leaf.position == tail_start - 1:
            tail_start = leaf.position
        else:
            break
    for leaf in deleted:
        if leaf.position >= tail_start:
            damage.append(
                Damage(tail_start, "truncated",
                       f"the last {leaf_count - tail_start} sealed event(s) are gone, from position {tail_start}")
            )  # fmt: skip
            break
        damage.append(
            Damage(leaf.position, "deleted", f"sealed event {leaf.notification_id} is gone")
        )
    return damage


def _classify_mismatches(mismatched: dict[int, tuple[LeafRow, StoredRecord]]) -> list[Damage]:
    """An event that hashes to another mismatched position's leaf was moved there: reordered."""
    damage = []
    for position, (leaf, record) in sorted(mismatched.items()):
        moved_from = next(
            (
                other.position
                for other, _ in mismatched.values()
                if other.position != position
                and leaf_hash(record_bytes(replace(record, notification_id=other.notification_id)))
                == other.leaf_hash
            ),
            None,
        )
        if moved_from is not None:
            damage.append(
                Damage(
                    position,
                    "reordered",
                    f"the event sealed at position {moved_from} now sits here",
                )
            )
        else:
            damage.append(
                Damage(position, "modified",
                       f"event {leaf.notification_id} (model version {record.originator_version}) "
                       "no longer matches its sealed leaf")
            )  # fmt: skip
    return damage
