"""Every refusal as application/problem+json (RFC 9457), with a stable `type` per error code."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from application.errors import (
    ApplicationError,
    CommandOutcomeError,
    ConcurrencyConflictError,
    EffectiveTimeInFutureError,
    ModelAlreadyRegisteredError,
    ModelNotFoundError,
    ModelVersionOutOfRangeError,
    NeverActivatedError,
    StaleVersionError,
)
from domain.errors import (
    ActivationRefusedError,
    DomainError,
    EffectiveTimeOutOfOrderError,
    InvalidValueError,
    ReasonRequiredError,
    RoleNotAllowedError,
    RuleViolationError,
    UnknownEntityError,
)
from infrastructure.errors import (
    ApiError,
    AuthenticationRequiredError,
    BadPreconditionError,
    BadQueryError,
    FormRefusedError,
    IdempotencyKeyReusedError,
    LedgerLookupError,
    MlflowFactUnmatchedError,
    MlflowSignatureInvalidError,
    MlflowSignatureMissingError,
    MlflowWebhookNotConfiguredError,
    MlflowWebhookUnavailableError,
    NotSealedYetError,
    PayloadTooLargeError,
    PositionNotRecordedError,
    ReadModelBehindError,
    ReadModelUnreadableError,
    RoleForbiddenError,
    SignInRequiredError,
    TokenExpiredError,
)
from reports.errors import DossierPointError, ReportPeriodInvalidError, UnknownTableError

PROBLEM_BASE = "https://modelgov.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("modelgov.api")
READ_MODEL_RETRY_AFTER_SECONDS = 1  # the follower applies a batch in well under a second
SEAL_RETRY_AFTER_SECONDS = (
    5  # the sealer signs a head every few seconds (MODELGOV_SEAL_EVERY_SECONDS)
)

# Every refusal's HTTP status, the domain's, the application's and the API's own; most specific
# first: the first class an error is an instance of gives its status (400 if none).
_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (AuthenticationRequiredError, 401),
    (MlflowSignatureMissingError, 401),
    (MlflowSignatureInvalidError, 403),
    (MlflowWebhookNotConfiguredError, 403),
    (MlflowFactUnmatchedError, 409),
    (MlflowWebhookUnavailableError, 503),
    (RoleForbiddenError, 403),
    (SignInRequiredError, 401),
    (FormRefusedError, 403),
    (BadPreconditionError, 400),
    (IdempotencyKeyReusedError, 422),
    (PayloadTooLargeError, 413),
    (BadQueryError, 422),
    (PositionNotRecordedError, 422),
    (ReadModelBehindError, 503),
    (InvalidValueError, 422),
    (ReasonRequiredError, 422),
    (EffectiveTimeOutOfOrderError, 422),
    (EffectiveTimeInFutureError, 422),
    (ReportPeriodInvalidError, 422),
    (DossierPointError, 422),
    (UnknownTableError, 404),
    (RoleNotAllowedError, 403),
    (UnknownEntityError, 404),
    (ModelNotFoundError, 404),
    (NeverActivatedError, 404),
    (ModelVersionOutOfRangeError, 404),
    (StaleVersionError, 412),
    (ModelAlreadyRegisteredError, 409),
    (ConcurrencyConflictError, 409),
    (RuleViolationError, 409),
)

_HTTP_CODES = {
    401: "authentication_required", 403: "role_not_allowed", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 413: "payload_too_large",
    415: "unsupported_media_type",
}  # fmt: skip


def problem(*, status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    headers = {"WWW-Authenticate": 'Bearer realm="modelgov"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def status_for(error: Exception) -> int:
    for cls, status in _STATUS:
        if isinstance(error, cls):
            return status
    return 400


def _title(error: Exception) -> str:
    doc = (type(error).__doc__ or type(error).__name__).strip().splitlines()[0]
    return doc.rstrip(".")


def problem_for(error: DomainError | ApplicationError | ApiError) -> JSONResponse:
    extra: dict[str, Any] = {}
    if isinstance(error, ActivationRefusedError):
        extra["unmet_gates"] = [{"gate": g.gate, "detail": g.detail} for g in error.unmet_gates]
    if isinstance(error, InvalidValueError):
        extra["errors"] = [{"field": error.field, "message": str(error)}]
    if isinstance(error, StaleVersionError):
        extra["current_revision"] = error.actual
        extra["current_version"] = error.actual  # its old name, for one release (deprecated)
    if isinstance(error, ReadModelBehindError):
        extra["wanted_position"], extra["reached_position"] = error.wanted, error.reached
    response = problem(
        status=status_for(error), code=error.code, title=_title(error), detail=str(error), **extra
    )
    if isinstance(error, ReadModelBehindError):
        response.headers["Retry-After"] = str(READ_MODEL_RETRY_AFTER_SECONDS)
    return response


def install_problem_handlers(app: FastAPI) -> None:
    """Every refusal a client can cause answers 4xx problem+json; a command's fault 5xx, logged."""

    async def known(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DomainError | ApplicationError | ApiError)
        return problem_for(error)

    async def validation(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"], "type": e["type"]}
            for e in error.errors()
        ]
        listed = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return problem(
            status=422, code="invalid_request", title="The request is not valid",
            detail=f"{len(errors)} problem(s): {listed}", errors=errors,
        )  # fmt: skip

    async def http(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        code = _HTTP_CODES.get(error.status_code, "http_error")
        return problem(
            status=error.status_code, code=code, title=str(error.detail), detail=str(error.detail)
        )

    async def command_failed(request: Request, error: Exception) -> JSONResponse:
        # Not a refusal: a fault, logged here once, with the request id, and told as it is.
        assert isinstance(error, CommandOutcomeError)
        rid = getattr(request.state, "request_id", "-")  # set by request_context.RequestContext
        log.error(
            "command failed on %s %s (request %s): %s", request.method, request.url.path, rid,
            error, exc_info=error,
        )  # fmt: skip
        return problem(
            status=503 if error.store_failed else 500, code=error.code, title=_title(error),
            detail=f"{error}. The error is in the server log under request id {rid}.",
            request_id=rid,
        )  # fmt: skip

    async def ledger_lookup(_: Request, error: Exception) -> JSONResponse:
        return problem(
            status=404, code=LedgerLookupError.code, title="Not in the ledger", detail=str(error)
        )

    async def not_sealed_yet(_: Request, error: Exception) -> JSONResponse:
        # Recorded, not yet under a signed checkpoint: the sealer's next head covers it.
        response = problem(
            status=503, code=NotSealedYetError.code, title="Not sealed yet", detail=str(error)
        )
        response.headers["Retry-After"] = str(SEAL_RETRY_AFTER_SECONDS)
        return response

    async def token_expired(_: Request, error: Exception) -> JSONResponse:
        # Its own type, not authentication_required: the holder needs a new token, not a fix.
        return problem(
            status=401, code=TokenExpiredError.code, title="The bearer token has expired",
            detail=str(error),
        )  # fmt: skip

    async def read_model_unreadable(_: Request, error: Exception) -> JSONResponse:
        # The server's state, not the request: until the projections are rebuilt (an operator's
        # step), the read models cannot be opened.
        return problem(
            status=503, code="read_model_unreadable", title="The read models cannot be opened",
            detail=str(error),
        )  # fmt: skip

    for error_class in (DomainError, ApplicationError, ApiError):
        app.add_exception_handler(error_class, known)
    app.add_exception_handler(LedgerLookupError, ledger_lookup)
    app.add_exception_handler(NotSealedYetError, not_sealed_yet)
    app.add_exception_handler(TokenExpiredError, token_expired)
    app.add_exception_handler(ReadModelUnreadableError, read_model_unreadable)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(CommandOutcomeError, command_failed)
    # Anything else is answered by request_context.RequestContext, which logs it once.


class Problem(BaseModel):
    """An RFC 9457 problem: `type` is stable per error; refusals of activation list `unmet_gates`."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` documenting problem+json bodies for the given statuses."""
    schema = Problem.model_json_schema()
    descriptions = {
        400: "Bad request (e.g. a malformed If-Match)", 401: "No valid bearer token, or an expired one",
        403: "The token's role may not do this", 404: "Unknown model, version, breach or flag",
        409: "Refused by the model's rules (e.g. unmet activation gates) or a conflict",
        412: "If-Match is stale: the model changed", 413: "Request body too large",
        422: "Invalid request (field paths in `errors`)",
        503: "The store failed: `not_recorded` (nothing was; send it again) or `outcome_unknown` "
        "(retry with the same Idempotency-Key to learn it)",
    }  # fmt: skip
    return {
        status: {
            "description": descriptions[status],
            "content": {"application/problem+json": {"schema": schema}},
        }
        for status in statuses
    }


READ_PROBLEMS = problem_responses(401, 403, 404, 422)
COMMAND_PROBLEMS = problem_responses(400, 401, 403, 404, 409, 412, 413, 422, 503)
# A GET of a read model: 503 when Modelgov-After-Position was not reached in time (read_models.py).
READ_MODEL_PROBLEMS = problem_responses(401, 403, 404, 422, 503) | {
    503: {
        "description": "`read_model_behind`: the read models had not reached the "
        "Modelgov-After-Position sent within MODELGOV_READ_WAIT_SECONDS; retry after Retry-After",
        "content": {"application/problem+json": {"schema": Problem.model_json_schema()}},
    }
}
