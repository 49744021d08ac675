"""The commands that bring in what another registry (MLflow) did to a model: an alias set or
removed, a tag set. Commands like those of domain/commands.py, whose `Action` vocabulary and role
matrix (`PERMISSIONS`: the `integration` role only) name them; kept apart as the incidents' and
the holds' are, so that module stays one screenful.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from domain.commands import Action, Command, OptionalVersion
from domain.fields import Doc, OneOf, Pattern, Text
from domain.values import ENVIRONMENT_PATTERN, EXTERNAL_SOURCES


@dataclass(frozen=True, kw_only=True)
class RecordExternalAlias(Command[None]):
    """An alias another registry set on a version, or removed (no `version`): as it is, once."""

    ACTION = Action.RECORD_EXTERNAL_ALIAS
    source: Annotated[str, OneOf(EXTERNAL_SOURCES)]
    alias: Annotated[str, Text(max=255), Doc(examples=("champion",))]
    version: OptionalVersion = None
    external_version: Annotated[str, Text(max=100)] = ""  # as the other registry numbers it
    environment: Annotated[str | None, Pattern(ENVIRONMENT_PATTERN)] = None  # champion: production


@dataclass(frozen=True, kw_only=True)
class RecordExternalTag(Command[None]):
    """A tag another registry set on one of the model's versions (`version`) or on the model."""

    ACTION = Action.RECORD_EXTERNAL_TAG
    source: Annotated[str, OneOf(EXTERNAL_SOURCES)]
    key: Annotated[str, Text(max=250)]
    value: Annotated[str, Text(min=0, max=5000)]
    version: OptionalVersion = None
