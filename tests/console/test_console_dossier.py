"""The console's dossier: the model page links it and offers it as of a date on either timeline."""

from __future__ import annotations

import json

import pytest

from domain.instants import utc_text
from tests.console.conftest import Console, awaiting_signoff
from tests.console.test_console import _sealed

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def test_the_model_page_offers_the_dossier_now_and_as_of_a_date(console: Console) -> None:
    awaiting_signoff(console.governance)
    _sealed(console)
    session = console.sign_in("auditor")
    page = console.get("/console/models/screener", session)
    assert "Technical documentation (EU AI Act Annex IV)" in page.text
    assert "/console/models/screener/dossier?format=pdf" in page.text
    now = console.get("/console/models/screener/dossier", session, format="json")
    assert now.status_code == 200 and len(json.loads(now.content)["sections"]) == 9
    registered = console.governance.model_events("screener")[0].timestamp
    then = console.get(
        "/console/models/screener/dossier", session, format="html", timeline="ledger",
        on=utc_text(registered),
    )  # fmt: skip
    assert then.status_code == 200 and "as the ledger knew it at" in then.text
    assert 'filename="dossier-screener-ledger-' in then.headers["content-disposition"]
    early = console.get("/console/models/screener/dossier", session, on="2000-01-01")
    assert early.status_code == 404 and "not yet registered" in early.text
