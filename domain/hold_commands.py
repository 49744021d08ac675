"""The commands of a model's legal hold: placing one and releasing it. Commands like those of
domain/commands.py, whose `Action` vocabulary and role matrix (`PERMISSIONS`) name them; kept
apart so that module stays one screenful. The reason (why the hold, why it ends) is the
attribution's, required for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from domain.commands import Action, Command
from domain.fields import Doc, Text


@dataclass(frozen=True, kw_only=True)
class PlaceLegalHold(Command[None]):
    """Keep every observation of the model, whatever its retention, until the hold is released."""

    ACTION = Action.PLACE_LEGAL_HOLD
    matter: Annotated[
        str,
        Text(min=0, max=200),
        Doc("The case, investigation or request the hold is for.", examples=("CASE-2026-114",)),
    ] = ""


@dataclass(frozen=True, kw_only=True)
class ReleaseLegalHold(Command[None]):
    """End the model's legal hold; its observations past retention may then be dropped."""

    ACTION = Action.RELEASE_LEGAL_HOLD
