"""Errors of the infrastructure layer.

InfrastructureError
├── SettingsError        a MODELGOV_* setting is unknown, missing or malformed
├── StoreUnavailableError  the database cannot be opened or reached
│   └── StoreNotFoundError   a read command found no store where the settings point
├── AppendOnlyTriggersMissingError  writes refused: an append-only trigger is missing or disabled
└── CommandFailedError     a CLI command cannot do what was asked (e.g. --reset on a team's store)
    └── LedgerLookupError  no such signed head, position or sealed event (yet)
"""

from __future__ import annotations


class InfrastructureError(Exception):
    """Something outside the domain (configuration, database) is not as it must be."""


class SettingsError(InfrastructureError):
    """A MODELGOV_* setting is unknown, missing or malformed; the message names it and says why."""


class StoreUnavailableError(InfrastructureError):
    """The event store's database cannot be opened or reached."""


class StoreNotFoundError(StoreUnavailableError):
    """No modelgov store where the settings point; a read command creates none."""


class AppendOnlyTriggersMissingError(InfrastructureError):
    """An append-only trigger is missing or disabled: nothing is written until it is put back."""


class CommandFailedError(InfrastructureError):
    """A CLI command cannot do what was asked; the message says why and what to do instead."""


class LedgerLookupError(CommandFailedError):
    """The ledger has no such head, position or sealed event (yet)."""

    code = "ledger_lookup_failed"
