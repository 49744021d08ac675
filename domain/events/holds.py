"""A model's legal hold placed and released: while one stands, none of the model's observations
is dropped, whatever its policy's retention (domain/retention.py)."""

from __future__ import annotations

from domain.entities import LegalHold
from domain.events.base import Event, catalogued
from domain.state import ModelState


@catalogued
class LegalHoldPlaced(Event):
    """`reason` says why; `matter` names the case, investigation or request (may be empty)."""

    TOPIC = "modelgov/Model.LegalHoldPlaced"
    matter: str

    def apply(self, model: ModelState) -> None:
        model.legal_hold = self.entity(LegalHold, placed_at=self.effective_at, placed_by=self.actor)


@catalogued
class LegalHoldReleased(Event):
    """`reason` says why the hold ends; `matter`: the released hold's, so the event reads alone."""

    TOPIC = "modelgov/Model.LegalHoldReleased"
    matter: str

    def apply(self, model: ModelState) -> None:
        model.legal_hold = None
