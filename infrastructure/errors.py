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
│   ├── MlflowNameClashError  an MLflow model's modelgov name is held by another model already
│   └── LedgerLookupError  no such signed head, position or sealed event (yet)
│       └── NotSealedYetError  not_sealed_yet (503): the latest checkpoint does not cover it yet
└── WebhookAddressError    a webhook is not sent: where its URL leads is not allowed or not known
    ├── BlockedAddressError  the host is, or resolves to, a loopback, private, link-local ... address
    └── UnresolvedHostError  the host's name does not resolve

Errors of the HTTP layer (infrastructure/api), each with a stable code like the domain's (their
HTTP statuses: infrastructure/api/problems.py):

ApiError
├── AuthenticationRequiredError   authentication_required (401): no token, or not a valid one
│   (an expired token is 401 token_expired: infrastructure.errors.TokenExpiredError)
├── RoleForbiddenError            role_not_allowed (403): the token's role may not call this route
├── BadPreconditionError          bad_precondition (400): If-Match is not a model revision ETag
├── IdempotencyKeyReusedError     idempotency_key_reused (422): same key, different request
├── PayloadTooLargeError          payload_too_large (413): the body is over the documented limit
├── BadQueryError                 bad_query (422): query parameters that contradict each other
│   ├── InvalidCursorError        invalid_cursor (422): a `cursor` no list of this API gave
│   └── UnknownParameterError     unknown_parameter (422): a query parameter the route does not take
├── PositionNotRecordedError      position_not_recorded (422): Modelgov-After-Position is past
│                                 the last event of this store
├── ReadModelBehindError          read_model_behind (503): the read models have not reached the
│                                 Modelgov-After-Position asked for within the wait
├── RateLimitedError              rate_limited (429): the token sent more requests than its rate
├── SignInRequiredError           sign_in_required (401): no live console session (the console
│                                 answers with its sign-in page)
├── FormRefusedError              form_refused (403): a console form without its session's
│                                 CSRF token, or not sent as a form
└── MlflowWebhookError            the MLflow webhook receiver refuses a delivery
    ├── MlflowSignatureMissingError  mlflow_signature_missing (401): no X-MLflow-Signature
    ├── MlflowSignatureInvalidError  mlflow_signature_invalid (403): a signature that does not
    │                                check, or a timestamp outside five minutes (a replay)
    ├── MlflowWebhookNotConfiguredError  mlflow_webhook_not_configured (403): no secret set here
    │                                (or no tracking URI to import a new version from)
    ├── MlflowFactUnmatchedError     mlflow_fact_unmatched (409): the model or version it names
    │                                was not imported, and no MLflow to import it from
    └── MlflowWebhookUnavailableError  mlflow_webhook_unavailable (503): MLflow cannot be read to
                                     import from (MLflow retries the delivery)
"""

from __future__ import annotations

from domain.errors import CodedError


class InfrastructureError(Exception):
    """Something outside the domain (configuration, database) is not as it must be."""


class SettingsError(InfrastructureError):
    """A MODELGOV_* setting is unknown, missing or malformed; the message names it and says why."""


class StoreUnavailableError(InfrastructureError):
    """The event store's database cannot be opened or reached."""


class StoreNotWritableError(StoreUnavailableError):
    """The event store's database cannot be written: read-only file or server, no permission, disk full."""


class TokenExpiredError(InfrastructureError, CodedError, code="token_expired"):
    """The bearer token's expiry has passed; its holder needs a new one."""


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


class MlflowNameClashError(CommandFailedError):
    """An MLflow model whose modelgov name another MLflow model, or modelgov itself, holds."""


class LedgerLookupError(CommandFailedError, CodedError, code="ledger_lookup_failed"):
    """The ledger has no such head, position or sealed event (yet)."""


class NotSealedYetError(LedgerLookupError, code="not_sealed_yet"):
    """The events asked for are recorded but the latest checkpoint does not cover them yet."""


