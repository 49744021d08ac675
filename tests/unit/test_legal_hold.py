"""A model's legal hold: placed and released by a compliance officer, with a reason; one at a time."""

from __future__ import annotations

import pytest

from domain.errors import (
    LegalHoldAlreadyPlacedError,
    NoLegalHoldError,
    ReasonRequiredError,
    RoleNotAllowedError,
)
from domain.hold_commands import PlaceLegalHold, ReleaseLegalHold
from domain.model import Model
from tests.factories import T0, by, later, new_model


def _held() -> Model:
    model = new_model("high")
    model.place_legal_hold(
        PlaceLegalHold(name="churn", matter="CASE-2026-114"),
        by("co", "litigation about declined loans", at=later(1)),
    )
    return model


def test_a_compliance_officer_places_a_hold_with_a_reason() -> None:
    model = _held()
    hold = model.legal_hold
    assert hold is not None
    assert (hold.placed_by, hold.role, hold.matter) == ("co", "compliance_officer", "CASE-2026-114")
    assert (hold.reason, hold.placed_at) == ("litigation about declined loans", later(1))
    [event] = [e for e in model.collect_events() if isinstance(e, Model.LegalHoldPlaced)]
    assert event.TOPIC == "modelgov/Model.LegalHoldPlaced"


def test_placing_a_second_hold_is_refused_and_names_the_first() -> None:
    model = _held()
    with pytest.raises(
        LegalHoldAlreadyPlacedError, match="already under a legal hold, placed by co"
    ):
        model.place_legal_hold(PlaceLegalHold(name="churn"), by("co", "again", at=later(2)))


def test_releasing_ends_the_hold_and_a_second_release_is_refused() -> None:
    model = _held()
    model.release_legal_hold(ReleaseLegalHold(name="churn"), by("co", "case settled", at=later(3)))
    assert model.legal_hold is None
    released = [e for e in model.collect_events() if isinstance(e, Model.LegalHoldReleased)]
    assert [(e.matter, e.reason) for e in released] == [("CASE-2026-114", "case settled")]
    with pytest.raises(NoLegalHoldError, match="under no legal hold"):
        model.release_legal_hold(ReleaseLegalHold(name="churn"), by("co", "again", at=later(4)))


def test_a_model_never_held_has_no_hold_to_release() -> None:
    model = new_model("low")
    assert model.legal_hold is None
    with pytest.raises(NoLegalHoldError):
        model.release_legal_hold(ReleaseLegalHold(name="churn"), by("co", "tidy up"))


def test_only_a_compliance_officer_places_or_releases_and_always_with_a_reason() -> None:
    model = new_model("low")
    for role in ("admin", "auditor", "ml_engineer", "data_scientist"):
        with pytest.raises(RoleNotAllowedError):
            model.place_legal_hold(PlaceLegalHold(name="churn"), by("x", "why", role=role))
    with pytest.raises(ReasonRequiredError):
        model.place_legal_hold(PlaceLegalHold(name="churn"), by("co", "  "))
    assert model.legal_hold is None


def test_a_release_cannot_take_effect_before_the_hold_was_placed() -> None:
    model = _held()
    with pytest.raises(Exception, match="legal hold's placing"):
        model.release_legal_hold(ReleaseLegalHold(name="churn"), by("co", "backdated", at=T0))
    assert model.legal_hold is not None
