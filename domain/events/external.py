"""What another registry (MLflow) did to the model's versions: aliases set and removed, tags set.

Recorded by the `integration` role as facts from elsewhere: they decide nothing in modelgov, but an
alias that puts a version in an environment without modelgov's approval is a finding
(application/portfolio.py).
"""

from __future__ import annotations

from domain.entities import ExternalAlias
from domain.events.base import Event, catalogued
from domain.state import ModelState


def alias_key(source: str, alias: str) -> str:
    return f"{source}:{alias}"


def tag_key(source: str, version: int | None, key: str) -> str:
    return f"{source}:{'model' if version is None else version}:{key}"


@catalogued
class ExternalAliasSet(Event):
    """`previous_version`: the version the alias pointed at before (None: a new alias)."""

    TOPIC = "modelgov/Model.ExternalAliasSet"
    source: str
    alias: str
    version: int
    external_version: str
    environment: str | None
    previous_version: int | None

    def apply(self, model: ModelState) -> None:
        model.external_aliases[alias_key(self.source, self.alias)] = self.entity(
            ExternalAlias, set_at=self.effective_at, set_by=self.actor
        )


@catalogued
class ExternalAliasRemoved(Event):
    """`version`: the version the alias pointed at until then."""

    TOPIC = "modelgov/Model.ExternalAliasRemoved"
    source: str
    alias: str
    version: int
    external_version: str
    environment: str | None

    def apply(self, model: ModelState) -> None:
        model.external_aliases.pop(alias_key(self.source, self.alias), None)


@catalogued
class ExternalTagSet(Event):
    """A tag on a version (`version`) or on the model (None), and the value it had before."""

    TOPIC = "modelgov/Model.ExternalTagSet"
    source: str
    version: int | None
    key: str
    value: str
    previous_value: str | None

    def apply(self, model: ModelState) -> None:
        model.external_tags[tag_key(self.source, self.version, self.key)] = self.value
