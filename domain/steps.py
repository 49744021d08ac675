"""The base of the parts of `Model` kept in modules of their own: how a command method finds the
version it acts on and records its events, written once for all of them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain import events, rules
from domain.entities import Version
from domain.state import ModelState
from domain.values import Attribution


class ModelSteps(ModelState):
    """A model's state and the two helpers its command methods use; a base of `Model`."""

    if TYPE_CHECKING:  # the library's `Aggregate`, `Model`'s first base, provides it

        def trigger_event(self, event_class: Any, **kwargs: Any) -> None: ...

    def _version_for(self, number: int, by: Attribution) -> Version:
        """The version a command acts on; the command cannot take effect before it was registered."""
        version = self.version_by_number(number)
        rules.check_effective_after(
            by, version.registered_at, what=f"version {number}'s registration"
        )
        return version

    def _record(self, event_class: type[events.Event], by: Attribution, **fields: Any) -> None:
        rules.check_effective_after(by, self.registered_at, what="the model's registration")
        self.trigger_event(event_class, **by.event_fields(), timestamp=by.recorded_at, **fields)
