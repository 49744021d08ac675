"""Serious incidents in the model's snapshots (state version 5), on SQLite and PostgreSQL: an
incident and its reports come back from a snapshot as they were; a version 4 snapshot has none."""

from __future__ import annotations

from eventsourcing.domain import Snapshot

from application.governance import Governance
from domain.incident_commands import DeclareIncident, ReportIncident
from domain.model import model_id_for
from infrastructure.db.store import open_governance
from infrastructure.settings import Settings
from tests.factories import by, later, registration


def _read_from_snapshot(settings: Settings, name: str) -> object:
    fresh = open_governance(settings)
    try:
        assert fresh.snapshots is not None
        [latest] = fresh.snapshots.get(model_id_for(name), desc=True, limit=1)
        model = fresh.get_model(name)
        assert latest.originator_version == model.version  # the snapshot was the source
        return model
    finally:
        fresh.close()


def test_an_incident_and_its_reports_come_back_from_a_snapshot(
    app: Governance, backend: Settings
) -> None:
    app.handle(registration("scorer", "high"), by=by("eng"))
    declared = app.handle(
        DeclareIncident(name="scorer", severity_class="death", summary="a wrong refusal",
                        aware_at=later(1), breach_ids=[]),
        by=by("ops", at=later(2)),
    )  # fmt: skip
    assert declared.value == "SI-1"
    app.handle(
        ReportIncident(name="scorer", incident_id="SI-1", kind="initial", authority="MSA",
                       reference="R-1", document_sha256="AB" * 32),
        by=by("co", at=later(3)),
    )  # fmt: skip
    model = app.get_model("scorer")
    app.snapshots.recorder.insert_events([app.mapper.to_stored_event(Snapshot.take(model))])  # type: ignore[union-attr]

    again = _read_from_snapshot(backend, "scorer")
    assert again.serious_incidents == model.serious_incidents  # type: ignore[attr-defined]
    [submission] = again.serious_incidents["SI-1"].submissions  # type: ignore[attr-defined]
    assert submission.document_sha256 == "ab" * 32 and submission.submitted_at == later(3)


def test_a_snapshot_of_state_version_4_reads_with_no_incidents(
    app: Governance, backend: Settings
) -> None:
    app.handle(registration("legacy", "low"), by=by("eng"))
    stored = app.mapper.to_stored_event(Snapshot.take(app.get_model("legacy")))
    snapshot = app.mapper.to_domain_event(stored)
    del snapshot.state["serious_incidents"]
    snapshot.state["class_version"] = 4
    app.snapshots.recorder.insert_events([app.mapper.to_stored_event(snapshot)])  # type: ignore[union-attr]
    assert _read_from_snapshot(backend, "legacy").serious_incidents == {}  # type: ignore[attr-defined]
