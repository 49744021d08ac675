"""Errors of the HTTP layer, each with a stable code like the domain's.

ApiError
├── AuthenticationRequiredError   authentication_required (401): no token, or not a valid one
│   (an expired token is 401 token_expired: infrastructure.errors.TokenExpiredError)
├── RoleForbiddenError            role_not_allowed (403): the token's role may not call this route
├── BadPreconditionError          bad_precondition (400): If-Match is not a model version ETag
├── IdempotencyKeyReusedError     idempotency_key_reused (422): same key, different request
├── PayloadTooLargeError          payload_too_large (413): the body is over the documented limit
├── BadQueryError                 bad_query (422): query parameters that contradict each other
├── PositionNotRecordedError      position_not_recorded (422): Modelgov-After-Position is past
│                                 the last event of this store
└── ReadModelBehindError          read_model_behind (503): the read models have not reached the
                                  Modelgov-After-Position asked for within the wait
"""

from __future__ import annotations


class ApiError(Exception):
    """An HTTP-level refusal; `code` is the stable problem type (its HTTP status: api/problems.py)."""

    code = "api_error"


class AuthenticationRequiredError(ApiError):
    """No bearer token, or one that is malformed, unknown or revoked."""

    code = "authentication_required"


class RoleForbiddenError(ApiError):
    """The token's role is not allowed to call this route."""

    code = "role_not_allowed"


class BadPreconditionError(ApiError):
    """If-Match does not hold a model version ETag such as "12"."""

    code = "bad_precondition"


class IdempotencyKeyReusedError(ApiError):
    """The Idempotency-Key was used before for a request with a different body or target."""

    code = "idempotency_key_reused"


class PayloadTooLargeError(ApiError):
    """The request body is larger than the API accepts."""

    code = "payload_too_large"


class BadQueryError(ApiError):
    """The query parameters contradict each other or are incomplete."""

    code = "bad_query"


class PositionNotRecordedError(ApiError):
    """Modelgov-After-Position names a position this store has recorded no event at or after."""

    code = "position_not_recorded"


class ReadModelBehindError(ApiError):
    """The read models have not applied the events up to the position asked for, yet."""

    code = "read_model_behind"

    def __init__(self, *, wanted: int, reached: int, waited: float) -> None:
        super().__init__(
            f"the read models have applied the store's events up to position {reached}, not yet "
            f"{wanted}, after waiting {waited:g} s; retry (Retry-After), and if it lasts, check "
            "that projections run (`modelgov projections status`)"
        )
        self.wanted = wanted
        self.reached = reached
