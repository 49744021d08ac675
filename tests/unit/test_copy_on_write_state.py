"""A model's state is copy-on-write (domain/state.py): a copy of a model (the library's model cache
hands one out per command) shares the entries of the model it was copied from, so no event applied
to the copy may change the model it came from; and the copies fold to the same state as a fold."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import cast

from application.demo import seed_demo_portfolio
from application.governance import Governance, fold_model
from domain.commands import Activate, CloseBreach, OpenBreach, ReportCost
from domain.events import EVENT_CLASSES, Event
from domain.external_commands import RecordExternalAlias, RecordExternalTag
from domain.hold_commands import PlaceLegalHold, ReleaseLegalHold
from domain.incident_commands import DeclareIncident, ReportIncident
from domain.incidents import DEATH
from domain.model import Model, model_id_for
from tests.factories import by, later, new_model, ready_version, state_bytes


def _fold_through_copies(events: Iterable[Event]) -> tuple[Model, set[str]]:
    """Each event applied to a copy of the model folded so far, as the cache does it; asserts
    that the model copied from stays as it was. The model, and the kinds of events applied."""
    model = None
    kinds: set[str] = set()
    for event in events:
        if model is None:
            model = event.mutate(None)
            continue
        before = state_bytes(model)
        copied = copy.deepcopy(model)
        event.mutate(copied)
        assert state_bytes(model) == before, f"{type(event).__name__} changed the model copied from"
        model = copied
        kinds.add(type(event).__name__)
    assert model is not None
    return model, kinds


def _a_model_with_incidents_holds_and_aliases() -> list[Event]:
    model = new_model("high")
    version = ready_version(model)
    model.activate(Activate(name=model.name, version=version, environment="production"), by("ops"))
    breach = model.open_breach(
        OpenBreach(name=model.name, version=version, environment="production",
                   dimension="accuracy", metric="accuracy_metric", observed_value=2.0),
        by("policy", at=later(1)),
    )  # fmt: skip
    for month in ("2026-01", "2026-01", "2026-02"):
        model.report_cost(
            ReportCost(name=model.name, period=month, amount=Decimal(10), currency="EUR",
                       business_unit="retail", version=version),
            by("bo", at=later(2)),
        )  # fmt: skip
    incident = model.declare_incident(
        DeclareIncident(name=model.name, severity_class=DEATH, summary="a refusal of care",
                        breach_ids=[breach]),
        by("ops", at=later(3)),
    )  # fmt: skip
    for kind in ("initial", "final"):
        model.report_incident(
            ReportIncident(name=model.name, incident_id=incident, kind=kind,
                           authority="market surveillance", reference=f"R-{kind}"),
            by("co", at=later(4)),
        )  # fmt: skip
    model.close_breach(
        CloseBreach(name=model.name, breach_id=breach, observed_value=0.5),
        by("policy", at=later(5)),
    )
    model.place_legal_hold(PlaceLegalHold(name=model.name, matter="CASE-1"), by("co", "a suit"))
    model.release_legal_hold(ReleaseLegalHold(name=model.name), by("co", "settled"))
    bridge = by("mlflow-bridge", role="integration")
    for alias_version in (version, None):
        model.record_external_alias(
            RecordExternalAlias(name=model.name, source="mlflow", alias="champion",
                                version=alias_version, external_version="1"),
            bridge,
        )  # fmt: skip
    model.record_external_tag(
        RecordExternalTag(name=model.name, source="mlflow", key="team", value="risk"), bridge
    )
    return cast(list[Event], model.collect_events())


def test_no_event_applied_to_a_copy_of_a_model_changes_the_model_it_was_copied_from(
    app: Governance,
) -> None:
    seed_demo_portfolio(app, now=datetime.now(UTC))
    histories = [app.model_events(name) for name in app.registered_model_names()]
    histories.append(_a_model_with_incidents_holds_and_aliases())
    applied: set[str] = set()
    for events in histories:
        through_copies, kinds = _fold_through_copies(events)
        applied |= kinds
        folded = fold_model(None, events)
        assert folded is not None and state_bytes(through_copies) == state_bytes(folded)
    every_change = {cls.__name__ for cls in EVENT_CLASSES} - {"Registered", "OnCallPaged"}
    assert every_change <= applied


def test_models_served_from_the_cache_are_the_models_folded_from_their_events(
    app: Governance,
) -> None:
    seed_demo_portfolio(app, now=datetime.now(UTC))
    for name in app.registered_model_names():
        cached = app.get_model(name)
        cached_again = app.get_model(name)
        folded = fold_model(None, app.events.get(model_id_for(name)))
        assert folded is not None
        assert state_bytes(cached) == state_bytes(folded) == state_bytes(cached_again)