class WebhookAddressError(InfrastructureError):
    """A webhook is not sent: where its URL leads is not allowed, or not known."""


class BlockedAddressError(WebhookAddressError):
    """The webhook's host is, or resolves to, an address only MODELGOV_WEBHOOK_ALLOW_HOSTS can open."""


class UnresolvedHostError(WebhookAddressError):
    """The webhook's host name does not resolve to any address."""


class ApiError(CodedError, code="api_error"):
    """An HTTP-level refusal; `code` is the stable problem type (its HTTP status: api/problems.py)."""


class AuthenticationRequiredError(ApiError, code="authentication_required"):
    """No bearer token, or one that is malformed, unknown or revoked."""


class RoleForbiddenError(ApiError, code="role_not_allowed"):
    """The principal's role is not allowed to perform this action.

    Raised before a route runs: the token's role may not call it. The first line is the problem's
    title, the same as the domain's `RoleNotAllowedError`, because they share the problem type."""


class SignInRequiredError(ApiError, code="sign_in_required"):
    """Sign in to the console first."""


class FormRefusedError(ApiError, code="form_refused"):
    """The console cannot accept this form."""


class BadPreconditionError(ApiError, code="bad_precondition"):
    """If-Match does not hold a model revision ETag such as "12"."""


class IdempotencyKeyReusedError(ApiError, code="idempotency_key_reused"):
    """The Idempotency-Key was used before for a request with a different body or target."""


class PayloadTooLargeError(ApiError, code="payload_too_large"):
    """The request body is larger than the API accepts."""


class BadQueryError(ApiError, code="bad_query"):
    """The query parameters contradict each other or are incomplete."""


class InvalidCursorError(BadQueryError, code="invalid_cursor"):
    """The `cursor` is not one this list gave as `next_cursor`: start again without it."""


class UnknownParameterError(BadQueryError, code="unknown_parameter"):
    """The request has a query parameter the route does not take."""


class RateLimitedError(ApiError, code="rate_limited"):
    """The token (or, without one, the client address) sent more requests than its rate allows."""


class PositionNotRecordedError(ApiError, code="position_not_recorded"):
    """Modelgov-After-Position names a position this store has recorded no event at or after."""


class ReadModelBehindError(ApiError, code="read_model_behind"):
    """The read models have not applied the events up to the position asked for, yet."""

    def __init__(self, *, wanted: int, reached: int, waited: float) -> None:
        super().__init__(
            f"the read models have applied the store's events up to position {reached}, not yet "
            f"{wanted}, after waiting {waited:g} s; retry (Retry-After), and if it lasts, check "
            "that projections run (`modelgov projections status`)"
        )
        self.wanted = wanted
        self.reached = reached


class MlflowWebhookError(ApiError, code="mlflow_webhook_refused"):
    """The MLflow webhook receiver refuses a delivery."""


class MlflowSignatureMissingError(MlflowWebhookError, code="mlflow_signature_missing"):
    """A delivery without X-MLflow-Signature, X-MLflow-Timestamp or X-MLflow-Delivery-Id."""


class MlflowSignatureInvalidError(MlflowWebhookError, code="mlflow_signature_invalid"):
    """A signature that does not check with the secret, or a timestamp too old or too new."""


class MlflowFactUnmatchedError(MlflowWebhookError, code="mlflow_fact_unmatched"):
    """The model or version a delivery names is not in modelgov, and cannot be imported."""


class MlflowWebhookNotConfiguredError(MlflowWebhookError, code="mlflow_webhook_not_configured"):
    """MODELGOV_MLFLOW_WEBHOOK_SECRET (or, for new versions, the tracking URI) is not set."""


class MlflowWebhookUnavailableError(MlflowWebhookError, code="mlflow_webhook_unavailable"):
    """The MLflow server a delivery's version is imported from cannot be read (for now)."""
