"""Running a command for a POST: idempotency, serialised retries on a write conflict, ETag, problem bodies.

What a failure left behind is always told: a command's fault before its commit, or a failed
commit, is NothingRecordedError; a commit the store cannot confirm either way is
OutcomeUnknownError (both application/errors.py, answered 5xx by problems.py).
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from application.errors import (
    AnsweredBeforeError,
    ApplicationError,
    ConcurrencyConflictError,
    StaleVersionError,
)
from application.receipts import answering, nothing_recorded_on_failure
from application.results import Recorded
from domain.errors import DomainError
from infrastructure.api.deps import Services
from infrastructure.api.idempotency import StoredResponse
from infrastructure.api.problems import PROBLEM_MEDIA_TYPE, problem_for
from infrastructure.tokens import Principal

# Commands go through the application's group committer (one thread, several commands per
# transaction), which serialises them within this process. Without If-Match, a command that lost a
# write race with another process is re-run on the fresh model (the rules are checked again).
CONFLICT_RETRIES = 10


def etag(model_version: int) -> str:
    return f'"{model_version}"'


def run_command(
    *,
    request: Request,
    idempotency_key: str | None,
    principal: Principal,
    found: Services,
    payload: BaseModel | None,
    status: int,
    expected_version: int | None,
    command: Callable[[], Recorded[Any]],
    respond: Callable[[Recorded[Any]], dict[str, Any]],
) -> Response:
    """Run `command` once per Idempotency-Key; answer with `respond(recorded)` or a problem."""

    def answer(recorded: Recorded[Any]) -> StoredResponse:
        body = json.dumps(respond(recorded))
        return StoredResponse(status=status, body=body, etag=etag(recorded.model_version))

    keyed = None
    if idempotency_key is not None:
        keyed = found.idempotency.request(
            principal=principal.name,
            key=idempotency_key,
            request_hash=request_fingerprint(request.method, request.url.path, payload),
            answer=answer,
        )
        with nothing_recorded_on_failure():
            stored = found.idempotency.answered(keyed)
        if stored is not None:
            return _replay(found.idempotency.opened(stored, keyed))
    try:
        with answering(keyed):
            recorded = _with_retries(command, retry=expected_version is None)
    except AnsweredBeforeError as first:
        # A request with the same key committed first: its answer is this request's answer.
        assert keyed is not None
        return _replay(found.idempotency.opened(first.answered, keyed))
    except (ConcurrencyConflictError, StaleVersionError):
        # Answers about a moment, not about the request: a retry with the same key may succeed.
        raise
    except (DomainError, ApplicationError) as refusal:
        rendered = problem_for(refusal)
        response = StoredResponse(
            status=rendered.status_code, body=bytes(rendered.body).decode(), etag=None
        )
        if keyed is not None:
            with nothing_recorded_on_failure():
                first_answer = found.idempotency.answer_refusal(keyed, response)
            if first_answer is not None:
                return _replay(found.idempotency.opened(first_answer, keyed))
        return _as_response(response)
    return _as_response(answer(recorded))


def _with_retries(command: Callable[[], Recorded[Any]], *, retry: bool) -> Recorded[Any]:
    attempts = CONFLICT_RETRIES if retry else 1
    for attempt in range(1, attempts + 1):
        try:
            return command()
        except ConcurrencyConflictError:
            if attempt == attempts:
                raise
            time.sleep(random.uniform(0, 0.005 * attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def request_fingerprint(method: str, path: str, payload: BaseModel | None) -> str:
    """The request as parsed: the same key with a different body or target is a different request."""
    body = payload.model_dump(mode="json") if payload is not None else None
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def _as_response(stored: StoredResponse) -> Response:
    media_type = "application/json" if stored.status < 400 else PROBLEM_MEDIA_TYPE
    headers = {"ETag": stored.etag} if stored.etag else {}
    return Response(stored.body, status_code=stored.status, media_type=media_type, headers=headers)


def _replay(stored: StoredResponse) -> Response:
    response = _as_response(stored)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def state_response(payload: dict[str, Any], *, model_version: int) -> JSONResponse:
    return JSONResponse(payload, headers={"ETag": etag(model_version)})
