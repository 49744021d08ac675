"""The sealer: follows the event store in commit order, appends a leaf per event, signs tree heads.

It never signs a head that is not consistent with the last one signed: on start it recomputes the
stored leaves and checks them against the last signed head, and before each signature it checks that
the stored leaves still end where it left them. Either failure raises LedgerInconsistentError, which
names what it found; the sealer stops rather than sign over a rewritten log.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from application.ledger.checkpoint import Checkpoint, check_name, signed_note
from application.ledger.merkle import MerkleFrontier
from application.ledger.records import (
    LeafRow,
    SignedHead,
    StoredRecord,
    TreeHead,
    record_leaf_hash,
)
from application.progress import Progress
from domain.instants import utc_text

log = logging.getLogger("modelgov.ledger")


class LedgerInconsistentError(Exception):
    """The stored leaves or heads no longer match what was signed: refusing to sign anything more."""


class LedgerTables(Protocol):
    """Where leaves and signed heads are stored (append-only)."""

    def leaf_rows(self) -> list[LeafRow]: ...

    def leaf_count(self, *, since: int, until: int) -> int: ...

    def leaf_at(self, position: int) -> LeafRow | None: ...

    def append_leaves(self, rows: Sequence[LeafRow]) -> None: ...

    def signed_heads(self) -> list[SignedHead]: ...

    def append_head(self, head: SignedHead) -> None: ...

    def append_checkpoint(self, tree_size: int, key_id: str, note: str) -> None: ...

    def latest_checkpoint(self, *, key_id: str | None = None) -> tuple[int, str] | None: ...

    def checkpoint_key_ids(self, tree_size: int) -> set[str]: ...


class Signer(Protocol):
    @property
    def key_id(self) -> str: ...

    @property
    def public_key(self) -> bytes: ...

    def sign(self, message: bytes) -> bytes: ...


class HeadAnchor(Protocol):
    """The last signed head, kept outside the database (beside the signing key).

    It is what stops a database administrator from wiping leaves and heads and having the
    sealer sign a fresh log over altered events: the sealer refuses when the database is behind it.
    """

    def load(self) -> SignedHead | None: ...

    def save(self, head: SignedHead) -> None: ...


class Witnesses(Protocol):
    """Asks witnesses to cosign a checkpoint (infrastructure/witness/client.py); never raises,
    and may be asked again for the same one: it keeps track of what is cosigned."""

    def cosign(self, tree_size: int, note: str) -> None: ...


class RecordSource(Protocol):
    """The stored events in commit order, read as stored (ciphertext), after a notification id."""

    def records_after(self, notification_id: int, limit: int) -> Sequence[StoredRecord]: ...


@dataclass(frozen=True)
class SealOutcome:
    appended: int
    head: SignedHead | None


class Sealer:
    """Appends leaves for new events and signs a head every `every_events` events or `every_seconds`."""

    def __init__(
        self,
        *,
        source: RecordSource,
        tables: LedgerTables,
        signer: Signer,
        every_events: int = 1000,
        every_seconds: float = 5.0,
        batch: int = 1000,
        anchor: HeadAnchor | None = None,
        origin: str | None = None,
        witnesses: Witnesses | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.source = source
        self.tables = tables
        self.signer = signer
        self.every_events = every_events
        self.every_seconds = every_seconds
        self.batch = batch
        self.anchor = anchor
        self.origin = check_name(origin) if origin is not None else None
        self.witnesses = witnesses
        self._latest_checkpoint: tuple[int, str] | None = None
        self.now = now
        self.frontier = MerkleFrontier()
        self._last_notification_id = 0
        self._last_head: SignedHead | None = None
        self._last_signed_leaf: LeafRow | None = None
        self._last_signed_at = time.monotonic()
        self._load()

    def _load(self) -> None:
        """Rebuild the frontier from the stored leaves and check them against the last signed head."""
        rows = self.tables.leaf_rows()
        heads = self.tables.signed_heads()
        self._last_head = heads[-1] if heads else None
        anchored = self.anchor.load() if self.anchor else None
        if anchored is not None and not any(
            h.head.tree_size == anchored.head.tree_size and h.head.root == anchored.head.root
            for h in heads
        ):
            raise LedgerInconsistentError(
                f"the head this sealer signed at size {anchored.head.tree_size} (root "
                f"{anchored.head.root.hex()}) is not in the database: signed heads were removed or "
                "the ledger was wiped; refusing to sign (run `modelgov verify`)"
            )
        frontier = MerkleFrontier()
        for expected, row in enumerate(rows):
            if row.position != expected:
                raise LedgerInconsistentError(
                    f"the leaves table is not dense: position {row.position} where {expected} belongs"
                )
            frontier.append(row.leaf_hash)
            if self._last_head and frontier.size == self._last_head.head.tree_size:
                self._check_root(frontier.root(), self._last_head)
        if self._last_head and frontier.size < self._last_head.head.tree_size:
            raise LedgerInconsistentError(
                f"the leaves table has {frontier.size} leaves but a head was signed at "
                f"size {self._last_head.head.tree_size}: leaves were removed"
            )
        self.frontier = frontier
        self._last_notification_id = rows[-1].notification_id if rows else 0
        signed_size = self._last_head.head.tree_size if self._last_head else 0
        self._last_signed_leaf = rows[signed_size - 1] if signed_size else None
        key_id = self.signer.key_id
        published = self.tables.latest_checkpoint(key_id=key_id) if self.origin else None
        self._latest_checkpoint = published
        if (
            self._last_head
            and self.origin
            and key_id not in self.tables.checkpoint_key_ids(signed_size)
        ):
            # A head signed before checkpoints existed, by a sealer that died between the head
            # and its checkpoint, or before `keys rotate`: the same root, now also as a note
            # signed by the current key (whose vkey `keys show` prints).
            self._publish_checkpoint(self._last_head.head)

    @staticmethod
    def _check_root(root: bytes, head: SignedHead) -> None:
        if root != head.head.root:
            raise LedgerInconsistentError(
                f"the stored leaves give root {root.hex()} at size {head.head.tree_size}, "
                f"but the head signed at that size has root {head.head.root.hex()}: the leaves "
                "table was rewritten; refusing to sign (run `modelgov verify`)"
            )

    def seal_once(self, *, force_head: bool = False) -> SealOutcome:
        """Append leaves for events recorded since the last call; sign a head if one is due."""
        signed_size = self._last_head.head.tree_size if self._last_head else 0
        # Stop each batch where the next head is due, so heads fall at least every `every_events`.
        limit = min(self.batch, max(1, self.every_events - (self.frontier.size - signed_size)))
        rows: list[LeafRow] = []
        for record in self.source.records_after(self._last_notification_id, limit):
            rows.append(
                LeafRow(
                    position=self.frontier.size + len(rows),
                    notification_id=record.notification_id,
                    leaf_hash=record_leaf_hash(record),
                )
            )
        if rows:
            self.tables.append_leaves(rows)
            for row in rows:
                self.frontier.append(row.leaf_hash)
            self._last_notification_id = rows[-1].notification_id
        head = self._sign_if_due(force=force_head)
        if self.witnesses is not None and self._latest_checkpoint is not None:
            self.witnesses.cosign(*self._latest_checkpoint)  # again later if a witness was away
        return SealOutcome(appended=len(rows), head=head)

    def _sign_if_due(self, *, force: bool) -> SignedHead | None:
        signed_size = self._last_head.head.tree_size if self._last_head else 0
        unsigned = self.frontier.size - signed_size
        elapsed = time.monotonic() - self._last_signed_at
        due = unsigned >= self.every_events or (unsigned > 0 and elapsed >= self.every_seconds)
        if not (due or (force and unsigned > 0)):
            return None
        self._check_stored_leaves_end_where_expected()
        head = TreeHead(
            tree_size=self.frontier.size,
            root=self.frontier.root(),
            timestamp=utc_text(self.now(), timespec="milliseconds"),
            key_id=self.signer.key_id,
        )
        signed = SignedHead(head=head, signature=self.signer.sign(head.signed_bytes()))
        self.tables.append_head(signed)
        self._publish_checkpoint(head)
        if self.anchor is not None:
            self.anchor.save(signed)
        self._last_head = signed
        self._last_signed_leaf = self.tables.leaf_at(head.tree_size - 1)
        self._last_signed_at = time.monotonic()
        log.info(
            "signed tree head at size %d (root %s, key %s)", head.tree_size, head.root.hex(),
            head.key_id, extra={"tree_size": head.tree_size, "root": head.root.hex(),
                                "key_id": head.key_id},
        )  # fmt: skip
        return signed

    def _publish_checkpoint(self, head: TreeHead) -> None:
        """The head as a C2SP checkpoint, signed by the same key (when the log has an origin)."""
        if self.origin is None:
            return
        checkpoint = Checkpoint(self.origin, head.tree_size, head.root)
        signature = self.signer.sign(checkpoint.text().encode())
        note = signed_note(checkpoint, self.origin, self.signer.public_key, signature)
        self.tables.append_checkpoint(head.tree_size, self.signer.key_id, note)
        self._latest_checkpoint = (head.tree_size, note)

    def _check_stored_leaves_end_where_expected(self) -> None:
        """The leaves since the last head (an index range, not the whole table) and the last one."""
        signed_size = self._last_head.head.tree_size if self._last_head else 0
        since = self.tables.leaf_count(since=signed_size, until=self.frontier.size - 1)
        last = self.tables.leaf_at(self.frontier.size - 1)
        beyond = self.tables.leaf_at(self.frontier.size)
        last_signed = self.tables.leaf_at(signed_size - 1) if signed_size else None
        if (
            since != self.frontier.size - signed_size
            or (signed_size and last_signed != self._last_signed_leaf)
            or last is None
            or beyond is not None
            or last.notification_id != self._last_notification_id
        ):
            log.error("ledger leaves changed under the sealer; refusing to sign")
            raise LedgerInconsistentError(
                f"the leaves table does not end at position {self.frontier.size - 1} with notification "
                f"{self._last_notification_id} as the sealer left it (found "
                f"{last.notification_id if last else 'no leaf'} there"
                f"{', and more leaves after it' if beyond else ''}): another writer changed it; "
                "refusing to sign"
            )

    def seal_all(self, *, progress: Progress | None = None) -> int:
        """Seal every event recorded so far and sign a head over them; returns the leaves added.
        `progress` hears the leaves added so far (a batch at a time)."""
        added = 0
        while appended := self.seal_once().appended:
            added += appended
            if progress is not None:
                progress(added, None)
        self.seal_once(force_head=True)
        return added

    def run(self, stop: threading.Event, *, poll_seconds: float = 0.5) -> None:
        """Seal until `stop` is set; a head is signed on the way out for whatever is unsigned."""
        while not stop.is_set():
            if self.seal_once().appended == 0:
                stop.wait(poll_seconds)
        self.seal_once(force_head=True)
