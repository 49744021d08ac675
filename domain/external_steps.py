"""What another registry (MLflow) did to the model: aliases and tags, recorded as facts from there.

`ExternalSteps` is a part of `Model` (domain/model.py), like `MonitoringSteps`: the role matrix
first, then the rules, then the events (domain/events/external.py). Recording what the model
already holds records nothing, so a bridge may send a fact twice (an import run again, a webhook
delivered again) without recording it twice.
"""

from __future__ import annotations

from domain import events, rules
from domain.declared import require_declared
from domain.entities import ExternalAlias
from domain.events.external import alias_key, tag_key
from domain.external_commands import RecordExternalAlias, RecordExternalTag
from domain.gates import serving_shortfalls
from domain.steps import ModelSteps
from domain.values import Attribution, require_environment


class ExternalSteps(ModelSteps):
    """Commands recording another registry's aliases and tags; a base of `Model`."""

    def record_external_alias(self, command: RecordExternalAlias, by: Attribution) -> None:
        """Record that an alias now points at a version (or, with no version, was removed)."""
        rules.check_may(by, command.ACTION)
        source, alias = require_declared(command, "source", "alias")
        environment = (
            None
            if command.environment is None
            else require_environment("environment", command.environment)
        )
        current = self.external_aliases.get(alias_key(source, alias))
        if command.version is None:
            if current is not None:
                self._record(
                    events.ExternalAliasRemoved, by, source=source, alias=alias,
                    version=current.version, external_version=current.external_version,
                    environment=current.environment,
                )  # fmt: skip
            return
        self._version_for(command.version, by)
        (external_version,) = require_declared(command, "external_version")
        if current is not None and (current.version, current.environment) == (
            command.version,
            environment,
        ):
            return
        self._record(
            events.ExternalAliasSet, by, source=source, alias=alias, version=command.version,
            external_version=external_version, environment=environment,
            previous_version=current.version if current is not None else None,
        )  # fmt: skip

    def record_external_tag(self, command: RecordExternalTag, by: Attribution) -> None:
        """Record a tag's value on a version or on the model (nothing when it already has it)."""
        rules.check_may(by, command.ACTION)
        source, key, value = require_declared(command, "source", "key", "value")
        if command.version is not None:
            self._version_for(command.version, by)
        previous = self.external_tags.get(tag_key(source, command.version, key))
        if previous == value:
            return
        self._record(
            events.ExternalTagSet, by, source=source, version=command.version, key=key,
            value=value, previous_value=previous,
        )  # fmt: skip

    def unapproved_external_aliases(self) -> list[tuple[str, ExternalAlias]]:
        """Aliases that put a version in an environment where modelgov would not let it serve
        (domain/gates.py serving_shortfalls: not approved under the current policy, rejected,
        retired, or with an open bias flag): (environment, alias), by environment."""
        found = []
        for alias in self.external_aliases.values():
            if alias.environment is None:
                continue
            if serving_shortfalls(self, alias.version):
                found.append((alias.environment, alias))
        return sorted(found, key=lambda pair: (pair[0], pair[1].alias))
