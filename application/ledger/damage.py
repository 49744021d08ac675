"""What verification found: its report, and the damage it names, classified from the rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from application.ledger.records import LeafRow, StoredRecord, record_leaf_hash


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


def classify_missing(deleted: list[LeafRow], leaf_count: int) -> list[Damage]:
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


def classify_mismatches(mismatched: dict[int, tuple[LeafRow, StoredRecord]]) -> list[Damage]:
    """An event that hashes to another mismatched position's leaf was moved there: reordered."""
    damage = []
    for position, (leaf, record) in sorted(mismatched.items()):
        moved_from = next(
            (
                other.position
                for other, _ in mismatched.values()
                if other.position != position
                and record_leaf_hash(record._replace(notification_id=other.notification_id))
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
                       f"event {leaf.notification_id} (model revision {record.originator_version}) "
                       "no longer matches its sealed leaf")
            )  # fmt: skip
    return damage
