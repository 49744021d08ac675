"""The Annex IV dossier on SQLite and PostgreSQL: nine sections filled from the ledger, as of a
moment in the world or as the ledger knew it then (they differ by a backdated approval), gaps as
findings, and every format."""

from __future__ import annotations

import io
import json

import pypdf
import pytest

from application.errors import ModelNotFoundError
from domain.commands import RegisterVersion
from infrastructure.ledger.online import Ledger
from infrastructure.ledger.report_source import dossier
from reports import build_dossier, render
from reports.dossier_sections import SECTIONS, development
from reports.errors import DossierPointError
from reports.model_report import model_report_of
from reports.source import Integrity
from tests.factories import by, card, later, new_model
from tests.reports.test_incident_reports import _history as incident_history
from tests.reports.test_incident_reports import _integrity as incident_integrity

# In audited_history, the business owner's approval of version 2 took effect at hour 27 and was
# recorded at hour 50: at hour 30 the world had it and the ledger did not.
BETWEEN = later(30)


def _approvers_of_v2(document: dict) -> list[str]:
    [section] = [s for s in document["sections"] if s["key"] == "declaration"]
    [v2] = [v for v in section["content"]["by_version"] if v["version"] == 2]
    return v2["release_approvals"]


def test_the_world_and_the_ledger_at_one_moment_differ_by_the_backdated_approval_only(
    ledger: Ledger,
) -> None:
    world = dossier(ledger, "scorer", at=BETWEEN)
    known = dossier(ledger, "scorer", known_at=BETWEEN)
    assert world["as_of"]["view"] == "effective" and known["as_of"]["view"] == "known"
    assert _approvers_of_v2(world) == ["ds (data_scientist)", "bo (business_owner)"]
    assert _approvers_of_v2(known) == ["ds (data_scientist)"]

    def timeline(document: dict) -> set[int]:
        [changes] = [s for s in document["sections"] if s["key"] == "changes"]
        return {entry["model_revision"] for entry in changes["content"]["timeline"]}

    assert timeline(world) - timeline(known) == {15} and not timeline(known) - timeline(world)
    for document in (world, known):  # each says where the two views differ
        differ = document["timelines"]
        assert [e["model_revision"] for e in differ["effective_not_yet_recorded"]] == [15]
        assert differ["effective_not_yet_recorded"][0]["event"] == "ReleaseApproved"
        assert differ["recorded_not_yet_effective"] == []
    html = render(world, "html").decode()
    assert "In effect by then, recorded only later (backdated)" in html
    assert "agreed in the review" in html


def test_the_nine_sections_are_in_the_json_and_the_html_and_the_pdf_is_a_pdf(
    ledger: Ledger,
) -> None:
    document = dossier(ledger, "scorer")
    assert [s["number"] for s in document["sections"]] == list(range(1, 10))
    assert [s["key"] for s in document["sections"]] == [key for key, _, _ in SECTIONS]
    assert json.loads(render(document, "json"))["sections"][8]["key"] == "post_market"
    html = render(document, "html").decode()
    for number, (_, title, _) in enumerate(SECTIONS, start=1):
        assert f"{number}. {title}" in html
    pdf = pypdf.PdfReader(io.BytesIO(render(document, "pdf")))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "Technical documentation: scorer" in text and "Post-market monitoring" in text


def test_gaps_are_listed_as_findings_in_the_section_they_belong_to(ledger: Ledger) -> None:
    found = {(f["section"], f["detail"]) for f in dossier(ledger, "router")["findings"]}
    assert (3, "no monitoring plan recorded for accuracy: no target on it") in found
    assert (4, "no validation evidence recorded for version 1") in found
    scorer = {(f["section"], f["finding"]) for f in dossier(ledger, "scorer")["findings"]}
    assert (8, "served_without_signoff") in scorer  # v1 served in production, never signed off
    assert (6, "backdated_approval") in scorer


def test_section_nine_lists_serious_incidents_and_an_overdue_one_as_a_critical_gap() -> None:
    _, events = incident_history()  # widespread harm known at hour 24: its report due at hour 72

    def post_market(hour: int) -> dict:
        document = build_dossier(events, integrity=incident_integrity(later(hour)))
        [section] = [s for s in document["sections"] if s["key"] == "post_market"]
        return section

    due, overdue = post_market(70), post_market(80)
    assert [(i["incident_id"], i["status"]) for i in due["content"]["serious_incidents"]] == [
        ("SI-1", "due")
    ]
    assert "serious_incident_overdue" not in {f["finding"] for f in due["findings"]}
    assert overdue["content"]["serious_incidents"][0]["status"] == "overdue"
    [gap] = [f for f in overdue["findings"] if f["finding"] == "serious_incident_overdue"]
    assert gap["severity"] == "critical" and "SI-1" in gap["detail"]
    html = render(build_dossier(events, integrity=incident_integrity(later(80))), "html").decode()
    assert "Serious incidents (Art. 73)" in html and "loan refusals across a region" in html


def test_a_dossier_before_registration_or_as_of_two_points_is_refused(ledger: Ledger) -> None:
    with pytest.raises(ModelNotFoundError, match="was not yet registered"):
        dossier(ledger, "scorer", at=later(-1))
    with pytest.raises(DossierPointError, match="not both"):
        dossier(ledger, "scorer", at=BETWEEN, known_at=BETWEEN)


def test_a_card_without_training_data_is_a_gap() -> None:
    model = new_model("medium")
    model.register_version(RegisterVersion(name="churn", card=card()), by("eng"))
    integrity = Integrity(1, "00", "2026-02-01T00:00:00Z", "k", "s", True)
    report = model_report_of(list(model.collect_events()), integrity=integrity).document
    report["versions"][0]["card"]["training_data"] = []  # as an imported card may leave it
    details = [f["detail"] for f in development(report, model)["findings"]]
    assert "no training data recorded on the card of version 1" in details
