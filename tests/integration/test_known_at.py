"""As of a recorded time: the version the ledger knew then, found by bisection, agrees with reading
every event, at every moment of a history (before, between and on each recorded time)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from application.errors import ModelNotFoundError
from application.governance import Governance
from domain.commands import SetTarget
from tests.factories import T0, by, registration

MINUTE = timedelta(minutes=1)


def test_the_revision_known_at_any_moment_matches_a_scan_of_every_event(app: Governance) -> None:
    app.handle(registration("churn", "low"), by=replace(by("eng"), recorded_at=T0))
    for index in range(1, 21):
        moment = T0 + index * MINUTE
        app.handle(
            SetTarget(
                name="churn",
                dimension="cost",
                metric="eur",
                comparator="<=",
                threshold=float(index),
            ),
            by=replace(by("ds", at=moment), recorded_at=moment),
        )
    events = app.model_events("churn")

    for half_minutes in range(-2, 44):
        at = T0 + half_minutes * MINUTE / 2
        scanned = sum(1 for event in events if event.timestamp <= at)
        assert app.revision_known_at("churn", at) == scanned, at
        if scanned:
            assert app.model_as_known_at("churn", at).version == scanned
        else:
            with pytest.raises(ModelNotFoundError):
                app.model_as_known_at("churn", at)
    with pytest.raises(ModelNotFoundError):
        app.revision_known_at("nope", T0)
