"""A model's legal hold: placed and released by a compliance officer, each with a reason.

`HoldSteps` is a part of `Model` (domain/model.py), like `ExternalSteps`: the role matrix first,
then the rules, then the events (domain/events/holds.py). A model has one hold at a time:
placing a second, or releasing one that is not placed, is refused (a 409), never a silent no-op,
since both are decisions someone will be asked about.
"""

from __future__ import annotations

from domain import events, rules
from domain.errors import LegalHoldAlreadyPlacedError, NoLegalHoldError
from domain.hold_commands import PlaceLegalHold, ReleaseLegalHold
from domain.instants import utc_text
from domain.steps import ModelSteps
from domain.values import Attribution, require_text


class HoldSteps(ModelSteps):
    """Commands placing and releasing a model's legal hold; a base of `Model`."""

    def place_legal_hold(self, command: PlaceLegalHold, by: Attribution) -> None:
        """Keep every observation of the model until the hold is released."""
        rules.check_may(by, command.ACTION)
        hold = self.legal_hold
        if hold is not None:
            raise LegalHoldAlreadyPlacedError(
                f"model {self.name!r} is already under a legal hold, placed by {hold.placed_by} "
                f"on {utc_text(hold.placed_at)} ({hold.reason}); release it before placing another"
            )
        matter = (
            "" if command.matter == "" else require_text("matter", command.matter, max_length=200)
        )
        self._record(events.LegalHoldPlaced, by, matter=matter.strip())

    def release_legal_hold(self, command: ReleaseLegalHold, by: Attribution) -> None:
        """End the hold; the model's observations past retention may then be dropped."""
        rules.check_may(by, command.ACTION)
        hold = self.legal_hold
        if hold is None:
            raise NoLegalHoldError(f"model {self.name!r} is under no legal hold: none to release")
        rules.check_effective_after(by, hold.placed_at, what="the legal hold's placing")
        self._record(events.LegalHoldReleased, by, matter=hold.matter)
