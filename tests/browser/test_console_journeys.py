"""What each role does in the console, in Chromium: the decisions it takes, the ones it is refused,
the files it downloads and the past it looks at."""

from __future__ import annotations

import re
from pathlib import Path

import httpx2
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import sign_in
from tests.client.conftest import Remote

SIGNOFF_GATE = re.compile(r"compliance signoff")


GREEN = "rgb(20, 108, 46)"  # --ok in console.css


def _signoff_gate(page: Page, scope: str = "#version-1") -> Locator:
    """The compliance sign-off gate's status, as shown in the version's table of gates."""
    row = page.locator(f"{scope} table.gates tr", has_text=SIGNOFF_GATE)
    return row.locator(".gate")


def _activate(live: Remote, name: str) -> httpx2.Response:
    return httpx2.post(
        f"{live.url}/v1/models/{name}/activations",
        json={"version": 1, "environment": "production"},
        headers={"Authorization": f"Bearer {live.tokens['ml_engineer']}"},
        timeout=30,
    )


def test_a_compliance_officer_signs_off_from_the_queue_and_the_version_can_then_go_live(
    page: Page, live: Remote
) -> None:
    refused = _activate(live, "screener")
    assert refused.status_code == 409, refused.text  # the sign-off is the one gate missing
    sign_in(page, live, "compliance_officer")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Queues").click()
    expect(
        page.get_by_role("heading", name=re.compile("awaiting compliance sign-off"))
    ).to_be_visible()
    item = page.locator("#signoff-screener-1")
    item.get_by_label("Comment (optional)").fill("fairness review passed")
    item.get_by_role("button", name="Sign off version 1").click()
    expect(page.locator("#signoff-screener-1")).to_have_count(0)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Portfolio").click()
    page.get_by_role("link", name="screener", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("screener")
    gate = _signoff_gate(page)
    expect(gate).to_have_class("gate met")
    expect(gate).to_have_text("✓ met")
    expect(gate).to_have_css("color", GREEN)
    expect(page.locator("#version-1 .gate.unmet")).to_have_count(0)
    activated = _activate(live, "screener")
    assert activated.status_code in (200, 201), activated.text


def test_an_auditor_is_offered_no_form_but_signing_out_and_a_form_sent_by_hand_is_refused(
    page: Page, live: Remote
) -> None:
    sign_in(page, live, "auditor")
    for path in ("/console/queues", "/console/models/screener", "/console/models/scorer"):
        page.goto(path)
        posting = page.locator("form[method=post]")
        expect(posting).to_have_count(1)
        expect(posting.get_by_role("button")).to_have_text("Sign out")
    csrf = page.locator("form[action='/console/logout'] input[name=csrf]").get_attribute("value")
    assert csrf
    answer = page.request.post(
        "/console/models/screener/versions/1/signoff",
        form={"csrf": csrf, "form_id": "by-hand-" * 3, "reason": "I audit, I may not sign"},
    )
    assert answer.status == 403
    assert "may not" in answer.text()


def test_a_data_scientist_resolves_a_bias_flag_from_the_queue(page: Page, live: Remote) -> None:
    sign_in(page, live, "data_scientist", next_page="/console/queues")
    item = page.locator("#q-flag-scorer-BF-1")
    item.get_by_label("Decision").select_option("retrain")
    item.get_by_label("Justification").fill("retrained without the age band")
    item.get_by_role("button", name="Resolve BF-1").click()
    expect(page.get_by_text("No open bias flag.")).to_be_visible()
    page.goto("/console/models/scorer#flag-BF-1")
    flag = page.locator("#flag-BF-1")
    expect(flag.locator(".tag.ok")).to_have_text("resolved")
    expect(flag).to_contain_text("retrained without the age band")


def test_a_models_audit_report_downloads_as_a_pdf(page: Page, live: Remote, tmp_path: Path) -> None:
    sign_in(page, live, "auditor", next_page="/console/reports")
    with page.expect_download() as started:
        page.get_by_label("Model", exact=True).select_option("screener")
        page.get_by_label("Format", exact=True).first.select_option("pdf")
        page.locator("form[action='/console/reports/model']").get_by_role(
            "button", name="Download"
        ).click()
    download = started.value
    assert download.suggested_filename.endswith(".pdf")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")


def test_time_travel_shows_the_gate_before_the_sign_off_and_what_changed(
    page: Page, live: Remote
) -> None:
    sign_in(page, live, "auditor", next_page="/console/models/scanner")
    expect(_signoff_gate(page)).to_have_class("gate met")
    page.get_by_role("link", name=re.compile("Time travel")).click()
    page.get_by_label("As of (UTC)").fill("2026-01-05T12:00:00")
    page.get_by_label(re.compile("in the world")).check()
    page.get_by_label("Compare with (UTC, optional)").fill("2026-01-07T00:00:00")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=2).first).to_contain_text("2026-01-05 12:00:00")
    expect(_signoff_gate(page, scope="main")).to_have_class("gate unmet")
    expect(page.locator("pre.diff")).to_contain_text("ComplianceSignedOff")
