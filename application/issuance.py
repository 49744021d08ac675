"""Issuing a report: the file's digest recorded in the ledger, and looked up again by it."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, cast

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


def last_issued_at(governance: Governance) -> datetime | None:
    """When the latest report was issued (None: none yet): the default start of the next
    change report, so that consecutive reports cover the time between them once."""
    topic = IssuedReport.Issued.TOPIC
    latest: datetime | None = None
    start = 1
    while True:
        page = governance.recorder.select_notifications(start=start, limit=1000, topics=[topic])
        for notification in page:
            event = governance.mapper.to_domain_event(notification)
            if isinstance(event, IssuedReport.Issued):
                latest = event.effective_at if latest is None else max(latest, event.effective_at)
        if len(page) < 1000:
            return latest
        start = page[-1].id + 1
