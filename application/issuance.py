"""Issuing a report: the file's digest recorded in the ledger, and looked up again by it."""

from __future__ import annotations

from typing import cast

from eventsourcing.persistence import IntegrityError

from application.governance import Governance
from domain.issued_reports import IssuedReport, issued_report_id
from domain.values import Attribution


def record_issued(
    governance: Governance,
    *,
    kind: str,
    subject: str | None,
    media_format: str,
    tree_size: int,
    root: str,
    sha256: str,
    file_name: str,
    by: Attribution,
) -> tuple[IssuedReport.Issued, bool]:
    """The issuance of this file, and whether it is new: the same bytes issued again are the
    same report, recorded once (the first issuance stands)."""
    report = IssuedReport.issue(
        kind=kind, subject=subject, media_format=media_format, tree_size=tree_size, root=root,
        sha256=sha256, file_name=file_name, by=by,
    )  # fmt: skip
    event = cast(IssuedReport.Issued, report.pending_events[0])
    try:
        governance.save(report)
    except IntegrityError:
        earlier = issued(governance, sha256)
        if earlier is None:  # not a clash with an earlier issuance: let it be seen
            raise
        return earlier, False
    return event, True


def issued(governance: Governance, sha256: str) -> IssuedReport.Issued | None:
    """The issuance of the file with this digest, if it was issued."""
    for event in governance.events.get(issued_report_id(sha256), lte=1):
        if isinstance(event, IssuedReport.Issued):
            return event
    return None
