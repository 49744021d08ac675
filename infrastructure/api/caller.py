"""Carrying out a command for a POST: its caller, If-Match, Idempotency-Key, the answer and its ETag.

The caller is authenticated; the domain checks the role matrix. A command runs once per
Idempotency-Key: its answer is saved with its events, a refusal in a row of its own
(idempotency.py). What a failure left behind is always told: a command's fault before its commit,
or a failed commit, is NothingRecordedError; a commit the store cannot confirm either way is
OutcomeUnknownError (both application/errors.py, answered 5xx by problems.py).

(No `from __future__ import annotations` here: FastAPI reads the dependency's signature at run time.)
"""

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from application.errors import (
    AnsweredBeforeError,
    ApplicationError,
    ConcurrencyConflictError,
    StaleVersionError,
)
from application.receipts import IdempotentRequest, nothing_recorded_on_failure
from application.results import Recorded
from domain.commands import Command
from domain.errors import DomainError
from domain.values import Attribution
from infrastructure.api.deps import ExpectedRevision, Services, ServicesDep, authenticated
from infrastructure.api.idempotency import StoredResponse
from infrastructure.api.problems import PROBLEM_MEDIA_TYPE, problem_for
from infrastructure.api.read_models import POSITION_HEADER
from infrastructure.api.request_context import request_id
from infrastructure.api.schemas import Request as CommandBody
from infrastructure.api.tokens import Principal

log = logging.getLogger("modelgov.api")

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key", min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$",
        description="Makes a retry safe: the same key and body return the first response and "
        "record nothing new; the same key with another body is refused (422).",
    ),
]  # fmt: skip

# For one release, answers keep `model_version` beside `model_revision`, and say so.
DEPRECATED_MODEL_VERSION = {
    "Deprecation": "true",
    "Link": '<https://modelgov.dev/deprecations/model-version>; rel="deprecation"',
    "Warning": '299 modelgov "model_version is deprecated: read model_revision"',
}


def etag(model_revision: int) -> str:
    return f'"{model_revision}"'


def command_result(recorded: Recorded[Any]) -> dict[str, Any]:
    """A command's answer: the model, its revision after the command (also the ETag), the result."""
    return {
        "model": recorded.name,
        "model_revision": recorded.model_revision,
        "model_version": recorded.model_revision,
        "result": recorded.value,
    }


@dataclass
class Caller:
    """Who sends a command, with what: the services, If-Match and Idempotency-Key."""

    request: Request
    services: Services
    principal: Principal
    expected_revision: int | None
    idempotency_key: str | None = None

    async def run(
        self, command: Command[Any], *, body: CommandBody, status: int, reason: str
    ) -> Response:
        """Attribute the command to the token's principal and carry it out (once per key).

        On the event loop: the command waits for its group commit without a thread of its own;
        what reads or writes the store besides (a key's stored answer, the store's head when a
        commit's position is not known) runs in a worker thread."""
        by = attribution(
            self.principal, self.request, reason=reason, effective_at=body.effective_at
        )
        keyed = self.keyed(body, status=status, respond=command_result)
        if keyed is not None:
            replay = await run_in_threadpool(self.replay, keyed)
            if replay is not None:
                return replay
        try:
            recorded = await self.services.governance.handle_awaited(
                command, by=by, expected_revision=self.expected_revision, request=keyed
            )
        except Exception as error:
            if keyed is None:
                return self.refused(error, keyed)  # a refusal's answer, or `error` raised
            return await run_in_threadpool(self.refused, error, keyed)
        response = answer_recorded(recorded, status, command_result)
        if recorded.position is None:
            return await run_in_threadpool(self.with_position, response, None)
        return self.with_position(response, recorded.position)

    def with_position(self, response: Response, position: int | None) -> Response:
        """A success carries `Modelgov-Position` (api/read_models.py): its last event's position,
        or, when that is not known (a replay, a commit learnt of after a lost acknowledgement, a
        command that recorded nothing), the store's head now, which is at or after it."""
        if response.status_code < 400:
            if position is None:
                try:
                    position = self.services.governance.recorder.max_notification_id() or 0
                except Exception:  # the store failing now: the answer stands, without a position
                    log.warning("store's head not known: %s answered without a position",
                                self.request.url.path, exc_info=True)  # fmt: skip
                    return response
            response.headers[POSITION_HEADER] = str(position)
        return response

    def keyed(
        self,
        payload: BaseModel | None,
        *,
        status: int,
        respond: Callable[[Recorded[Any]], dict[str, Any]],
    ) -> IdempotentRequest | None:
        """The request as its command's receipt carries it, when it has an Idempotency-Key."""
        if self.idempotency_key is None:
            return None
        return self.services.idempotency.request(
            principal=self.principal.name,
            key=self.idempotency_key,
            request_hash=request_fingerprint(self.request.method, self.request.url.path, payload),
            answer=lambda recorded: _answer(recorded, status, respond),
        )

    def replay(self, keyed: IdempotentRequest) -> Response | None:
        """The answer stored for the key, if a request with it was answered (None: run it)."""
        with nothing_recorded_on_failure():
            stored = self.services.idempotency.answered(keyed)
        if stored is None:
            return None
        return self.with_position(_replay(self.services.idempotency.opened(stored, keyed)), None)

    def refused(self, error: Exception, keyed: IdempotentRequest | None) -> Response:
        """The answer to a command that recorded nothing: a twin's, a refusal's, or `error` raised."""
        if isinstance(error, AnsweredBeforeError):
            # A request with the same key committed first: its answer is this request's answer.
            assert keyed is not None
            replay = _replay(self.services.idempotency.opened(error.answered, keyed))
            return self.with_position(replay, None)
        if isinstance(error, ConcurrencyConflictError | StaleVersionError) or not isinstance(
            error, DomainError | ApplicationError
        ):
            # About a moment, not the request (a retry with the key may succeed), or a fault.
            raise error
        rendered = problem_for(error)
        response = StoredResponse(
            status=rendered.status_code, body=bytes(rendered.body).decode(), etag=None
        )
        if keyed is not None:
            with nothing_recorded_on_failure():
                first_answer = self.services.idempotency.answer_refusal(keyed, response)
            if first_answer is not None:
                return _replay(self.services.idempotency.opened(first_answer, keyed))
        return _as_response(response)


