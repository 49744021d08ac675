"""A model's technical documentation in the nine sections of the EU AI Act's Annex IV, as it stood
at a date in the world (`at`) or as the ledger knew it then (`known_at`), with its gaps as findings.

Every section is filled from the model report of the events in that view (reports/model_report.py)
and the model it folds; the two views of the same moment can differ (an approval entered after T
with effect before T), and the dossier lists where.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from application.errors import ModelNotFoundError
from domain.events import Event as ModelEvent
from domain.history import effective_by
from domain.instants import utc_text
from domain.model import Model
from reports.dossier_sections import SECTIONS
from reports.errors import DossierPointError
from reports.model_report import model_report_of
from reports.source import Integrity
from reports.timeline import timeline_entry

SCHEMA = "https://modelgov.dev/schemas/reports/dossier.v1.json"
_VIEWS = {
    "effective": "as the model stood in the world at {moment} (events effective by then, "
    "whenever recorded)",
    "known": "as the ledger knew it at {moment} (events recorded by then, whatever their "
    "effective time)",
    "latest": "as the ledger knows it at the signed tree head of {moment}",
}


def known_by(events: Sequence[ModelEvent], at: datetime) -> list[ModelEvent]:
    """The events recorded at or before `at`, in recorded order (a prefix of the history)."""
    return [event for event in events if event.timestamp <= at]


def build_dossier(
    events: Sequence[ModelEvent],
    *,
    integrity: Integrity,
    at: datetime | None = None,
    known_at: datetime | None = None,
) -> dict[str, Any]:
    """The dossier of one model from its events under the integrity's head: as effective `at`,
    as known at `known_at`, or (neither) as the head covers it."""
    if at is not None and known_at is not None:
        raise DossierPointError(
            "a dossier is as of one point: give at (the world) or known_at (the ledger), not both"
        )
    if at is not None:
        view, moment, chosen = "effective", at, effective_by(events, at)
    elif known_at is not None:
        view, moment, chosen = "known", known_at, known_by(events, known_at)
    else:
        view, moment, chosen = "latest", datetime.fromisoformat(integrity.timestamp), list(events)
    if not chosen or not isinstance(chosen[0], Model.Registered):
        name = events[0].name if events and isinstance(events[0], Model.Registered) else "?"
        raise ModelNotFoundError(
            f"model {name!r} was not yet registered at {utc_text(moment)} ({view} time)"
        )
    built = model_report_of(
        chosen, integrity=integrity, now=moment, effective_order=view == "effective"
    )
    report, model = built.document, built.model
    sections = [
        {"number": number, "key": key, "title": title, **fill(report, model)}
        for number, (key, title, fill) in enumerate(SECTIONS, start=1)
    ]
    return {
        "report": "dossier",
        "schema": SCHEMA,
        "integrity": integrity.as_dict(),
        "model": report["model"],
        "as_of": {
            "view": view,
            "moment": utc_text(moment),
            "description": _VIEWS[view].format(moment=utc_text(moment)),
        },
        "sections": sections,
        "findings": [
            {"section": section["number"], **finding}
            for section in sections
            for finding in section["findings"]
        ],
        "timelines": timelines_differ(events, moment),
    }


def timelines_differ(events: Sequence[ModelEvent], moment: datetime) -> dict[str, Any]:
    """Where the world's view at `moment` and the ledger's view then differ: the entries that
    took effect by then but were recorded after (backdated), and those recorded by then that
    took effect after it."""
    effective = {e.originator_version for e in effective_by(events, moment)}
    known = {e.originator_version for e in known_by(events, moment)}
    return {
        "moment": utc_text(moment),
        "effective_not_yet_recorded": [
            timeline_entry(e) for e in events if e.originator_version in effective - known
        ],
        "recorded_not_yet_effective": [
            timeline_entry(e) for e in events if e.originator_version in known - effective
        ],
    }
