"""POST a webhook to exactly the addresses its host was checked at; say how it failed in classes.

The connection goes to an address `webhook_guard.reachable_addresses` returned, while the request
keeps the URL's host: in the Host header, and for https in the TLS server name (SNI) and the
certificate's hostname check. Redirects are not followed (http.client never does); proxies in the
environment are not used (they would resolve the host again).

A failure is recorded as its class, never as the error's text: the text of a refused, timed out or
half-open connection tells a reader about the network behind the URL.
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
from collections.abc import Callable
from urllib.parse import urlsplit

from infrastructure.errors import BlockedAddressError, UnresolvedHostError, WebhookAddressError
from infrastructure.webhooks.guard import DEFAULT_PORTS, AllowList, Network, reachable_addresses

BLOCKED = "blocked address"
UNRESOLVED = "unresolved host"
REFUSED = "refused"
TIMEOUT = "timeout"
TLS = "TLS"
CONNECTION_FAILED = "connection failed"
BAD_URL = "bad URL"
FAILURE_CLASSES = (BLOCKED, UNRESOLVED, REFUSED, TIMEOUT, TLS, CONNECTION_FAILED, BAD_URL)
_HTTP_STATUS = re.compile(r"^HTTP \d{3}$")
# What an attempt can fail with; anything else is a bug, logged as one.
DELIVERY_FAILURES = (OSError, ValueError, http.client.HTTPException, WebhookAddressError)


def http_status(code: int) -> str:
    """The class of an answer that is not 2xx: `HTTP 302`, `HTTP 500`."""
    return f"HTTP {code}"


def failure_class(failure: BaseException) -> str:
    """What went wrong, as one of FAILURE_CLASSES."""
    if isinstance(failure, BlockedAddressError):
        return BLOCKED
    if isinstance(failure, UnresolvedHostError):
        return UNRESOLVED
    if isinstance(failure, TimeoutError):  # before TLS: a handshake that times out is a timeout
        return TIMEOUT
    if isinstance(failure, ssl.SSLError):  # certificate checks included
        return TLS
    if isinstance(failure, ConnectionRefusedError):
        return REFUSED
    if isinstance(failure, ValueError):
        return BAD_URL
    return CONNECTION_FAILED


def shown_failure(recorded: str | None) -> str | None:
    """A recorded failure as a class; rows written before classes existed held the error's text."""
    if recorded is None or recorded in FAILURE_CLASSES or _HTTP_STATUS.match(recorded):
        return recorded
    return CONNECTION_FAILED


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(
        self, host: str, port: int, *, timeout: float, connect: Callable[[], socket.socket]
    ) -> None:
        super().__init__(host, port, timeout=timeout)
        self._connect_pinned = connect

    def connect(self) -> None:
        self.sock = self._connect_pinned()


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(
        self, host: str, port: int, *, timeout: float, connect: Callable[[], socket.socket],
        tls: ssl.SSLContext,
    ) -> None:  # fmt: skip
        super().__init__(host, port, timeout=timeout, context=tls)
        self._connect_pinned, self._tls = connect, tls

    def connect(self) -> None:
        self.sock = self._tls.wrap_socket(self._connect_pinned(), server_hostname=self.host)


def post(
    url: str, body: bytes, headers: dict[str, str], *, timeout: float, network: Network,
    allow: AllowList, tls: ssl.SSLContext,
) -> int:  # fmt: skip
    """POST and return the status code (3xx included); raise one of DELIVERY_FAILURES."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or DEFAULT_PORTS[parts.scheme]
    addresses = reachable_addresses(host, port, network=network, allow=allow)

    def connect() -> socket.socket:
        for address in addresses[:-1]:
            try:
                return network.connect(address, port, timeout)
            except OSError:  # the next checked address, as create_connection would
                continue
        return network.connect(addresses[-1], port, timeout)

    connection = (
        _PinnedHTTPS(host, port, timeout=timeout, connect=connect, tls=tls)
        if parts.scheme == "https"
        else _PinnedHTTP(host, port, timeout=timeout, connect=connect)
    )
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()
