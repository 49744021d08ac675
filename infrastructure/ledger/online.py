"""The ledger wired to the store: sealing, proofs, and verification online (against the database)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import takewhile
from pathlib import Path
from uuid import UUID

from application.governance import Governance
from application.ledger.damage import VerificationReport
from application.ledger.merkle import MerkleTree, consistency_proof, inclusion_proof, root_of
from application.ledger.records import (
    LeafFields,
    LeafRow,
    ProvenRecord,
    RecordFields,
    SignedHead,
    StoredRecord,
    TreeHead,
    as_record,
    record_bytes,
)
from application.ledger.sealer import Sealer
from application.ledger.tiles import (
    Tile,
    TileError,
    check_within,
    entry_bundle,
    parse_tile_path,
    tile_bytes,
)
from application.ledger.verify import told_of_events, verify_ledger
from application.ledger.witness import with_signatures
from application.progress import Progress
from domain.model import model_id_for
from infrastructure.db.sql import SqlRunner
from infrastructure.errors import LedgerLookupError, SettingsError
from infrastructure.ledger.event_records import EventRecords, RecordsByOffset
from infrastructure.ledger.keys import (
    Ed25519Signer,
    head_file_for,
    key_id_for,
    load_public_pem,
    load_signer,
    local_public_keys,
    public_path,
    public_pem,
    trusted_keys,
)
from infrastructure.ledger.storage import SqlLedgerTables
from infrastructure.setting_values import parse_witnesses
from infrastructure.settings import Settings
from infrastructure.witness.client import CheckpointWitnesses

PAGE = 10_000


@dataclass
class Ledger:
    """The ledger of one store: its tables, the events it seals, and the keys that sign."""

    governance: Governance
    tables: SqlLedgerTables
    events: EventRecords
    settings: Settings

    def signer(self) -> Ed25519Signer:
        signer = load_signer(
            self.settings.signing_key_file, passphrase=self.settings.signing_key_passphrase
        )
        self.tables.publish_key(signer.key_id, public_pem(signer.private_key.public_key()).decode())
        return signer

    def sealer(self) -> Sealer:
        return Sealer(
            source=self.events,
            tables=self.tables,
            signer=self.signer(),
            every_events=self.settings.seal_every_events,
            every_seconds=float(self.settings.seal_every_seconds),
            anchor=head_file_for(self.settings.signing_key_file),
            origin=self.settings.ledger_origin,
            witnesses=self.witnesses(),
        )

    def witnesses(self) -> CheckpointWitnesses | None:
        endpoints = parse_witnesses(self.settings.witnesses)
        return CheckpointWitnesses(endpoints, self.tables) if endpoints else None

    def records(self) -> Iterator[StoredRecord]:
        """Every stored event in commit order, as stored (ciphertext)."""
        return map(as_record, self.record_fields())

    def record_fields(self) -> Iterator[RecordFields]:
        """Every stored event in commit order as its row came, with no object per event (see
        `EventRecords.fields_after`): what verification reads."""
        after = -(2**62)  # a forged row may carry an id below the first real one
        while True:
            page = self.events.fields_after(after, PAGE)
            yield from page
            if len(page) < PAGE:
                return
            after = page[-1][0]

    def verify(
        self,
        *,
        public_keys: list[Path] | None = None,
        trusted: list[TreeHead] | None = None,
        up_to: SignedHead | None = None,
        progress: Progress | None = None,
    ) -> VerificationReport:
        """Verify against keys and heads from outside the database, never the database's own keys.

        Defaults: the public keys beside the signing key (current and retired) and the head the
        sealer last signed (its head file), when they exist. With `up_to`, only the log that head
        covers is checked (what a report built from it rests on); later events are left out.
        `progress` hears the events verified so far, against the events stored when it began.
        """
        keys = public_keys if public_keys else local_public_keys(self.settings.signing_key_file)
        if not keys:
            raise SettingsError(
                "no trusted public key: pass --public-key, or run where the signing key's .pub is"
            )
        anchors = list(trusted or [])
        last = head_file_for(self.settings.signing_key_file).load()
        if last is not None:
            anchors.append(last.head)
        records: Iterable[RecordFields] = self.record_fields()
        leaves: Iterable[LeafFields] = self.tables.iter_leaf_fields()
        heads = self.tables.signed_heads()
        if up_to is not None:
            size = up_to.head.tree_size
            last_leaf = self.tables.leaf_at(size - 1)
            last_id = last_leaf.notification_id if last_leaf is not None else -(2**62)
            records = takewhile(lambda record: record[0] <= last_id, records)
            leaves = takewhile(lambda leaf: leaf[0] < size, leaves)
            heads = [h for h in heads if h.head.tree_size <= size]
            anchors = [a for a in anchors if a.tree_size <= size]
        return told_of_events(
            progress,
            self.events.count() if progress is not None else None,
            lambda verified: verify_ledger(
                records=records,
                leaves=leaves,
                heads=heads,
                signature_ok=trusted_keys(keys),
                trusted=anchors,
                progress=verified,
            ),
        )

    def record_at(self, notification_id: int) -> StoredRecord | None:
        found = self.events.records_after(notification_id - 1, 1)
        return found[0] if found and found[0].notification_id == notification_id else None

    def latest_head(self) -> SignedHead:
        heads = self.tables.signed_heads()
        if not heads:
            raise LedgerLookupError("no tree head has been signed yet: the sealer has not run")
        return max(heads, key=lambda h: (h.head.tree_size, h.head.timestamp))

    def leaf_hashes(self, size: int) -> list[bytes]:
        return self.tables.leaf_hashes(0, size)

    def inclusion(
        self, *, position: int, tree_size: int | None = None
    ) -> tuple[LeafRow, SignedHead, list[bytes]]:
        head = self.head_at(tree_size)
        leaf = self.tables.leaf_at(position)
        if leaf is None or position >= head.head.tree_size:
            raise LedgerLookupError(
                f"position {position} is not in the signed tree of size {head.head.tree_size}"
            )
        return leaf, head, inclusion_proof(self.leaf_hashes(head.head.tree_size), position)

    def position_of(self, *, model: str, revision: int) -> int:
        """The ledger position of a model's event at `revision` (its number in the model)."""
        leaf = self.tables.leaf_for_notification(
            self._notification_for(model=model, revision=revision)
        )
        if leaf is None:
            raise LedgerLookupError(
                f"{model!r} revision {revision} is not sealed yet; retry in a few seconds"
            )
        return leaf.position

    def _notification_for(self, *, model: str, revision: int) -> int:
        """The notification id of a model's event (a scan: the library keeps no reverse index)."""
        target = model_id_for(model)
        for record in self.records():
            if record.originator_id == target and record.originator_version == revision:
                return record.notification_id
        raise LedgerLookupError(f"model {model!r} has no event at revision {revision}")

    def proven_records(
        self, model_id: UUID, *, tree_size: int, revisions: set[int] | None = None
    ) -> list[ProvenRecord]:
        """A model's stored events (those at `revisions`, or all) that the tree of `tree_size`
        leaves holds, in revision order, each with its position and inclusion proof; events sealed
        later (or not yet) are left out, so the caller can tell what is missing."""
        tree = MerkleTree(self.tables.leaf_hashes(0, tree_size))
        proven = []
        for record in self.events.records_of(model_id):
            if revisions is not None and record.originator_version not in revisions:
                continue
            leaf = self.tables.leaf_for_notification(record.notification_id)
            if leaf is None or leaf.position >= tree_size:
                break  # sealed events come first; the rest are newer than the tree
            proven.append(ProvenRecord(record, leaf.position, tree.inclusion_proof(leaf.position)))
        return proven

    def consistency(
        self, *, old_size: int, new_size: int | None = None
    ) -> tuple[bytes, SignedHead | None, SignedHead, list[bytes]]:
        """Proof that the log at `old_size` is a prefix of the signed log at `new_size`.

        Returns the old root (and the head signed at that size, if any), the new head, the proof.
        """
        new = self.head_at(new_size)
        if not 1 <= old_size <= new.head.tree_size:
            raise LedgerLookupError(
                f"the old size must be between 1 and the new head's size {new.head.tree_size}"
            )
        hashes = self.leaf_hashes(new.head.tree_size)
        old_head = next(
            (h for h in self.tables.signed_heads() if h.head.tree_size == old_size), None
        )
        return root_of(hashes[:old_size]), old_head, new, consistency_proof(hashes, old_size)

    def checkpoint(self) -> tuple[int, str]:
        """The latest checkpoint: its tree size and the signed note (C2SP tlog-checkpoint), with
        the witnesses' cosignatures after the log's signature (a note verifier ignores lines
        of keys it was not given)."""
        size, note = _signed(self.tables.latest_checkpoint(key_id=self._current_key_id()))
        return size, with_signatures(note, self.tables.cosignatures_at(size))

    def checkpoint_size(self) -> int:
        """The latest checkpoint's tree size: what the tiles served cover (one row read; no
        key file, no cosignatures)."""
        return _signed(self.tables.latest_checkpoint())[0]

    def _current_key_id(self) -> str | None:
        """The signing key's id, from its public key beside it (no passphrase needed)."""
        path = public_path(self.settings.signing_key_file)
        if not path.exists():
            return None
        return key_id_for(load_public_pem(path.read_bytes(), source=str(path)))

    def tile(self, path: str) -> tuple[Tile, bytes]:
        """The tile or entry bundle at `path` (after `tile/`), within the latest checkpoint's
        tree."""
        try:
            tile = parse_tile_path(path)
        except TileError as error:
            raise LedgerLookupError(str(error)) from None
        return tile, self.tile_data(tile, tree_size=self.checkpoint_size())

    def tile_data(
        self, tile: Tile, *, tree_size: int, events: RecordsByOffset | None = None
    ) -> bytes:
        """A tile's bytes within the tree of `tree_size`: hashes from the sealed leaves, entries
        from the events as stored now, so a verifier holding both sees any change made to the
        events since they were sealed. `events` reads them (default: by OFFSET, any tile)."""
        try:
            check_within(tile, tree_size)
            if tile.level is None:
                reader = self.events if events is None else events
                records = reader.records_from(tile.first_leaf(), tile.width)
                return entry_bundle(record_bytes(record) for record in records)
            return tile_bytes(tile, self.tables.leaf_hashes)
        except TileError as error:
            raise LedgerLookupError(str(error)) from None

    def head_at(self, tree_size: int | None) -> SignedHead:
        if tree_size is None:
            return self.latest_head()
        for head in self.tables.signed_heads():
            if head.head.tree_size == tree_size:
                return head
        raise LedgerLookupError(f"no head was signed at tree size {tree_size}")


def _signed(latest: tuple[int, str] | None) -> tuple[int, str]:
    if latest is None:
        raise LedgerLookupError(
            "no checkpoint has been signed yet: the sealer signs one with every head, and one "
            "for the last head when it starts"
        )
    return latest


def open_ledger(settings: Settings, governance: Governance) -> Ledger:
    sql = SqlRunner(settings.database)
    return Ledger(
        governance=governance,
        tables=SqlLedgerTables(sql),
        events=EventRecords(sql),
        settings=settings,
    )
