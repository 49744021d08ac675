"""Each request's id, and the single log line and truthful 500 for an error no handler answered.

The id is the client's X-Request-ID when it sends a usable one, else a new one. It is sent back
as X-Request-ID, recorded as the correlation id of the events the request records, and carried
by every log line of the request (and the access line), so that a 5xx answer leads to its lines.
"""

from __future__ import annotations

import logging
import re
import uuid

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infrastructure.api.middleware import HttpMiddleware
from infrastructure.api.problems import problem
from infrastructure.logs import REQUEST_ID

log = logging.getLogger("modelgov.api")
_USABLE_ID = re.compile(r"^[\x21-\x7e]{1,200}$")
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_id(request: Request) -> str:
    """The id RequestContext gave the request (a new one outside it, e.g. in a bare router)."""
    assigned = getattr(request.state, "request_id", None)
    if isinstance(assigned, str):
        return assigned
    return _id_from(request.headers.get("x-request-id"))


def _id_from(sent: str | None) -> str:
    return sent if sent is not None and _USABLE_ID.match(sent) else uuid.uuid4().hex


class RequestContext(HttpMiddleware):
    """ASGI middleware: gives every request its id, and answers what escaped every handler.

    Starlette's own last-resort handler answers 500 and then re-raises, and the server logs the
    same error a second time; an error caught here is logged once, with the request id.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        sent = dict(scope["headers"]).get(b"x-request-id")
        rid = _id_from(sent.decode("latin-1") if sent is not None else None)
        scope.setdefault("state", {})["request_id"] = rid
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [*message.get("headers", []), (b"x-request-id", rid.encode())]
                message = {**message, "headers": headers}
            await send(message)

        # Every line logged while the request is handled carries its id (infrastructure/logs.py);
        # the server's access line too, logged when the answer starts.
        logged_as = REQUEST_ID.set(rid)
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception(
                "unexpected error on %s %s (request %s)", scope["method"], scope["path"], rid
            )
            if started:  # the answer had begun: HTTP leaves nothing more to say
                return
            await unexpected_problem(scope["method"], rid)(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(logged_as)


def unexpected_problem(method: str, rid: str) -> ASGIApp:
    if method in _READS:
        recorded = "this request only reads: nothing was recorded"
    else:
        # Commands say what they left behind (NothingRecordedError, OutcomeUnknownError); an
        # error that reaches this point came from elsewhere, and saying "nothing" could be false.
        recorded = (
            "whether it recorded anything is not known here: retry with the same Idempotency-Key "
            "to learn it (a retry never records anything twice)"
        )
    return problem(
        status=500, code="internal_error", title="Internal error",
        detail=f"modelgov could not complete the request; {recorded}. The error is in the "
        f"server log under request id {rid}.",
        request_id=rid,
    )  # fmt: skip
