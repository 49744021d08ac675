"""The console as its users meet it, over HTTP on both stores: signing in and out, CSRF, what each
role is offered and refused, decisions that end in one event each, pages and downloads."""

from __future__ import annotations

import hashlib
import html
import io
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.issuance import issued
from domain.commands import PERMISSIONS, Action, Activate, ResolveBiasFlag, SignOff
from domain.instants import utc_text
from domain.issued_reports import IssuedReport
from domain.roles import ACCESS, Access
from infrastructure.api.tokens import TOKEN_ROLES, TokenStore
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.db.sql import SqlRunner
from infrastructure.ledger.keys import public_key_summary, write_key_pair
from infrastructure.ledger.proofs import verify_proof
from tests.api.conftest import PRINCIPAL_OF
from tests.console.conftest import Console, awaiting_signoff, with_bias_flag
from tests.factories import by, registration

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def test_a_page_without_a_session_leads_to_the_sign_in_page_and_back(console: Console) -> None:
    answer = console.get("/console/queues", None)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/login?next=/console/queues"


def test_signing_in_turns_the_token_into_an_httponly_strict_session_cookie(
    console: Console,
) -> None:
    client = console.api.client
    form = client.get("/console/login")
    csrf = console.form_secrets(form)["csrf"]
    answer = client.post(
        "/console/login", data={"csrf": csrf, "token": console.api.tokens["auditor"], "next": "/console/ledger"},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"] == "/console/ledger"
    cookie = next(
        h for h in answer.headers.get_list("set-cookie") if h.startswith("modelgov_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert console.api.tokens["auditor"] not in cookie  # the cookie is a session id, not the token


def test_a_wrong_token_is_told_on_the_sign_in_page(console: Console) -> None:
    client = console.api.client
    csrf = console.form_secrets(client.get("/console/login"))["csrf"]
    answer = client.post(
        "/console/login", data={"csrf": csrf, "token": "mg_0123456789abcdef_" + "x" * 43}
    )
    assert answer.status_code == 401
    assert "not valid, or was revoked" in answer.text
    assert "modelgov_session" not in answer.headers.get("set-cookie", "")


def test_a_scrape_only_token_may_not_sign_in_and_is_told_why(console: Console) -> None:
    """The metrics scraper's token reads no model, so the console, which shows models, refuses it
    on the sign-in page (403), with no session."""
    client = console.api.client
    csrf = console.form_secrets(client.get("/console/login"))["csrf"]
    answer = client.post(
        "/console/login", data={"csrf": csrf, "token": console.api.tokens["metrics_scraper"]}
    )
    assert answer.status_code == 403
    assert "role 'metrics_scraper' may not read, so it may not sign in" in html.unescape(
        answer.text
    )
    assert "modelgov_session" not in answer.headers.get("set-cookie", "")


def test_the_sign_in_form_needs_its_own_csrf_token(console: Console) -> None:
    client = console.api.client
    client.cookies.clear()
    answer = client.post(
        "/console/login", data={"csrf": "forged", "token": console.api.tokens["auditor"]}
    )
    assert answer.status_code == 403 and "sign-in form has expired" in answer.text


def test_signing_out_ends_the_session_for_good(console: Console) -> None:
    session = console.sign_in("auditor")
    page = console.get("/console/portfolio", session)
    assert page.status_code == 200
    out = console.post("/console/logout", {"csrf": console.form_secrets(page)["csrf"]}, session)
    assert out.status_code == 303 and out.headers["location"] == "/console/login"
    assert console.get("/console/portfolio", session).status_code == 303  # the old cookie is dead


def test_revoking_the_token_ends_its_console_sessions(console: Console) -> None:
    session = console.sign_in("compliance_officer")
    assert console.get("/console/queues", session).status_code == 200
    store = TokenStore(SqlRunner(console.api.client.app.state.settings.database))  # type: ignore[attr-defined]
    token_id = console.api.tokens["compliance_officer"].split("_")[1]
    store.revoke(token_id)
    assert console.get("/console/queues", session).status_code == 303


def test_a_form_without_the_sessions_csrf_token_records_nothing(console: Console) -> None:
    awaiting_signoff(console.governance)
    session = console.sign_in("compliance_officer")
    other = console.sign_in("compliance_officer")  # another session: another CSRF secret
    secrets = console.form_secrets(console.get("/console/queues", other))
    before = console.revision("screener")
    answer = console.post(
        "/console/models/screener/versions/1/signoff", {**secrets, "reason": "ok"}, session
    )
    assert answer.status_code == 403
    assert "security token does not match your session" in answer.text
    assert console.revision("screener") == before


def test_a_compliance_officer_signs_off_and_the_gate_turns_green(console: Console) -> None:
    awaiting_signoff(console.governance)
    session = console.sign_in("compliance_officer")
    queue = console.get("/console/queues", session)
    assert 'action="/console/models/screener/versions/1/signoff"' in queue.text
    answer = console.post(
        "/console/models/screener/versions/1/signoff",
        {**console.form_secrets(queue), "reason": "fairness review passed", "return_to": "/console/queues"},
        session,
    )  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"].startswith(
        "/console/queues?after="
    )
    after = console.api.client.get(
        answer.headers["location"], headers={"Cookie": f"modelgov_session={session}"}
    )
    assert "Nothing awaits a sign-off." in after.text
    event = console.governance.model_events("screener")[-1]
    assert type(event).__name__ == "ComplianceSignedOff"
    assert (event.actor, event.role, event.reason) == (
        PRINCIPAL_OF["compliance_officer"], "compliance_officer", "fairness review passed",
    )  # fmt: skip
    model = console.get("/console/models/screener", session)
    assert 'compliance signoff</td><td><span class="gate met">' in model.text


def test_the_same_form_sent_twice_records_its_decision_once(console: Console) -> None:
    awaiting_signoff(console.governance)
    session = console.sign_in("compliance_officer")
    form = {**console.form_secrets(console.get("/console/queues", session)), "reason": "ok"}
    before = console.revision("screener")
    first = console.post("/console/models/screener/versions/1/signoff", form, session)
    second = console.post("/console/models/screener/versions/1/signoff", form, session)
    assert first.status_code == second.status_code == 303
    assert console.revision("screener") == before + 1


def test_a_second_sign_off_by_the_same_officer_is_refused_in_words(console: Console) -> None:
    awaiting_signoff(console.governance)
    session = console.sign_in("compliance_officer")
    page = console.get("/console/models/screener", session)
    secrets = console.form_secrets(page)
    console.post("/console/models/screener/versions/1/signoff", secrets, session)
    again = console.post(
        "/console/models/screener/versions/1/signoff", {**secrets, "form_id": "another-form-" * 2},
        session,
    )  # fmt: skip
    assert again.status_code == 409
    assert "has already signed off this" in again.text and "<html" in again.text


def test_a_data_scientist_resolves_a_bias_flag(console: Console) -> None:
    with_bias_flag(console.governance)
    session = console.sign_in("data_scientist")
    queue = console.get("/console/queues", session)
    assert 'action="/console/models/scorer/bias-flags/BF-1/resolution"' in queue.text
    answer = console.post(
        "/console/models/scorer/bias-flags/BF-1/resolution",
        {**console.form_secrets(queue), "resolution": "retrain", "justification": "retrained without age"},
        session,
    )  # fmt: skip
    assert answer.status_code == 303
    event = console.governance.model_events("scorer")[-1]
    assert type(event).__name__ == "BiasFlagResolved"
    assert event.resolution == "retrain" and event.reason == "retrained without age"


def test_a_bad_resolution_is_a_clear_422_and_records_nothing(console: Console) -> None:
    with_bias_flag(console.governance)
    session = console.sign_in("data_scientist")
    before = console.revision("scorer")
    answer = console.post(
        "/console/models/scorer/bias-flags/BF-1/resolution",
        {**console.form_secrets(console.get("/console/queues", session)), "resolution": "ignore",
         "justification": "x"},
        session,
    )  # fmt: skip
    assert answer.status_code == 422 and "resolution" in answer.text
    assert console.revision("scorer") == before


DECISIONS = {
    Action.SIGN_OFF: ("/console/models/screener/versions/1/signoff", 'versions/1/signoff"'),
    Action.REJECT_RELEASE: (
        "/console/models/screener/versions/1/rejection",
        'versions/1/rejection"',
    ),
}


@pytest.mark.parametrize("role", [role for role in TOKEN_ROLES if role in ACCESS[Access.READ]])
def test_each_role_is_offered_exactly_the_decisions_it_may_take_and_refused_the_rest(
    console: Console, role: str
) -> None:
    awaiting_signoff(console.governance)
    session = console.sign_in(role)
    queue = console.get("/console/queues", session)
    for action, (path, form_marker) in DECISIONS.items():
        allowed = role in PERMISSIONS[action]
        assert (form_marker in queue.text) == allowed, (role, action)
        if not allowed:
            before = console.revision("screener")
            secrets = dict(console.form_secrets(queue), form_id="f" * 22)
            answer = console.post(path, {**secrets, "reason": "by hand"}, session)
            assert answer.status_code == 403, (role, action, answer.text)
            assert f"role {role!r} may not" in html.unescape(answer.text)
            assert console.revision("screener") == before


def test_an_auditor_sees_no_forms_but_signing_out(console: Console) -> None:
    awaiting_signoff(console.governance)
    with_bias_flag(console.governance)
    session = console.sign_in("auditor")
    for path in ("/console/queues", "/console/models/screener", "/console/models/scorer"):
        page = console.get(path, session)
        assert page.status_code == 200
        assert page.text.count('method="post"') == 1, path  # the sign-out form only


def test_time_travel_shows_the_model_before_a_decision_on_either_timeline(console: Console) -> None:
    awaiting_signoff(console.governance)
    session = console.sign_in("auditor")
    before = console.get(
        "/console/models/screener/as-of", session, at="2000-01-01", timeline="world"
    )
    assert before.status_code == 200 and "was not registered yet then" in before.text
    now = console.get(
        "/console/models/screener/as-of", session, timeline="ledger", compare="2000-01-01"
    )
    recorded = console.revision("screener")
    assert f"{recorded} of {recorded} event(s) had been recorded" in now.text
    assert "What changed between" in now.text and "ReleaseApproved" in now.text


def test_time_travel_compares_across_a_flag_raised_before_and_resolved_after_the_earlier_date(
    console: Console,
) -> None:
    with_bias_flag(console.governance)
    raised = console.governance.model_events("scorer")[-1]
    console.governance.handle(
        ResolveBiasFlag(name="scorer", flag_id="BF-1", resolution="retrain"),
        by=by("ds", "retrained without the feature"),
    )
    session = console.sign_in("auditor")
    answer = console.get(
        "/console/models/scorer/as-of", session, timeline="ledger",
        compare=utc_text(raised.timestamp),
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert "What changed between" in answer.text and "BiasFlagResolved" in answer.text


def test_time_travel_refuses_a_malformed_date_with_a_clear_page(console: Console) -> None:
    awaiting_signoff(console.governance)
    session = console.sign_in("auditor")
    answer = console.get("/console/models/screener/as-of", session, at="yesterday")
    assert answer.status_code == 422 and "<html" in answer.text and "at" in answer.text


def test_an_unknown_model_is_a_404_page(console: Console) -> None:
    session = console.sign_in("auditor")
    answer = console.get("/console/models/nobody", session)
    assert answer.status_code == 404 and "no model named 'nobody'" in html.unescape(answer.text)


def test_the_portfolio_filters_by_tier_and_refuses_an_unknown_one(console: Console) -> None:
    awaiting_signoff(console.governance)
    with_bias_flag(console.governance)
    console.api.get("/v1/models", role="auditor")  # the projections have caught up
    session = console.sign_in("compliance_officer")
    position = console.governance.recorder.max_notification_id()
    regulated = console.get("/console/portfolio", session, tier="regulated", after=str(position))
    assert (
        '/console/models/screener"' in regulated.text
        and '/console/models/scorer"' not in regulated.text
    )
    assert console.get("/console/portfolio", session, tier="extreme").status_code == 422


def test_the_portfolio_lists_open_bias_flags_with_their_due_date(console: Console) -> None:
    with_bias_flag(console.governance)
    session = console.sign_in("compliance_officer")
    position = console.governance.recorder.max_notification_id()
    page = console.get("/console/portfolio", session, after=str(position))
    assert 'bias flag <a href="/console/models/scorer#flag-BF-1">BF-1</a>' in page.text
    assert "overdue" in page.text  # raised at T0, long ago: past the policy's days


def test_the_portfolio_lists_a_model_with_nothing_open_beside_one_with_an_open_flag(
    console: Console,
) -> None:
    awaiting_signoff(console.governance)  # nothing open: listed from the catalog alone
    with_bias_flag(console.governance)
    session = console.sign_in("compliance_officer")
    position = console.governance.recorder.max_notification_id()
    page = console.get("/console/portfolio", session, after=str(position)).text
    models = page[page.index('<h2 id="models">') :]
    screener = models[models.index('/console/models/screener"') :].split("</tr>")[0]
    scorer = models[models.index('/console/models/scorer"') :].split("</tr>")[0]
    assert "<td>regulated</td><td>Retail</td><td>inactive</td>" in screener
    assert screener.endswith("<td>0</td><td>0</td>") and scorer.endswith("<td>0</td><td>1</td>")
    assert '<option value="Retail">Retail</option>' in page


def _sealed(console: Console) -> None:
    """The history signed: reports are built under a signed head."""
    ledger = console.api.client.app.state.ledger  # type: ignore[attr-defined]
    write_key_pair(ledger.settings.signing_key_file, passphrase=None)
    seal_until_caught_up(ledger)


def test_a_models_tables_download_as_csv(console: Console) -> None:
    awaiting_signoff(console.governance)
    _sealed(console)
    session = console.sign_in("auditor")
    answer = console.get("/console/reports/models/screener/approvals.csv", session)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    lines = answer.text.splitlines()
    assert lines[0].startswith("decision,subject,principal,role")
    assert sum(line.startswith("release approval,") for line in lines) == 2
    bundle = console.get("/console/ledger/bundle.zip", session, model="screener")
    names = zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
    assert bundle.status_code == 200 and any(name.endswith(".json") for name in names)
    assert console.get("/console/reports/models/screener/secrets.csv", session).status_code == 404


def test_a_report_a_compliance_officer_downloads_is_issued_once_and_an_auditors_is_not(
    console: Console,
) -> None:
    awaiting_signoff(console.governance)
    _sealed(console)
    path = "/console/reports/models/screener"
    auditors = console.get(path, console.sign_in("auditor"), format="json")
    assert auditors.status_code == 200 and "x-modelgov-issued" not in auditors.headers
    assert issued(console.governance, hashlib.sha256(auditors.content).hexdigest()) is None

    session = console.sign_in("compliance_officer")
    first, again = (
        console.get(path, session, format="json"),
        console.get(path, session, format="json"),
    )
    assert first.content == again.content == auditors.content  # the same head, the same bytes
    assert 'filename="model-screener-head-' in first.headers["content-disposition"]
    digest = hashlib.sha256(first.content).hexdigest()
    issuance = issued(console.governance, digest)
    assert issuance is not None and issuance.kind == "model" and issuance.subject == "screener"
    assert issuance.actor == PRINCIPAL_OF["compliance_officer"] and issuance.media_format == "json"
    assert first.headers["x-modelgov-issued"] == again.headers["x-modelgov-issued"]
    assert first.headers["x-modelgov-issued"].startswith(f"sha256={digest};")
    topic = IssuedReport.Issued.TOPIC
    assert (
        len(console.governance.recorder.select_notifications(start=1, limit=100, topics=[topic]))
        == 1
    )

    pdf = console.get("/console/reports/portfolio", session, format="pdf")
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
    assert issued(console.governance, hashlib.sha256(pdf.content).hexdigest()) is not None
    reports_page = html.unescape(console.get("/console/reports", session).text)
    assert "Since the last report issued" in reports_page


def test_an_activated_versions_proof_downloads_and_verifies_with_the_vkey(
    console: Console, tmp_path: Path
) -> None:
    awaiting_signoff(console.governance)
    console.governance.handle(SignOff(name="screener", version=1), by=by("co", "reviewed"))
    console.governance.handle(
        Activate(name="screener", version=1, environment="production"), by=by("eng")
    )
    _sealed(console)
    session = console.sign_in("compliance_officer")
    page = html.unescape(console.get("/console/models/screener", session).text)
    link = "/console/models/screener/versions/1/proof?environment=production"
    assert f'href="{link}"' in page and f'href="{link}&redact=true"' in page
    proof = console.get(link.split("?")[0], session, environment="production")
    assert proof.status_code == 200
    assert 'filename="proof-screener-v1-production.json"' in proof.headers["content-disposition"]
    (tmp_path / "proof.json").write_bytes(proof.content)
    ledger = console.api.client.app.state.ledger  # type: ignore[attr-defined]
    key = public_key_summary(ledger.settings.signing_key_file, origin=ledger.settings.ledger_origin)
    check = verify_proof(json.loads(proof.content), vkey_text=str(key["vkey"]))
    assert check.ok, check

    data_scientist = console.sign_in("data_scientist")
    page = html.unescape(console.get("/console/models/screener", data_scientist).text)
    assert f'href="{link}"' not in page and f'href="{link}&redact=true"' in page
    refused = console.get(link.split("?")[0], data_scientist, environment="production")
    assert refused.status_code == 403 and "redacted proof" in html.unescape(refused.text)
    redacted = console.get(
        link.split("?")[0], data_scientist, environment="production", redact="true"
    )
    assert redacted.status_code == 200 and PRINCIPAL_OF["compliance_officer"] not in redacted.text
    assert console.get(link.split("?")[0], session, environment="staging").status_code == 404


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cookie=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=300))
def test_no_cookie_but_a_live_sessions_signs_anyone_in(console: Console, cookie: str) -> None:
    answer = console.api.client.get(
        "/console/portfolio",
        headers={"Cookie": f"modelgov_session={cookie}"},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def _next_link(page: str, noun: str) -> str:
    """The href of the "next" link of the list of `noun` on a console page."""
    pager = page[page.index(f'aria-label="Pages of {noun}"') :].split("</nav>")[0]
    return html.unescape(pager.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0])


def test_the_portfolio_pages_its_models_fifty_at_a_time_keeping_the_filters(
    console: Console,
) -> None:
    for number in range(60):
        console.governance.handle(registration(f"m{number:02d}", "low"), by=by("eng"))
    console.governance.handle(registration("other", "high"), by=by("eng"))
    session = console.sign_in("compliance_officer")
    position = str(console.governance.recorder.max_notification_id())

    first = console.get("/console/portfolio", session, tier="low", after=position).text

    assert "Showing 1-50 of 60 models · page 1 of 2" in first
    assert '/console/models/m49"' in first and '/console/models/m50"' not in first
    assert '/console/models/other"' not in first
    following = _next_link(first, "models")
    assert following == "/console/portfolio?page=2&tier=low#models"  # the filter kept
    second = console.get(following.split("#")[0], session).text
    assert "Showing 51-60 of 60 models · page 2 of 2" in second and 'rel="next"' not in second
    assert '/console/models/m50"' in second and '/console/models/m49"' not in second
    assert 'href="/console/portfolio?tier=low#models" rel="prev"' in second
    assert '/console/models/other"' not in second
    every = console.get("/console/portfolio", session, page="2").text  # no filter: 61 models
    assert "Showing 51-61 of 61 models" in every and '/console/models/other"' in every
    assert console.get("/console/portfolio", session, page="0").status_code == 422


def test_the_reports_page_links_a_page_of_models_and_still_offers_every_model(
    console: Console,
) -> None:
    for number in range(55):
        console.governance.handle(registration(f"m{number:02d}", "low"), by=by("eng"))
    session = console.sign_in("compliance_officer")
    position = str(console.governance.recorder.max_notification_id())

    first = console.get("/console/reports", session, after=position).text

    assert "Showing 1-50 of 55 models · page 1 of 2" in first
    assert '/reports/models/m49?format=pdf"' in first and "/reports/models/m50?" not in first
    assert "<option>m54</option>" in first  # the form still names every model
    second = console.get(_next_link(first, "models").split("#")[0], session).text
    assert "Showing 51-55 of 55 models · page 2 of 2" in second
    assert '/reports/models/m54/breaches.csv"' in second and "/reports/models/m49?" not in second


def test_the_queues_and_the_portfolio_page_open_bias_flags(console: Console) -> None:
    for number in range(55):
        with_bias_flag(console.governance, f"s{number:02d}")
    session = console.sign_in("data_scientist")
    position = str(console.governance.recorder.max_notification_id())

    queue = console.get("/console/queues", session, after=position).text

    assert "Bias flags awaiting a data scientist's decision (55)" in queue
    assert "Showing 1-50 of 55 bias flags" in queue and queue.count("Resolve BF-1") == 50
    second = console.get(_next_link(queue, "bias flags").split("#")[0], session).text
    assert "Showing 51-55 of 55 bias flags" in second and second.count("Resolve BF-1") == 5
    assert 'id="q-flag-s54-BF-1"' in second and 'id="q-flag-s00-BF-1"' not in second
    officer = console.sign_in("compliance_officer")
    portfolio = console.get("/console/portfolio", officer).text
    assert "Showing 1-50 of 55 open breaches and bias flags" in portfolio
    assert portfolio.count("overdue</span>") == 50
    assert '<span class="sev sev-high">high</span> 55' in portfolio  # each flag overdue
    assert "Showing 1-50 of 110 findings" in portfolio  # and 55 without targets (medium)
    assert _next_link(portfolio, "findings") == "/console/portfolio?fpage=2#findings"
