"""Audit reports: the model audit report, the portfolio compliance report, the change report, a
serious incident's report to the authority and a model's technical documentation (the Annex IV
dossier), built from the events under one signed tree head and rendered as HTML, PDF or JSON."""

from reports.changes_report import build_changes_report, check_period
from reports.dossier import build_dossier
from reports.incident_report import build_incident_report
from reports.model_report import build_model_report
from reports.portfolio_report import build_portfolio_report, events_by_model
from reports.render import FORMATS, MEDIA_TYPES, render
from reports.source import Integrity, ReportSource

__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "Integrity",
    "ReportSource",
    "build_changes_report",
    "build_dossier",
    "build_incident_report",
    "build_model_report",
    "build_portfolio_report",
    "check_period",
    "events_by_model",
    "render",
]
