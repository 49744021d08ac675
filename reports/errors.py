"""Errors of the reports layer; each has a stable `code` the API maps to a problem+json `type`.

ApplicationError (application/errors.py)
└── ReportError                  report_error: a report cannot be built as asked
    ├── ReportPeriodInvalidError report_period_invalid: a change report's period ends before it starts
    ├── UnknownTableError        unknown_table: a model report has no table of that name (CSV)
    └── DossierPointError        dossier_point_invalid: a dossier asked as of two points at once
"""

from __future__ import annotations

from application.errors import ApplicationError


class ReportError(ApplicationError, code="report_error"):
    """A report cannot be built as asked; the message says what to change."""


class ReportPeriodInvalidError(ReportError, code="report_period_invalid"):
    """A change report's period must not end before it starts."""


class UnknownTableError(ReportError, code="unknown_table"):
    """The report has no table of that name."""


class DossierPointError(ReportError, code="dossier_point_invalid"):
    """A dossier is as of one point: a time in the world or a time the ledger knew, not both."""
