"""Errors of the application layer; like domain errors, each has a stable `code` for the API.

ApplicationError
├── ModelNotFoundError           model_not_found: no model registered under that name (at that moment)
├── ModelAlreadyRegisteredError  model_already_registered: the name is taken
├── ModelVersionOutOfRangeError  model_version_out_of_range: the model has no such version (event number)
├── EffectiveTimeInFutureError   effective_time_in_future: an event cannot take effect after it is recorded
├── StaleVersionError            stale_version: the caller's expected model version is not the current one
└── ConcurrencyConflictError     concurrency_conflict: another writer changed the model first; retry
"""

from __future__ import annotations


class ApplicationError(Exception):
    """A use case could not be carried out; `code` is stable and safe to show to a client."""

    code = "application_error"


class ModelNotFoundError(ApplicationError):
    """No model is registered under the name (or it was not registered yet at the asked moment)."""

    code = "model_not_found"


class ModelAlreadyRegisteredError(ApplicationError):
    """A model with this name is already registered."""

    code = "model_already_registered"


class ModelVersionOutOfRangeError(ApplicationError):
    """A replay asked for a model version (event number) the model has not reached."""

    code = "model_version_out_of_range"


class EffectiveTimeInFutureError(ApplicationError):
    """An event's effective time is later than the moment it is recorded (beyond a small clock skew)."""

    code = "effective_time_in_future"


class StaleVersionError(ApplicationError):
    """The model changed since the version the caller based its command on; nothing was recorded."""

    code = "stale_version"

    def __init__(self, *, name: str, expected: int, actual: int) -> None:
        super().__init__(
            f"model {name!r} is at version {actual}, not {expected}; "
            "read it again and resend the command if it still applies"
        )
        self.expected = expected
        self.actual = actual


class ConcurrencyConflictError(ApplicationError):
    """Another writer recorded events on the same model first; nothing of this command was recorded."""

    code = "concurrency_conflict"
