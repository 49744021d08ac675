"""Verification's fast path against its slow path: the same report for any damage, at any place."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any
from uuid import UUID

from hypothesis import example, given, settings
from hypothesis import strategies as st

from application.ledger.damage import VerificationReport
from application.ledger.merkle import leaf_hash, root_of
from application.ledger.records import (
    LeafRow,
    SignedHead,
    StoredRecord,
    TreeHead,
    as_record,
    record_bytes,
    record_leaf_hash,
)
from application.ledger.verify import PROGRESS_EVERY, verify_ledger

OWNERS = [UUID(int=n) for n in (1, 2, 3)]
GOOD, FORGED = b"signed by the trusted key", b"signed by someone else"
DAMAGE = [
    "modify state", "delete event", "insert event", "swap ids", "cut events", "append unsealed",
    "garbage originator", "garbage state", "garbage topic", "garbage version", "negative version",
    "version too large", "negative id", "change leaf hash",
    "delete leaf", "shift leaf position", "cut leaves", "change head root", "forge head signature",
    "drop head", "trust a head", "trust a wrong head", "trust a head beyond the log",
]  # fmt: skip


def signature_ok(head: SignedHead) -> bool:
    return head.signature == GOOD


class Log:
    """A sealed log as plain lists, damaged the way a database administrator could."""

    def __init__(self, size: int, every: int, seed: int) -> None:
        self.records: list[Any] = [
            StoredRecord(10 * n + 10, OWNERS[(n + seed) % 3], n + 1, "modelgov/Model.Event",
                         os.urandom((n * 7 + seed) % 40))
            for n in range(size)
        ]  # fmt: skip
        self.leaves: list[Any] = [
            LeafRow(n, record.notification_id, record_leaf_hash(record))
            for n, record in enumerate(self.records)
        ]
        hashes = [leaf.leaf_hash for leaf in self.leaves]
        self.heads = [
            SignedHead(TreeHead(end, root_of(hashes[:end]), "2026-12-04T00:00:00Z", "k"), GOOD)
            for end in range(every, size + 1, every)
        ]
        self.trusted: list[TreeHead] = []
        self.hashes = hashes

    def damage(self, kind: str, at: int, other: int) -> None:
        records, leaves, heads = self.records, self.leaves, self.heads
        i = at % len(records) if records else 0
        j = other % len(records) if records else 0

        def put(index: int, field: int, value: object) -> None:
            records[index] = (*records[index][:field], value, *records[index][field + 1 :])

        if kind == "modify state" and records and isinstance(records[i][4], bytes):
            put(i, 4, records[i][4] + b"!")
        elif kind == "delete event" and records:
            del records[i]
        elif kind == "insert event" and records:
            records.insert(i, (records[i][0] - 1, *records[i][1:]))
        elif kind == "swap ids" and records:
            a, b = records[i][0], records[j][0]
            put(i, 0, b)
            put(j, 0, a)
            records.sort(key=lambda record: record[0])
        elif kind == "cut events":
            del records[i:]
        elif kind == "append unsealed":
            last = records[-1][0] if records else 0
            records.append(StoredRecord(last + 5, OWNERS[0], 99, "modelgov/Model.Event", b"new"))
        elif kind == "garbage originator" and records:
            put(i, 1, "not a uuid")
        elif kind == "garbage state" and records:
            put(i, 4, None)
        elif kind == "garbage topic" and records:
            put(i, 3, b"bytes, not text")
        elif kind == "garbage version" and records:
            put(i, 2, "7")
        elif kind == "negative version" and records and isinstance(records[i][2], int):
            put(i, 2, -records[i][2])  # (not after "garbage version" made it a text)
        elif kind == "version too large" and records and isinstance(records[i][2], int):
            put(i, 2, 2**64 + records[i][2])
        elif kind == "negative id" and records:
            put(i, 0, -records[i][0])
            records.sort(key=lambda record: record[0])
        elif kind == "change leaf hash" and leaves:
            leaves[i % len(leaves)] = leaves[i % len(leaves)]._replace(leaf_hash=bytes(32))
        elif kind == "delete leaf" and leaves:
            del leaves[i % len(leaves)]
        elif kind == "shift leaf position" and leaves:
            leaf = leaves[i % len(leaves)]
            leaves[i % len(leaves)] = leaf._replace(position=leaf.position + 1)
        elif kind == "cut leaves":
            del leaves[i:]
        elif kind == "change head root" and heads:
            head = heads[at % len(heads)]
            wrong = TreeHead(head.head.tree_size, bytes(32), head.head.timestamp, "k")
            heads[at % len(heads)] = SignedHead(wrong, head.signature)
        elif kind == "forge head signature" and heads:
            heads[at % len(heads)] = SignedHead(heads[at % len(heads)].head, FORGED)
        elif kind == "drop head" and heads:
            del heads[at % len(heads)]
        elif kind.startswith("trust"):
            size = len(self.hashes) + 3 if kind.endswith("beyond the log") else i + 1
            root = bytes(32) if "wrong" in kind else root_of(self.hashes[:size])
            self.trusted.append(TreeHead(size, root, "2026-12-04T00:00:00Z", "outside"))

    def verify(
        self, *, fast: bool, as_rows: bool, progress: Callable[[int], None] | None = None
    ) -> Any:
        """The report, or the error verification raised (both paths must raise the same)."""
        records = (
            [tuple(r) for r in self.records] if as_rows else list(map(as_record, self.records))
        )
        leaves = [tuple(leaf) for leaf in self.leaves] if as_rows else self.leaves
        try:
            return verify_ledger(records=records, leaves=leaves, heads=self.heads,
                                 signature_ok=signature_ok, trusted=self.trusted,
                                 progress=progress, fast=fast)  # fmt: skip
        except Exception as error:
            return f"{type(error).__name__}: {error}"


damages = st.lists(
    st.tuples(st.sampled_from(DAMAGE), st.integers(0, 200), st.integers(0, 200)), max_size=4
)


@settings(max_examples=400, deadline=None)
@given(
    size=st.integers(0, 40),
    every=st.integers(1, 9),
    seed=st.integers(0, 1000),
    damage=damages,
    as_rows=st.booleans(),
)
@example(  # a version made a text, then asked to be negative (found by CI on 2026-12-04)
    size=5, every=2, seed=0, damage=[("garbage version", 0, 0), ("negative version", 0, 0),
                                     ("version too large", 0, 0)], as_rows=False
)  # fmt: skip
def test_the_fast_path_reports_exactly_what_the_slow_path_reports_for_any_damage(
    size: int, every: int, seed: int, damage: list[tuple[str, int, int]], as_rows: bool
) -> None:
    log = Log(size, every, seed)
    for kind, at, other in damage:
        log.damage(kind, at, other)
    assert log.verify(fast=True, as_rows=as_rows) == log.verify(fast=False, as_rows=as_rows)


@settings(max_examples=100, deadline=None)
@given(size=st.integers(0, 60), every=st.integers(1, 9), seed=st.integers(0, 1000))
def test_an_undamaged_log_passes_with_every_event_and_head_counted(
    size: int, every: int, seed: int
) -> None:
    log = Log(size, every, seed)
    report = log.verify(fast=True, as_rows=True)
    assert isinstance(report, VerificationReport)
    assert report.ok, report.damage
    assert (report.events, report.leaves, report.heads) == (size, size, size // every)


@given(seed=st.integers(0, 1000), at=st.integers(0, 39))
def test_each_kind_of_damage_is_still_reported_at_its_place_on_the_fast_path(
    seed: int, at: int
) -> None:
    expected = {
        "modify state": ("modified", at),
        "delete event": ("deleted", at) if at < 39 else ("truncated", at),
        "cut events": ("truncated", at),
        "change head root": ("head", 5 * (at % 8) + 4),
        "forge head signature": ("signature", 5 * (at % 8) + 4),
    }
    for kind, (found, position) in expected.items():
        log = Log(40, 5, seed)
        log.damage(kind, at, 0)
        report = log.verify(fast=True, as_rows=True)
        assert (found, position) in {(d.kind, d.position) for d in report.damage}, kind


@given(seed=st.integers(0, 1000), at=st.integers(0, 39), as_rows=st.booleans())
def test_integers_no_record_can_hold_are_reported_as_damage_not_raised(
    seed: int, at: int, as_rows: bool
) -> None:
    for kind in ("negative version", "version too large", "negative id"):
        log = Log(40, 5, seed)
        log.damage(kind, at, 0)
        report = log.verify(fast=True, as_rows=as_rows)
        assert isinstance(report, VerificationReport), (kind, report)
        assert not report.ok and report.damage, kind
        assert report == log.verify(fast=False, as_rows=as_rows), kind


def test_record_leaf_hash_hashes_the_same_bytes_as_leaf_hash_of_record_bytes() -> None:
    for n in range(200):
        record = StoredRecord(n * 977 + 5, UUID(int=n), n, "modelgov/Model.É" * (n % 3),
                              os.urandom(n * 3))  # fmt: skip
        assert record_leaf_hash(record) == leaf_hash(record_bytes(record))


def test_progress_is_told_every_ten_thousand_events_on_both_paths() -> None:
    for damaged in (False, True):
        log = Log(2 * PROGRESS_EVERY + 500, 1000, 7)
        if damaged:
            log.damage("modify state", 3, 0)
        told: list[int] = []
        report = log.verify(fast=True, as_rows=True, progress=told.append)
        assert told == [PROGRESS_EVERY, 2 * PROGRESS_EVERY]
        assert report.ok is not damaged
