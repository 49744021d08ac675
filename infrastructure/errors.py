"""Errors of the infrastructure layer.

InfrastructureError
├── SettingsError        a MODELGOV_* setting is unknown, missing or malformed
├── StoreUnavailableError  the database cannot be opened or reached
│   ├── StoreNotWritableError  it can be reached but not written: read-only, no permission, disk full
│   └── StoreNotFoundError   a read command found no store where the settings point
├── AppendOnlyTriggersMissingError  writes refused: an append-only trigger is missing or disabled
├── SchemaVersionError   writes refused: the store's schema is older (migrate it) or newer than this code
├── ReadModelUnreadableError  a read model's personal data cannot be opened: rebuild the projections
├── TokenExpiredError    a bearer token's expiry has passed
├── CommandFailedError     a CLI command cannot do what was asked (e.g. --reset on a team's store)
│   └── LedgerLookupError  no such signed head, position or sealed event (yet)
└── WebhookAddressError    a webhook is not sent: where its URL leads is not allowed or not known
    ├── BlockedAddressError  the host is, or resolves to, a loopback, private, link-local ... address
    └── UnresolvedHostError  the host's name does not resolve
"""

from __future__ import annotations


class InfrastructureError(Exception):
    """Something outside the domain (configuration, database) is not as it must be."""


class SettingsError(InfrastructureError):
    """A MODELGOV_* setting is unknown, missing or malformed; the message names it and says why."""


class StoreUnavailableError(InfrastructureError):
    """The event store's database cannot be opened or reached."""


class StoreNotWritableError(StoreUnavailableError):
    """The event store's database cannot be written: read-only file or server, no permission, disk full."""


class TokenExpiredError(InfrastructureError):
    """The bearer token's expiry has passed; its holder needs a new one."""

    code = "token_expired"


class ReadModelUnreadableError(InfrastructureError):
    """A read model's personal data is not sealed, or sealed under another key; the message says
    how to rebuild it."""


class StoreNotFoundError(StoreUnavailableError):
    """No modelgov store where the settings point; a read command creates none."""


class AppendOnlyTriggersMissingError(InfrastructureError):
    """An append-only trigger is missing or disabled: nothing is written until it is put back."""


class SchemaVersionError(InfrastructureError):
    """The store's schema version is not this release's: older (its owner runs `modelgov db
    migrate`) or newer (written by a newer release: upgrade modelgov)."""


class CommandFailedError(InfrastructureError):
    """A CLI command cannot do what was asked; the message says why and what to do instead."""


class LedgerLookupError(CommandFailedError):
    """The ledger has no such head, position or sealed event (yet)."""

    code = "ledger_lookup_failed"


class WebhookAddressError(InfrastructureError):
    """A webhook is not sent: where its URL leads is not allowed, or not known."""


class BlockedAddressError(WebhookAddressError):
    """The webhook's host is, or resolves to, an address only MODELGOV_WEBHOOK_ALLOW_HOSTS can open."""


class UnresolvedHostError(WebhookAddressError):
    """The webhook's host name does not resolve to any address."""
