"""Serious incidents in the console, on SQLite and PostgreSQL: the portfolio's findings and the
model page show the reporting deadline (here long past), and the incident's report downloads."""

from __future__ import annotations

import json

from domain.incident_commands import DeclareIncident
from infrastructure.cli.ledger_commands import seal_until_caught_up
from infrastructure.ledger.keys import write_key_pair
from tests.console.conftest import Console, with_bias_flag
from tests.factories import by, later


def test_an_overdue_incident_shows_on_the_portfolio_and_the_model_page(console: Console) -> None:
    with_bias_flag(console.governance)
    console.governance.handle(
        DeclareIncident(name="scorer", severity_class="death", summary="a wrong refusal of care",
                        flag_ids=["BF-1"], version=1),
        by=by("co", at=later(2)),
    )  # fmt: skip
    session = console.sign_in("compliance_officer")
    position = console.governance.recorder.max_notification_id()
    portfolio = console.get("/console/portfolio", session, after=str(position)).text
    assert "serious incident SI-1 (the death of a person" in portfolio
    assert "with no report submitted" in portfolio

    page = console.get("/console/models/scorer", session).text
    incidents = page[page.index('<h2 id="m-incidents">') :].split("</section>")[0]
    assert "SI-1, v1: a wrong refusal of care" in incidents and "overdue by" in incidents

    ledger = console.api.client.app.state.ledger  # type: ignore[attr-defined]
    write_key_pair(ledger.settings.signing_key_file, passphrase=None)
    seal_until_caught_up(ledger)
    link = "/console/reports/models/scorer/incidents/SI-1"
    assert f'href="{link}?format=json"' in incidents
    document = json.loads(console.get(link, session, format="json").content)
    assert (document["kind"], document["incident"]["status"]) == ("initial", "overdue")
    assert console.get(link, console.sign_in("auditor")).status_code == 200
