"""A serious incident in the reports: the model report shows its deadline with the time left, and a
critical finding once it has passed with no report; the incident's own report lists what it lacks."""

from __future__ import annotations

import io
import json
from datetime import datetime
from importlib.resources import files
from typing import Any

import jsonschema
import pypdf
import pytest

from domain.commands import Activate, Deactivate, OpenBreach
from domain.errors import IncidentReportOutOfOrderError
from domain.events import Event
from domain.incident_commands import DeclareIncident, ReportIncident
from domain.instants import utc_text
from domain.model import Model
from reports import Integrity, build_incident_report, build_model_report, render
from tests.factories import by, later, new_model, ready_version


def _integrity(at: datetime) -> Integrity:
    return Integrity(tree_size=1, root="00" * 32, timestamp=utc_text(at), key_id="k",
                     signature="", verified=True)  # fmt: skip


def _history() -> tuple[Model, list[Event]]:
    """A high-tier model in production whose breach B-1 is behind a serious incident of
    widespread harm, known since hour 24 (its report due at hour 72)."""
    model = new_model("high")
    version = ready_version(model)
    model.activate(Activate(name=model.name, version=version, environment="production"), by("ops"))
    model.open_breach(
        OpenBreach(name=model.name, version=version, environment="production",
                   dimension="accuracy", metric="accuracy_metric", observed_value=2.0),
        by("policy", at=later(20)),
    )  # fmt: skip
    model.declare_incident(
        DeclareIncident(name=model.name, severity_class="widespread_or_critical_infrastructure",
                        summary="loan refusals across a region", aware_at=later(24),
                        breach_ids=["B-1"], version=version),
        by("ops", at=later(30)),
    )  # fmt: skip
    return model, list(model.collect_events())


def _deadline_findings(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in document["compliance_findings"] if f["finding"].startswith("serious")]


def test_an_incident_crossing_its_deadline_goes_from_time_left_to_a_critical_finding() -> None:
    _, events = _history()
    before = build_model_report(events, integrity=_integrity(later(70)))
    [incident] = before["serious_incidents"]
    assert (incident["status"], incident["seconds_left"]) == ("due", 2 * 3600)
    [finding] = _deadline_findings(before)
    assert finding["finding"] == "serious_incident_report_due"
    assert finding["severity"] == "high" and "2 h left" in finding["detail"]
    assert "2 h left" in render(before, "html").decode()

    after = build_model_report(events, integrity=_integrity(later(75)))
    [incident] = after["serious_incidents"]
    assert (incident["status"], incident["seconds_left"]) == ("overdue", -3 * 3600)
    [finding] = _deadline_findings(after)
    assert finding["finding"] == "serious_incident_report_overdue"
    assert finding["severity"] == "critical" and after["compliance_findings"][0] == finding
    assert "overdue by 3 h with no report submitted" in finding["detail"]
    assert "initial report overdue" in render(after, "html").decode()


def test_a_report_submitted_ends_the_finding_and_the_report_says_it_was_late() -> None:
    model, events = _history()
    model.report_incident(
        ReportIncident(name=model.name, incident_id="SI-1", kind="initial", authority="MSA",
                       reference="R-1"),
        by("co", at=later(80)),
    )  # fmt: skip
    events += model.collect_events()
    document = build_model_report(events, integrity=_integrity(later(100)))
    assert _deadline_findings(document) == []
    [incident] = document["serious_incidents"]
    assert (incident["status"], incident["seconds_left"]) == ("reported_late", -8 * 3600)


def test_the_initial_report_lists_what_it_still_lacks_and_follows_its_schema() -> None:
    _, events = _history()
    document = build_incident_report(events, "SI-1", integrity=_integrity(later(40)))
    assert document["kind"] == "initial" and not document["complete"]
    assert document["missing"] == [
        "when the incident occurred (occurred_at)",
        "who or what was harmed, and how",
        "a corrective action (no deactivation, rollback or retirement of the version involved "
        "recorded since awareness)",
    ]
    assert [b["breach_id"] for b in document["breaches"]] == ["B-1"]
    assert document["version"]["number"] == 1
    schema = json.loads(
        files("reports").joinpath("schemas/incident-report.schema.json").read_text()
    )
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    assert [e.message for e in validator.iter_errors(json.loads(render(document, "json")))] == []
    html = render(document, "html").decode()
    assert "Incomplete initial report" in html and "1 d 8 h left" in html


def test_a_corrective_action_counts_and_a_follow_up_comes_after_the_initial_report() -> None:
    model, events = _history()
    model.deactivate(
        Deactivate(name=model.name, version=1, environment="production"),
        by("ops", "serious incident SI-1", at=later(31)),
    )
    with pytest.raises(IncidentReportOutOfOrderError, match="no initial report yet"):
        build_incident_report(events, "SI-1", integrity=_integrity(later(40)), kind="follow_up")
    model.report_incident(
        ReportIncident(name=model.name, incident_id="SI-1", kind="initial", authority="MSA",
                       reference="R-1"),
        by("co", at=later(40)),
    )  # fmt: skip
    events += model.collect_events()
    document = build_incident_report(events, "SI-1", integrity=_integrity(later(50)))
    assert document["kind"] == "follow_up"
    assert [c["event"] for c in document["corrective_actions"]] == ["VersionDeactivated"]
    assert document["incident"]["status"] == "reported"
    pdf = pypdf.PdfReader(io.BytesIO(render(document, "pdf")))
    assert "Follow-up report on serious incident SI-1" in pdf.pages[0].extract_text()


def test_the_model_report_with_an_incident_follows_its_schema() -> None:
    _, events = _history()
    document = build_model_report(events, integrity=_integrity(later(40)))
    schema = json.loads(files("reports").joinpath("schemas/model-report.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = [f"{list(e.path)}: {e.message}"
              for e in validator.iter_errors(json.loads(render(document, "json")))]  # fmt: skip
    assert errors == []
