"""Verification: recompute every leaf from the stored events, every root, every signature.

The stored events and the stored leaves are walked side by side in commit order, so a million
events verify in one pass and constant memory: a fast path while nothing is in doubt, the
slow path (which classifies) from the first doubt on. Damage is reported by position and kind:

- modified: the event at that position no longer hashes to its leaf;
- deleted: a sealed event is gone (a run of them at the end is a truncated tail);
- inserted: an event appears between sealed ones that was never sealed;
- reordered: an event hashes to another position's leaf (rows swapped or renumbered);
- head: the stored leaves do not give the root a signed head has at its size (leaves rewritten);
- signature: a head's signature does not verify, or its key is not trusted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from hashlib import sha256
from itertools import chain

from application.ledger.damage import (
    Damage,
    VerificationReport,
    classify_mismatches,
    classify_missing,
)
from application.ledger.merkle import LEAF_PREFIX, NODE_PREFIX, MerkleFrontier
from application.ledger.records import (
    LEAF_FORMAT,
    RECORD_HEADER,
    STATE_LENGTH,
    LeafFields,
    LeafRow,
    RecordFields,
    SignedHead,
    StoredRecord,
    TreeHead,
    as_record,
    record_leaf_hash,
)
from application.progress import Progress

PROGRESS_EVERY = 10_000
"""How many events between two calls of a verification's `progress` callback."""


def told_of_events(
    progress: Progress | None,
    total: int | None,
    verify: Callable[[Callable[[int], None] | None], VerificationReport],
) -> VerificationReport:
    """Run `verify` (a `verify_ledger` call taking its `progress`) with the events verified so far
    told to `progress` against `total`, the last count too (a terminal's bar ends full)."""
    if progress is None:
        return verify(None)
    tell = progress
    report = verify(lambda done: tell(done, total))
    tell(report.events, total)
    return report


def verify_ledger(
    *,
    records: Iterable[RecordFields],
    leaves: Iterable[LeafFields],
    heads: Sequence[SignedHead],
    signature_ok: Callable[[SignedHead], bool],
    trusted: Sequence[TreeHead] = (),
    progress: Callable[[int], None] | None = None,
    fast: bool = True,
) -> VerificationReport:
    """Check events against leaves, leaves against signed roots, and every signature.

    `trusted` heads come from outside the store (the sealer's head file, a head an auditor kept):
    the log must still reach them with the same root, or leaves and heads were wiped or rewritten.
    Records and leaves are tuples in `StoredRecord`'s and `LeafRow`'s field order (those, or rows
    read in that order); leaf hashes are bytes. `progress`, if given, is called with the number
    of events read so far every PROGRESS_EVERY events.

    Undamaged events take a fast path with no object per event; at the first thing it cannot
    vouch for, the walk goes on from that leaf on the slow path, which classifies the damage.
    `fast=False` walks every leaf on the slow path: the reference the fast one is tested against.
    """
    report = VerificationReport(heads=len(heads))
    tree = _SignedTree(heads, trusted, signature_ok, report)
    record_iter = iter(records)
    leaf_iter = iter(leaves)
    stop = _fast_walk(leaf_iter, record_iter, tree, report, progress, vouch=fast)
    if stop is not None:
        leaf, pending = stop
        rest = map(as_record, _counting(record_iter, report, progress))
        record = as_record(pending) if pending is not None else None
        _slow_walk(chain((leaf,), leaf_iter), record, rest, tree, report)
    tree.finish()
    report.damage.sort(key=lambda d: d.position)
    return report


Stop = tuple[LeafFields, RecordFields | None]
"""Where the fast path stopped: the leaf it could not vouch for, and the record beside it."""


def _fast_walk(
    leaves: Iterator[LeafFields],
    records: Iterator[RecordFields],
    tree: _SignedTree,
    report: VerificationReport,
    progress: Callable[[int], None] | None,
    *,
    vouch: bool,
) -> Stop | None:
    """The walk for an undamaged ledger, inlined: each record hashed from its fields straight
    into the comparison with its leaf, and the frontier merged here. It records no damage of
    events or leaves; any doubt (a gap, an id or a hash that differs, a field of the wrong type)
    hands the leaf to the slow path. Returns None when the leaves ran out with none in doubt."""
    pack_header, pack_length, sha = RECORD_HEADER.pack, STATE_LENGTH.pack, sha256
    subtrees = tree.frontier.to_list()
    stops = tree.stops
    size = events = 0
    record = next(records, None)
    events += record is not None
    for leaf in leaves:
        try:
            position, notification_id, sealed = leaf
            if not vouch or position != size or record is None or record[0] != notification_id:
                raise _DoubtError
            _, originator, version, topic, state = record
            name = topic.encode()
            header = pack_header(LEAF_FORMAT, notification_id, originator.bytes, version, len(name))
            digest = sha(b"".join((LEAF_PREFIX, header, name, pack_length(len(state)), state)))
            node = digest.digest()
            if node != sealed:
                raise _DoubtError
        except Exception:  # the slow path does it again and says what it was, or raises it
            tree.frontier = MerkleFrontier.from_list(size, subtrees)
            report.leaves, report.events = size, events
            return leaf, record
        carry = size
        while carry & 1:
            node = sha(NODE_PREFIX + subtrees.pop() + node).digest()
            carry >>= 1
        subtrees.append(node)
        size += 1
        record = next(records, None)
        if record is not None:
            events += 1
            if progress is not None and not events % PROGRESS_EVERY:
                progress(events)
        if size in stops:
            tree.frontier = MerkleFrontier.from_list(size, subtrees)
            tree.reached()
    tree.frontier = MerkleFrontier.from_list(size, subtrees)
    report.leaves, report.events = size, events
    if record is not None:
        report.unsealed = 1 + sum(1 for _ in _counting(records, report, progress))
    return None


