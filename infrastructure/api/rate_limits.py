"""Per-token rate limits: a token bucket per bearer token (per client address without one).

Each token may send `burst` requests at once and `per_second` a second after that; past it, 429
`rate_limited` with Retry-After, and nothing is done. The buckets live in this process: with
several API processes behind a load balancer, each keeps its own (a token gets up to N times the
rate), which bounds a runaway pipeline without a shared store. Liveness and readiness are not
limited (orchestrators probe them).
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from infrastructure.api.middleware import HttpMiddleware
from infrastructure.api.problems import problem
from infrastructure.api.tokens import token_id_of
from infrastructure.errors import RateLimitedError

UNLIMITED_PATHS = frozenset({"/healthz", "/readyz"})
MAX_BUCKETS = 10_000  # past this, the least recently seen caller's bucket is forgotten


def is_loopback(host: str | None) -> bool:
    """Whether `serve` listens on this machine only (127.0.0.1, ::1, localhost)."""
    if host is None or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class _Bucket:
    tokens: float
    checked: float


class RateLimits(HttpMiddleware):
    """ASGI middleware: a token bucket per caller; 429 problem+json with Retry-After past it."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        per_second: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(app)
        self.per_second = per_second
        self.burst = burst
        self.clock = clock
        # Only the event loop's thread touches the buckets: no lock needed. Least recently used
        # first: past MAX_BUCKETS the longest idle caller's bucket goes, in constant time.
        self.buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def handles(self, scope: Scope) -> bool:
        return scope["path"] not in UNLIMITED_PATHS

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        wait = self._take(_caller(scope))
        if wait is None:
            await self.app(scope, receive, send)
            return
        retry_after = max(1, math.ceil(wait))
        response = problem(
            status=429, code=RateLimitedError.code, title="Too many requests",
            detail=f"this token may send {self.burst} requests at once and {self.per_second:g} "
            f"a second after that (MODELGOV_RATE_LIMIT_*); retry in {retry_after} s",
        )  # fmt: skip
        response.headers["Retry-After"] = str(retry_after)
        await response(scope, receive, send)

    def _take(self, caller: str) -> float | None:
        """Take one request from the caller's bucket: None, or the seconds until one is there."""
        now = self.clock()
        bucket = self.buckets.get(caller)
        if bucket is None:
            if len(self.buckets) >= MAX_BUCKETS:
                self.buckets.popitem(last=False)
            bucket = self.buckets[caller] = _Bucket(tokens=float(self.burst), checked=now)
        else:
            self.buckets.move_to_end(caller)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.checked) * self.per_second)
        bucket.checked = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return (1 - bucket.tokens) / self.per_second


def _caller(scope: Scope) -> str:
    """The bearer token's id (what `tokens list` shows; the secret is never kept), else the
    client's address: one token is one bucket however its header is spelled (`bearer`, spaces)."""
    authorization = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
    scheme, _, credentials = authorization.strip().partition(" ")
    token_id = token_id_of(credentials.strip()) if scheme.lower() == "bearer" else None
    if token_id is not None:
        return f"token:{token_id}"
    client = scope.get("client")
    return f"address:{client[0] if client else '-'}"
