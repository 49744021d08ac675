"""Errors of the application layer; like domain errors, each has a stable `code` (a CodedError).

ApplicationError
├── ModelNotFoundError           model_not_found: no model registered under that name (at that moment)
├── ModelAlreadyRegisteredError  model_already_registered: the name is taken
├── ModelVersionOutOfRangeError  model_version_out_of_range: the model has no such revision (event number)
├── EffectiveTimeInFutureError   effective_time_in_future: an event cannot take effect after it is recorded
├── NeverActivatedError         never_activated: a proof asked of an activation that never happened
├── NothingToForgetError         nothing_to_forget: no data of that person is sealed under a key of its own
├── StaleVersionError            stale_version: the caller's expected revision is not the model's current one
└── ConcurrencyConflictError     concurrency_conflict: another writer changed the model first; retry

Not refusals (never stored as a request's answer, never 4xx): what a command's failure left behind.

CommandOutcomeError
├── NothingRecordedError         not_recorded: the command failed and nothing of it was recorded
└── OutcomeUnknownError          outcome_unknown: the store failed and cannot tell whether it was recorded

AnsweredBeforeError              another request with the same Idempotency-Key committed first
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.errors import CodedError

if TYPE_CHECKING:
    from application.results import AnsweredRequest


class ApplicationError(CodedError, code="application_error"):
    """A use case could not be carried out; `code` is stable and safe to show to a client."""


class ModelNotFoundError(ApplicationError, code="model_not_found"):
    """No model is registered under the name (or it was not registered yet at the asked moment)."""


class ModelAlreadyRegisteredError(ApplicationError, code="model_already_registered"):
    """A model with this name is already registered."""


class ModelVersionOutOfRangeError(ApplicationError, code="model_version_out_of_range"):
    """A replay asked for a revision (event number) the model has not reached.

    (Its name and code predate the word `revision`; they stay, as clients match on the code.)
    """


class NeverActivatedError(ApplicationError, code="never_activated"):
    """The version was never activated in that environment, so there is no activation to prove."""


class EffectiveTimeInFutureError(ApplicationError, code="effective_time_in_future"):
    """An event's effective time is later than the moment it is recorded (beyond a small clock skew)."""


class NothingToForgetError(ApplicationError, code="nothing_to_forget"):
    """No erasure key of the person exists: nothing recorded of them since erasure came in, or
    they were forgotten already; nothing was recorded."""


class StaleVersionError(ApplicationError, code="stale_version"):
    """The model changed since the revision the caller based its command on; nothing was recorded.

    (Its name and code predate the word `revision`; they stay, as clients match on the code.)
    """

    def __init__(self, *, name: str, expected: int, actual: int) -> None:
        super().__init__(
            f"model {name!r} is at revision {actual}, not {expected}; "
            "read it again and resend the command if it still applies"
        )
        self.expected = expected
        self.actual = actual


class ConcurrencyConflictError(ApplicationError, code="concurrency_conflict"):
    """Another writer recorded events on the same model first; nothing of this command was recorded."""


class CommandOutcomeError(CodedError, code="command_failed"):
    """A command failed on our side (a fault, not a refusal); the message says what it left behind."""

    # True when the event store failed (a retry may succeed), False for a fault in modelgov itself.
    store_failed = True


class NothingRecordedError(CommandOutcomeError, code="not_recorded"):
    """The command failed and nothing of it was recorded; it is safe to send it again."""

    def __init__(self, message: str, *, store_failed: bool) -> None:
        super().__init__(message)
        self.store_failed = store_failed


class OutcomeUnknownError(CommandOutcomeError, code="outcome_unknown"):
    """The store failed while committing and cannot be asked whether the command was recorded."""


class AnsweredBeforeError(Exception):
    """Another request with the same Idempotency-Key committed first: its answer is the answer."""

    def __init__(self, answered: AnsweredRequest) -> None:
        super().__init__("another request with this Idempotency-Key was answered first")
        self.answered = answered
