"""The ledger's tables beside the event store: leaves, signed heads, public keys. Append-only."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from application.ledger.records import LeafFields, LeafRow, SignedHead, TreeHead
from domain.instants import sortable_utc_text
from infrastructure.db.append_only import CHECKPOINTS_TABLE, COSIGNATURES_TABLE
from infrastructure.db.sql import SqlRunner


class SqlLedgerTables:
    """LedgerTables over SQLite or PostgreSQL (created, with their triggers, by infrastructure/db/schema.py)."""

    def __init__(self, sql: SqlRunner) -> None:
        self.sql = sql

    # leaves
    def leaf_rows(self) -> list[LeafRow]:
        return list(self.iter_leaf_rows())

    def iter_leaf_rows(self, *, page: int = 50_000) -> Iterator[LeafRow]:
        return map(LeafRow._make, self.iter_leaf_fields(page=page))

    def iter_leaf_fields(self, *, page: int = 50_000) -> Iterator[LeafFields]:
        """Every leaf in position order as the rows come (binary protocol: the hash is bytes),
        with no object per leaf: what verification reads."""
        after = -1
        while True:
            rows = self.sql.execute(
                "SELECT position, notification_id, leaf_hash FROM modelgov_ledger_leaves "
                "WHERE position > ? ORDER BY position LIMIT ?",
                (after, page),
                binary=True,
            )
            yield from rows
            if len(rows) < page:
                return
            after = rows[-1][0]

    def leaf_count(self, *, since: int, until: int) -> int:
        """Leaves at positions `since` to `until`: a bounded range uses the primary key even where
        the table has no statistics (an open-ended range can make PostgreSQL scan it all)."""
        rows = self.sql.execute(
            "SELECT COUNT(*) FROM modelgov_ledger_leaves WHERE position BETWEEN ? AND ?",
            (since, until),
        )
        return int(rows[0][0])

    def leaf_at(self, position: int) -> LeafRow | None:
        rows = self.sql.execute(
            "SELECT position, notification_id, leaf_hash FROM modelgov_ledger_leaves WHERE position = ?",
            (position,),
        )
        return LeafRow(rows[0][0], rows[0][1], bytes(rows[0][2])) if rows else None

    def sealed_notification_id(self) -> int:
        """The notification id of the last event under the latest signed head (0 before the
        first head): two primary-key lookups."""
        rows = self.sql.execute(
            "SELECT notification_id FROM modelgov_ledger_leaves WHERE position = "
            "(SELECT max(tree_size) FROM modelgov_ledger_heads) - 1"
        )
        return int(rows[0][0]) if rows else 0

    def leaf_for_notification(self, notification_id: int) -> LeafRow | None:
        rows = self.sql.execute(
            "SELECT position, notification_id, leaf_hash FROM modelgov_ledger_leaves "
            "WHERE notification_id = ?",
            (notification_id,),
        )
        return LeafRow(rows[0][0], rows[0][1], bytes(rows[0][2])) if rows else None

    def append_leaves(self, rows: Sequence[LeafRow]) -> None:
        self.sql.execute_many(
            "INSERT INTO modelgov_ledger_leaves (position, notification_id, leaf_hash) VALUES (?, ?, ?)",
            [(row.position, row.notification_id, row.leaf_hash) for row in rows],
        )

    # heads
    def signed_heads(self) -> list[SignedHead]:
        rows = self.sql.execute(
            "SELECT tree_size, root, signed_at, key_id, signature FROM modelgov_ledger_heads "
            "ORDER BY tree_size, signed_at"
        )
        return [
            SignedHead(TreeHead(size, bytes(root), signed_at, key_id), bytes(signature))
            for size, root, signed_at, key_id, signature in rows
        ]

    def append_head(self, head: SignedHead) -> None:
        self.sql.execute(
            "INSERT INTO modelgov_ledger_heads (tree_size, root, signed_at, key_id, signature) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                head.head.tree_size,
                head.head.root,
                head.head.timestamp,
                head.head.key_id,
                head.signature,
            ),
        )

    # checkpoints: the heads as signed notes (C2SP tlog-checkpoint)
    def append_checkpoint(self, tree_size: int, key_id: str, note: str) -> None:
        self.sql.execute(
            f"INSERT INTO {CHECKPOINTS_TABLE} (tree_size, key_id, note) VALUES (?, ?, ?)",
            (tree_size, key_id, note),
        )

    def latest_checkpoint(self, *, key_id: str | None = None) -> tuple[int, str] | None:
        """The checkpoint of the largest tree (size, signed note), if one was signed; at that
        size, the one signed by `key_id` when there is one (after a key rotation the last head
        is signed again by the new key)."""
        rows = self.sql.execute(
            f"SELECT tree_size, note, key_id FROM {CHECKPOINTS_TABLE} "
            f"WHERE tree_size = (SELECT max(tree_size) FROM {CHECKPOINTS_TABLE})"
        )
        if not rows:
            return None
        chosen = next((row for row in rows if row[2] == key_id), min(rows, key=lambda r: r[2]))
        return int(chosen[0]), str(chosen[1])

    def checkpoint_key_ids(self, tree_size: int) -> set[str]:
        """The keys that signed a checkpoint of the tree of `tree_size`."""
        rows = self.sql.execute(
            f"SELECT key_id FROM {CHECKPOINTS_TABLE} WHERE tree_size = ?", (tree_size,)
        )
        return {str(row[0]) for row in rows}

    # witnesses' cosignatures of the checkpoints (C2SP tlog-cosignature lines)
    def append_cosignature(self, tree_size: int, witness: str, line: str) -> None:
        self.sql.execute(
            f"INSERT INTO {COSIGNATURES_TABLE} (tree_size, witness, line) VALUES (?, ?, ?)",
            (tree_size, witness, line),
        )

    def cosignatures_at(self, tree_size: int) -> list[str]:
        """The cosignature lines stored for the checkpoint of `tree_size`, each with its newline."""
        rows = self.sql.execute(
            f"SELECT line FROM {COSIGNATURES_TABLE} WHERE tree_size = ? ORDER BY witness",
            (tree_size,),
        )
        return [str(row[0]) for row in rows]

    def cosigned_size(self, witness: str) -> int:
        """The largest tree `witness` (its vkey) cosigned, as stored; 0 if none."""
        rows = self.sql.execute(
            f"SELECT max(tree_size) FROM {COSIGNATURES_TABLE} WHERE witness = ?", (witness,)
        )
        return int(rows[0][0] or 0)

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        """The leaf hashes at positions [start, end), in order."""
        rows = self.sql.execute(
            "SELECT leaf_hash FROM modelgov_ledger_leaves WHERE position >= ? AND position < ? "
            "ORDER BY position",
            (start, end),
        )
        return [bytes(row[0]) for row in rows]

    # keys
    def publish_key(self, key_id: str, public_key_pem: str) -> None:
        if not self.sql.execute("SELECT 1 FROM modelgov_ledger_keys WHERE key_id = ?", (key_id,)):
            self.sql.execute(
                "INSERT INTO modelgov_ledger_keys (key_id, public_key_pem, published_at) VALUES (?, ?, ?)",
                (key_id, public_key_pem, sortable_utc_text(datetime.now(UTC))),
            )

    def published_keys(self) -> dict[str, str]:
        rows = self.sql.execute(
            "SELECT key_id, public_key_pem FROM modelgov_ledger_keys ORDER BY published_at"
        )
        return {key_id: pem for key_id, pem in rows}
