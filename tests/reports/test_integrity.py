"""A report over a ledger someone edited still renders, and says that verification failed and where."""

from __future__ import annotations

from infrastructure.ledger.online import Ledger
from infrastructure.ledger.report_source import model_report
from reports import render
from tests.ledger_tampering import as_dba, events_table, nid_at


def test_a_report_over_an_edited_store_says_verification_failed_and_where(ledger: Ledger) -> None:
    table, nid = events_table(ledger.settings)
    # The router's events (positions 26-28) are not the scorer's: its report still replays, and still
    # rests on a log that no longer verifies.
    change = "randomblob(length(state))" if table == "stored_events" else "state || '\\x00'::bytea"
    as_dba(
        ledger.settings, f"UPDATE {table} SET state = {change} WHERE {nid} = {nid_at(ledger, 27)}"
    )
    document = model_report(ledger, "scorer", as_of_head=None)
    integrity = document["integrity"]
    assert integrity["verified"] is False
    assert integrity["problems"][0].startswith("position 27: modified:")
    assert "FAILED" in render(document, "html").decode()
