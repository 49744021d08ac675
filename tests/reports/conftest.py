"""A store holding the audited history (tests/factories.py), sealed under a head signed at HEAD_TIME."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from application.governance import Governance
from application.ledger.sealer import Sealer
from domain.commands import ApproveRelease, RegisterVersion
from infrastructure.db.store import open_governance
from infrastructure.ledger.keys import head_file_for, write_key_pair
from infrastructure.ledger.online import Ledger, open_ledger
from infrastructure.settings import Settings
from tests.factories import T0, at_hours, audited_history, card, registration

HEAD_TIME = T0 + timedelta(days=30)


def seal_at(ledger: Ledger, when: datetime) -> int:
    """Seal every event and sign a head stamped `when`; returns the head's size."""
    sealer = Sealer(
        source=ledger.events, tables=ledger.tables, signer=ledger.signer(), every_events=10**6,
        anchor=head_file_for(ledger.settings.signing_key_file), now=lambda: when,
    )  # fmt: skip
    sealer.seal_all()
    return sealer.frontier.size


def portfolio(app: Governance) -> None:
    """The audited `scorer`, a low-tier `router` with one version and no targets, a draft."""
    audited_history(app)
    app.handle(registration("router", "low"), by=at_hours("eng", 0))
    app.handle(RegisterVersion(name="router", card=card()), by=at_hours("eng", 1))
    app.handle(ApproveRelease(name="router", version=1), by=at_hours("ds", 2, "looks right"))
    app.handle(registration("draft-model", "low"), by=at_hours("eng", 3))


@pytest.fixture
def ledger(backend: Settings) -> Iterator[Ledger]:
    write_key_pair(backend.signing_key_file, passphrase=None)
    governance = open_governance(backend)
    portfolio(governance)
    opened = open_ledger(backend, governance)
    seal_at(opened, HEAD_TIME)
    yield opened
    governance.close()
