"""Reports issued from the ledger: which file (its SHA-256), what kind, rendered at which signed
head, issued by whom, when. Recorded in the ledger, so that a report handed to an examiner can be
checked later: was this exact file issued, and does the history it was rendered from still verify?

One aggregate per issued file, named by the file's digest, with one event. Its events are not
model events: the model views, the projections and the event feed skip them; the ledger seals them.
"""

from __future__ import annotations

import re
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import rules
from domain.commands import Action
from domain.errors import InvalidValueError
from domain.values import DIGEST_PATTERN, Attribution, require_model_name, require_text

_NAMESPACE = uuid5(NAMESPACE_URL, "https://modelgov.dev/issued-reports")
REPORT_KINDS = ("model", "portfolio", "changes")
REPORT_FORMATS = ("html", "pdf", "json")


def issued_report_id(sha256: str) -> UUID:
    """The aggregate of the issued file with this digest (lower-case hex)."""
    return uuid5(_NAMESPACE, sha256.lower())


class IssuedReport(Aggregate):
    """One issued report file."""

    TOPIC = "modelgov/IssuedReport"

    class Event(Aggregate.Event):
        TOPIC = "modelgov/IssuedReport.Event"

    class Created(Event, Aggregate.Created):
        TOPIC = "modelgov/IssuedReport.Created"

    class Issued(Created):
        """The file with digest `sha256` was issued: a `kind` report (of model `subject`, for a
        model report) in `media_format`, rendered at the signed head of `tree_size` and `root`."""

        TOPIC = "modelgov/IssuedReport.Issued"
        actor: str
        role: str
        reason: str
        correlation_id: str
        effective_at: datetime
        kind: str
        subject: str | None
        media_format: str
        tree_size: int
        root: str
        sha256: str
        file_name: str

    @classmethod
    def issue(
        cls,
        *,
        kind: str,
        subject: str | None,
        media_format: str,
        tree_size: int,
        root: str,
        sha256: str,
        file_name: str,
        by: Attribution,
    ) -> IssuedReport:
        rules.check_may(by, Action.ISSUE_REPORT)
        if kind not in REPORT_KINDS:
            raise InvalidValueError("kind", f"one of {', '.join(REPORT_KINDS)}, not {kind!r}")
        if media_format not in REPORT_FORMATS:
            raise InvalidValueError("media_format", f"one of {', '.join(REPORT_FORMATS)}")
        if (subject is None) != (kind != "model"):
            raise InvalidValueError("subject", "a model report names its model; no other does")
        if subject is not None:
            require_model_name(subject)
        if not re.fullmatch(DIGEST_PATTERN, sha256) or tree_size < 1:
            raise InvalidValueError(
                "sha256", "the file's SHA-256 (64 hex digits), at a signed head"
            )
        return cls._create(
            cls.Issued,
            id=issued_report_id(sha256),
            timestamp=by.recorded_at,
            kind=kind,
            subject=subject,
            media_format=media_format,
            tree_size=tree_size,
            root=root,
            sha256=sha256.lower(),
            file_name=require_text("file_name", file_name, max_length=255),
            **by.event_fields(),
        )
