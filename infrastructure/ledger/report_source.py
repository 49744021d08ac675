"""Reports' source over the ledger: the events covered by one signed tree head (the latest, or the
one of a given size), and whether the log up to that head verifies."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from application.errors import ModelNotFoundError
from application.ledger.records import SignedHead
from domain.events import Event as ModelEvent
from domain.model import model_id_for
from infrastructure.errors import LedgerLookupError, SettingsError
from infrastructure.ledger.online import Ledger
from reports import (
    Integrity,
    ReportSource,
    build_changes_report,
    build_dossier,
    build_incident_report,
    build_model_report,
    build_portfolio_report,
    check_period,
    events_by_model,
)

_FEED_PAGE = 1000


def signed_head(ledger: Ledger, size: int | None) -> SignedHead:
    """The latest signed head, or the one signed at `size`; a clear error for any other size."""
    heads = ledger.tables.signed_heads()
    if not heads:
        raise LedgerLookupError(
            "no tree head has been signed yet: seal the ledger first (`modelgov ledger seal`)"
        )
    latest = max(heads, key=lambda h: (h.head.tree_size, h.head.timestamp))
    if size is None:
        return latest
    if size > latest.head.tree_size:
        raise LedgerLookupError(
            f"the ledger's latest signed tree head has size {latest.head.tree_size}; "
            f"there is no head of size {size} (yet)"
        )
    at_size = [h for h in heads if h.head.tree_size == size]
    if not at_size:
        raise LedgerLookupError(
            f"no tree head was signed at size {size}; a report can be built as of a signed head "
            f"only (`GET /v1/ledger/head` names the latest, size {latest.head.tree_size})"
        )
    return min(at_size, key=lambda h: (h.head.timestamp, h.head.key_id))


@dataclass
class LedgerCut(ReportSource):
    """The events covered by a signed tree head: notification ids up to its last leaf's."""

    ledger: Ledger
    head: SignedHead
    last_notification_id: int
    _integrity: Integrity | None = None

    @classmethod
    def at(cls, ledger: Ledger, size: int | None) -> LedgerCut:
        head = signed_head(ledger, size)
        leaf = ledger.tables.leaf_at(head.head.tree_size - 1)
        if leaf is None:
            raise LedgerLookupError(
                f"the leaves of the head of size {head.head.tree_size} are gone: run `modelgov verify`"
            )
        return cls(ledger=ledger, head=head, last_notification_id=leaf.notification_id)

    @property
    def integrity(self) -> Integrity:
        if self._integrity is None:
            self._integrity = self._verify()
        return self._integrity

    def _verify(self) -> Integrity:
        head = self.head.head
        try:
            report = self.ledger.verify(up_to=self.head)
            problems = [f"position {d.position}: {d.kind}: {d.detail}" for d in report.damage]
        except SettingsError as error:
            problems = [f"not verified: {error}"]
        return Integrity(
            tree_size=head.tree_size, root=head.root.hex(), timestamp=head.timestamp,
            key_id=head.key_id, signature=self.head.signature.hex(), verified=not problems,
            problems=problems,
        )  # fmt: skip

    def model_events(self, name: str) -> list[ModelEvent]:
        version = self._model_version(name)
        if not version:
            raise ModelNotFoundError(
                f"no model named {name!r} is in the ledger under the signed tree head of size "
                f"{self.head.head.tree_size}"
            )
        return self.ledger.governance.model_events(name, up_to_revision=version)

    def _model_version(self, name: str) -> int:
        sql = self.ledger.tables.sql
        model_id: Any = model_id_for(name)
        if sql.database.kind == "sqlite":
            statement = (
                "SELECT MAX(originator_version) FROM stored_events "
                "WHERE originator_id = ? AND rowid <= ?"
            )
            model_id = model_id.hex
        else:
            statement = (
                "SELECT MAX(originator_version) FROM modelgov_events "
                "WHERE originator_id = ? AND notification_id <= ?"
            )
        rows = sql.execute(statement, (model_id, self.last_notification_id))
        return int(rows[0][0] or 0) if rows else 0

    def feed(self) -> Iterator[tuple[int, str, ModelEvent]]:
        after = 0
        while True:
            page = self.ledger.governance.event_feed(after=after, limit=_FEED_PAGE)
            for position, name, event in page:
                if position > self.last_notification_id:
                    return
                yield position, name, event
            if len(page) < _FEED_PAGE:
                return
            after = page[-1][0]


def model_report(ledger: Ledger, name: str, *, as_of_head: int | None) -> dict[str, Any]:
    cut = LedgerCut.at(ledger, as_of_head)
    return build_model_report(cut.model_events(name), integrity=cut.integrity)


def incident_report(
    ledger: Ledger, name: str, incident_id: str, *, kind: str | None, as_of_head: int | None
) -> dict[str, Any]:
    cut = LedgerCut.at(ledger, as_of_head)
    return build_incident_report(
        cut.model_events(name), incident_id, integrity=cut.integrity, kind=kind
    )


def portfolio_report(ledger: Ledger, *, as_of_head: int | None) -> dict[str, Any]:
    cut = LedgerCut.at(ledger, as_of_head)
    return build_portfolio_report(events_by_model(cut.feed()), integrity=cut.integrity)


def changes_report(
    ledger: Ledger, *, since: datetime, until: datetime, as_of_head: int | None
) -> dict[str, Any]:
    check_period(since, until)
    cut = LedgerCut.at(ledger, as_of_head)
    return build_changes_report(cut.feed(), since=since, until=until, integrity=cut.integrity)


def dossier(
    ledger: Ledger,
    name: str,
    *,
    at: datetime | None = None,
    known_at: datetime | None = None,
    as_of_head: int | None = None,
) -> dict[str, Any]:
    """The model's Annex IV dossier from the events under a signed head, as effective `at` or
    as known at `known_at` (reports/dossier.py)."""
    cut = LedgerCut.at(ledger, as_of_head)
    return build_dossier(cut.model_events(name), integrity=cut.integrity, at=at, known_at=known_at)