# Async, as it does no I/O: FastAPI runs a sync dependency in a worker thread, one more thread hop
# on every command (bench/README.md, "HTTP API benchmark": per-event server CPU).
async def caller(
    request: Request,
    found: ServicesDep,
    expected: ExpectedRevision,
    principal: Annotated[Principal, Depends(authenticated)],
    idempotency_key: IdempotencyKey = None,
) -> Caller:
    """Dependency of a command route."""
    return Caller(
        request=request, services=found, principal=principal, expected_revision=expected,
        idempotency_key=idempotency_key,
    )  # fmt: skip


CallerDep = Annotated[Caller, Depends(caller)]


def attribution(
    principal: Principal,
    request: Request,
    *,
    reason: str = "",
    effective_at: datetime | None = None,
) -> Attribution:
    """Who did it comes from the token, never from the body; the request id ties events together."""
    return Attribution(
        principal=principal.name,
        role=principal.role,
        correlation_id=request_id(request),
        effective_at=effective_at or datetime.now(UTC),
        reason=reason,
    )


def request_fingerprint(method: str, path: str, payload: BaseModel | None) -> str:
    """The request as parsed: the same key with a different body or target is a different request."""
    body = payload.model_dump(mode="json") if payload is not None else None
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def answer_recorded(
    recorded: Recorded[Any], status: int, respond: Callable[[Recorded[Any]], dict[str, Any]]
) -> Response:
    """The response to a request that recorded `recorded` (observations, say)."""
    return _as_response(_answer(recorded, status, respond))


def _answer(
    recorded: Recorded[Any], status: int, respond: Callable[[Recorded[Any]], dict[str, Any]]
) -> StoredResponse:
    body = json.dumps(respond(recorded))
    return StoredResponse(status=status, body=body, etag=etag(recorded.model_revision))


def _as_response(stored: StoredResponse) -> Response:
    media_type = "application/json" if stored.status < 400 else PROBLEM_MEDIA_TYPE
    headers = {"ETag": stored.etag} if stored.etag else {}
    if stored.status < 400 and '"model_version"' in stored.body:
        headers.update(DEPRECATED_MODEL_VERSION)
    return Response(stored.body, status_code=stored.status, media_type=media_type, headers=headers)


def _replay(stored: StoredResponse) -> Response:
    response = _as_response(stored)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def state_response(payload: dict[str, Any], *, model_revision: int) -> JSONResponse:
    """A model's state (application/views.py: model_state), its revision as the ETag."""
    return JSONResponse(payload, headers={"ETag": etag(model_revision), **DEPRECATED_MODEL_VERSION})
