"""The one shape of modelgov's ASGI middlewares: HTTP requests they handle, everything else passed on."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class HttpMiddleware:
    """An ASGI middleware over `app`: a request that is not HTTP, or that `handles` declines, goes
    to `app` untouched; the rest to `handle`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def handles(self, scope: Scope) -> bool:
        """Whether this HTTP request is one for `handle` (every one, unless a subclass narrows it)."""
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.handles(scope):
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError
