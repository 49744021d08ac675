"""Issuing a report: the file's digest recorded in the ledger, and looked up again by it."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast
from weakref import WeakKeyDictionary

from eventsourcing.persistence import IntegrityError

from application.governance import Governance
from domain.issued_reports import IssuedReport, issued_report_id
from domain.values import Attribution


def issue_report(
    governance: Governance,
    *,
    kind: str,
    subject: str | None,
    document: dict[str, Any],
    media_format: str,
    content: bytes,
    file_name: str,
    by: Attribution,
) -> tuple[IssuedReport.Issued, bool]:
    """Issue the rendered `content` of `document` (a report built under a signed head): record its
    SHA-256, the head and who issued it. Call it before the file leaves (written, or sent), so that
    a file is never taken for issued when it is not."""
    integrity = document["integrity"]
    report = IssuedReport.issue(
        kind=kind,
        subject=subject,
        media_format=media_format,
        tree_size=int(integrity["tree_size"]),
        root=str(integrity["root"]),
        sha256=hashlib.sha256(content).hexdigest(),
        file_name=file_name,
        by=by,
    )
    return record_issued(governance, report)


def record_issued(governance: Governance, report: IssuedReport) -> tuple[IssuedReport.Issued, bool]:
    """Save a new `IssuedReport.issue(...)`: its issuance, and whether it is new. The same bytes
    issued again are the same report, recorded once (the first issuance stands)."""
    event = cast(IssuedReport.Issued, report.pending_events[0])
    try:
        governance.save(report)
    except IntegrityError:
        earlier = issued(governance, event.sha256)
        if earlier is None:  # not a clash with an earlier issuance: let it be seen
            raise
        return earlier, False
    return event, True


def issued(governance: Governance, sha256: str) -> IssuedReport.Issued | None:
    """The issuance of the file with this digest, if it was issued."""
    for event in governance.events.get(issued_report_id(sha256), lte=1):
        # The digest inside the event, not only the aggregate's name: a row copied in under
        # another digest's name must not pass for that file's issuance.
        if isinstance(event, IssuedReport.Issued) and event.sha256 == sha256.lower():
            return event
    return None


@dataclass
class _Issuances:
    """What one application has read of the issuances: up to which notification, and the latest
    issuance's time among them."""

    read_up_to: int = 0
    latest: datetime | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_READ: WeakKeyDictionary[Governance, _Issuances] = WeakKeyDictionary()
_PAGE = 1000


def last_issued_at(governance: Governance) -> datetime | None:
    """When the latest report was issued (None: none yet): the default start of the next
    change report, so that consecutive reports cover the time between them once.

    The issuances are read from the store's notifications once per application, then only those
    recorded since the last look (a range of the notification ids, which only grow and become
    visible in order: the recorders serialise their inserts), not a scan of every event per call.
    Exact at every call: nothing is cached that a later event could change.
    """
    read = _READ.setdefault(governance, _Issuances())
    topic = IssuedReport.Issued.TOPIC
    with read.lock:
        head = governance.recorder.max_notification_id() or 0
        while read.read_up_to < head:
            page = governance.recorder.select_notifications(
                start=read.read_up_to + 1, limit=_PAGE, stop=head, topics=[topic]
            )
            for notification in page:
                event = governance.mapper.to_domain_event(notification)
                if isinstance(event, IssuedReport.Issued):
                    at = event.effective_at
                    read.latest = at if read.latest is None else max(read.latest, at)
            read.read_up_to = page[-1].id if len(page) == _PAGE else head
        return read.latest
