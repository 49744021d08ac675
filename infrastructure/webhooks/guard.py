"""Where webhooks may go: public addresses, and the hosts an admin names in MODELGOV_WEBHOOK_ALLOW_HOSTS.

A route is judged on the addresses its host resolves to when it is delivered: resolved once, every
address checked, and the connection made to exactly those addresses (webhook_transport.py). A name
that answers a public address for the check and 127.0.0.1 for the connection (DNS rebinding) gets
nowhere: there is no second lookup.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

from domain.errors import InvalidValueError
from infrastructure.errors import BlockedAddressError, UnresolvedHostError
from infrastructure.setting_values import host_key

ALLOW_SETTING = "MODELGOV_WEBHOOK_ALLOW_HOSTS"
DEFAULT_PORTS = {"http": 80, "https": 443}


class Network(Protocol):
    """How webhooks find and reach hosts: the system's, or a test's own."""

    def resolve(self, host: str, port: int) -> list[str]:
        """The host's addresses, in the order to try them (socket.gaierror: none)."""

    def connect(self, address: str, port: int, timeout: float) -> socket.socket:
        """A TCP connection to exactly this address."""


class SystemNetwork:
    """The operating system's resolver and sockets."""

    def resolve(self, host: str, port: int) -> list[str]:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in found))

    def connect(self, address: str, port: int, timeout: float) -> socket.socket:
        return socket.create_connection((address, port), timeout=timeout)


class AllowList:
    """Hosts webhooks may reach wherever they resolve: (host, port) pairs, None for any port."""

    def __init__(self, entries: Iterable[tuple[str, int | None]] = ()) -> None:
        self.entries = frozenset(entries)

    def allows(self, host: str, port: int) -> bool:
        key = host_key(host)
        return (key, None) in self.entries or (key, port) in self.entries


def blocked(address: str) -> bool:
    """Whether an address is closed to webhooks: all but public unicast, and IPv6 forms that carry
    a closed IPv4 address (::ffff:127.0.0.1, 6to4's 2002:7f00:1::)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # fe80::1%eth0: the scope is no matter
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None and blocked(str(embedded)):
            return True
    # is_global leaves out loopback, private, link-local, CGNAT 100.64/10, documentation, reserved
    # and unspecified ranges; it counts multicast as global, which is no receiver's address.
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_loopback


def is_local_name(host: str) -> bool:
    """localhost and *.localhost are this machine, whatever a resolver says (RFC 6761)."""
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def reachable_addresses(host: str, port: int, *, network: Network, allow: AllowList) -> list[str]:
    """The addresses a webhook to host:port may connect to: all its host resolves to, once.

    BlockedAddressError if any of them is closed (unless the host is allowed): a name that
    answers one public and one private address is refused, not half-trusted.
    """
    allowed = allow.allows(host, port)
    if is_local_name(host) and not allowed:
        raise BlockedAddressError(f"{host} is this machine; {ALLOW_SETTING} does not name it")
    try:
        addresses = network.resolve(host, port)
    except (socket.gaierror, UnicodeError) as failure:
        raise UnresolvedHostError(f"{host} does not resolve: {failure}") from None
    if not addresses:
        raise UnresolvedHostError(f"{host} resolves to no address")
    closed = [address for address in addresses if blocked(address)]
    if closed and not allowed:
        raise BlockedAddressError(
            f"{host} resolves to {', '.join(closed)}; {ALLOW_SETTING} does not name it"
        )
    return addresses


def refuse_private_routes(game_plan: Mapping[str, Any], *, allow: AllowList) -> None:
    """Refuse (InvalidValueError, 422) a game plan that routes notifications to a non-public host."""
    for index, route in enumerate(game_plan.get("notifications", [])):
        refusal = refusal_of_route(str(route.get("url", "")), allow=allow)
        if refusal is not None:
            raise InvalidValueError(f"game_plan.notifications[{index}].url", refusal)


def refusal_of_route(url: str, *, allow: AllowList) -> str | None:
    """Why a route's URL could never be delivered, when its host alone says so (an IP address in
    any spelling, localhost), without asking DNS; names are judged when delivered."""
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme, 443)
    except ValueError as failure:  # a port out of range, a bracket not closed ...
        return f"{url} is not a URL a webhook can be sent to: {failure}"
    host = parts.hostname or ""
    if allow.allows(host, port):
        return None
    try:  # the forms the system reads as an address: 127.1, 2130706433, 0x7f.1 ...
        literal = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST
        )
    except (socket.gaierror, ValueError):  # a name, not an address; UnicodeError is a ValueError
        literal = []
    if is_local_name(host) or any(blocked(str(sockaddr[0])) for *_, sockaddr in literal):
        return (
            f"{url} leads to a loopback, private, link-local or other non-public address; "
            f"webhooks go there only to hosts an admin names in {ALLOW_SETTING}"
        )
    return None