class _DoubtError(Exception):
    """The fast path cannot vouch for this leaf: the slow path takes it from here."""


def _slow_walk(
    leaves: Iterable[LeafFields],
    record: StoredRecord | None,
    record_iter: Iterator[StoredRecord],
    tree: _SignedTree,
    report: VerificationReport,
) -> None:
    """Every leaf with its record, the damage classified: the walk from the first doubt on."""
    frontier = tree.frontier
    mismatched: dict[int, tuple[LeafRow, StoredRecord]] = {}
    deleted: list[LeafRow] = []
    for fields in leaves:
        leaf = LeafRow._make(fields)
        report.leaves += 1
        if leaf.position != frontier.size:
            report.damage.append(
                Damage(frontier.size, "head", f"leaf rows are not dense at {leaf.position}")
            )
        while record is not None and record.notification_id < leaf.notification_id:
            report.damage.append(
                Damage(leaf.position, "inserted",
                       f"event {record.notification_id} (model revision {record.originator_version}) "
                       "was never sealed but sits between sealed events")
            )  # fmt: skip
            record = next(record_iter, None)
        if record is None or record.notification_id > leaf.notification_id:
            deleted.append(leaf)
        else:
            if record_leaf_hash(record) != leaf.leaf_hash:
                mismatched[leaf.position] = (leaf, record)
            record = next(record_iter, None)
        frontier.append(leaf.leaf_hash)
        if frontier.size in tree.stops:
            tree.reached()
    while record is not None:
        report.unsealed += 1
        record = next(record_iter, None)
    report.damage += classify_missing(deleted, report.leaves)
    report.damage += classify_mismatches(mismatched)


def _counting(
    records: Iterable[RecordFields],
    report: VerificationReport,
    progress: Callable[[int], None] | None,
) -> Iterator[RecordFields]:
    for record in records:
        report.events += 1
        if progress is not None and not report.events % PROGRESS_EVERY:
            progress(report.events)
        yield record


class _SignedTree:
    """The frontier being rebuilt, and the signed and trusted heads it must meet on its way."""

    def __init__(
        self,
        heads: Sequence[SignedHead],
        trusted: Sequence[TreeHead],
        signature_ok: Callable[[SignedHead], bool],
        report: VerificationReport,
    ) -> None:
        self.frontier = MerkleFrontier()
        self.anchors = {head.tree_size: head.root for head in trusted}
        self.pending = iter(sorted(heads, key=lambda h: h.head.tree_size))
        self.next_head = next(self.pending, None)
        self.stops = set(self.anchors) | {head.head.tree_size for head in heads}
        self.signature_ok = signature_ok
        self.report = report

    def reached(self) -> None:
        """At a size where a trusted head or a signed one is due: check the root against them."""
        frontier, report = self.frontier, self.report
        if frontier.size in self.anchors and frontier.root() != self.anchors[frontier.size]:
            report.damage.append(
                Damage(frontier.size - 1, "head",
                       f"the log's root at size {frontier.size} differs from the trusted head's: "
                       "the sealed history was rewritten")
            )  # fmt: skip
        while self.next_head is not None and self.next_head.head.tree_size == frontier.size:
            _check_head(self.next_head, frontier.root(), report, self.signature_ok)
            self.next_head = next(self.pending, None)

    def finish(self) -> None:
        """After the last leaf: heads and trusted heads beyond it mean leaves were removed."""
        size, report = self.frontier.size, self.report
        for head in [self.next_head, *self.pending] if self.next_head else []:
            report.damage.append(
                Damage(size, "truncated",
                       f"a head was signed at size {head.head.tree_size} but only {size} leaves remain")
            )  # fmt: skip
        for anchor in sorted(anchor for anchor in self.anchors if anchor > size):
            report.damage.append(
                Damage(size, "truncated",
                       f"a trusted head covers {anchor} events but the log has only {size} leaves: "
                       "leaves or heads were removed")
            )  # fmt: skip


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
