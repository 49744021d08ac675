"""Counts every answer by route template (`/v1/models/{name}`, never the path a client sent, so
that the series stay few) and status, times it, and counts problem+json answers by their type."""

from __future__ import annotations

import json
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infrastructure.api.middleware import HttpMiddleware
from infrastructure.api.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE
from infrastructure.metrics.instruments import Instruments

UNMATCHED = "unmatched"  # a path no route serves (a scanner's guesses must not become series)
_PROBLEM = PROBLEM_MEDIA_TYPE.encode()


def route_template(scope: Scope) -> str:
    """The template of the route that answered (set on the scope by the router), or UNMATCHED."""
    route = scope.get("route")
    template = getattr(route, "path_format", None)
    return template if isinstance(template, str) else UNMATCHED


class RequestMetrics(HttpMiddleware):
    """ASGI middleware, outermost: it sees every answer, the 500s of RequestContext and the
    refusals of the middlewares included. A problem's body is read only when the answer is one."""

    def __init__(self, app: ASGIApp, *, instruments: Instruments) -> None:
        super().__init__(app)
        self.instruments = instruments

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500  # if the app fails before it answers, the server answers 500
        problem = False

        async def counted(message: Message) -> None:
            nonlocal status, problem
            if message["type"] == "http.response.start":
                status = message["status"]
                problem = any(
                    name == b"content-type" and value.startswith(_PROBLEM)
                    for name, value in message.get("headers", ())
                )
            elif problem and message["type"] == "http.response.body":
                problem = False  # a problem+json answer is one JSON body, sent at once
                self._count_problem(message.get("body", b""), status)
            await send(message)

        try:
            await self.app(scope, receive, counted)
        finally:
            labels = (scope["method"], route_template(scope), str(status))
            self.instruments.requests.labels(*labels).inc()
            self.instruments.latency.labels(*labels).observe(time.perf_counter() - started)

    def _count_problem(self, body: bytes, status: int) -> None:
        try:
            kind = str(json.loads(body)["type"]).removeprefix(PROBLEM_BASE)
        except (ValueError, KeyError, TypeError):
            kind = "unreadable"
        self.instruments.problems.labels(kind, str(status)).inc()
