"""Webhook receivers on this machine and a small network around them, for the webhook tests.

`Lab` is a real implementation of `webhook_guard.Network`, not a patch: names resolve as it is
told (in turn, so a name can change its answer), every non-public address is this machine (a
connection to 10.1.2.3 or 169.254.169.254 lands on the receiver, as it would on a cloud host), and
the Internet is closed (a connection to a public address is refused). So a missing check would
show as a connection to the receiver.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from application.governance import Governance
from domain.commands import ChangeGamePlan
from infrastructure.db.sql import SqlRunner
from infrastructure.projections.runner import ProjectionRunner
from infrastructure.webhooks.delivery import Deliverer, RetrySchedule
from infrastructure.webhooks.guard import AllowList
from infrastructure.webhooks.payloads import EVENT_ID_HEADER
from tests.factories import by

NAME = "scorer"
LOCAL_RECEIVERS = AllowList([("127.0.0.1", None)])


@dataclass
class Receiver:
    """A webhook receiver: answers `failures` 500s per event id first (or `status` always), or
    hangs while `hang`; counts every TCP connection, whatever arrives on it."""

    failures: int = 0
    status: int = 200
    hang: threading.Event | None = None
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    connections: int = 0
    server_names: list[str | None] = field(default_factory=list)  # TLS SNI, with `serve(tls=...)`
    hanging: threading.Event = field(default_factory=threading.Event)
    answered: Counter[str] = field(default_factory=Counter)
    succeeded: Counter[str] = field(default_factory=Counter)

    def serve(
        self, *, tls_for: str | None = None, folder: Path | None = None
    ) -> tuple[ThreadingHTTPServer, str]:
        """Start on 127.0.0.1 (with TLS and a self-signed certificate for `tls_for`, kept in
        `folder`); returns the server and its URL."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                event_id = self.headers[EVENT_ID_HEADER]
                if receiver.hang is not None:
                    receiver.hanging.set()
                    receiver.hang.wait(30)
                    return
                receiver.answered[event_id] += 1
                ok = receiver.answered[event_id] > receiver.failures
                receiver.succeeded[event_id] += ok and receiver.status < 300
                self.send_response(receiver.status if ok else 500)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def verify_request(self, request: Any, client_address: Any) -> bool:
                receiver.connections += 1
                return True

        server = Server(("127.0.0.1", 0), Handler)
        if tls_for is not None:
            assert folder is not None
            server.socket = self._tls(tls_for, folder).wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        scheme = "https" if tls_for else "http"
        return server, f"{scheme}://127.0.0.1:{server.server_address[1]}/hooks"

    def _tls(self, name: str, folder: Path) -> ssl.SSLContext:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = dt.datetime.now(dt.UTC)
        certificate = (
            x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256())
        )  # fmt: skip
        (folder / "receiver.pem").write_bytes(
            certificate.public_bytes(serialization.Encoding.PEM)
            + key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )  # fmt: skip
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(folder / "receiver.pem")
        context.sni_callback = lambda _socket, server_name, _context: self.server_names.append(
            server_name
        )
        return context


@dataclass
class Lab:
    """A network where every non-public address is this machine (and, with `port`, every port the
    receiver there), and the Internet is closed."""

    port: int | None = None
    names: dict[str, list[list[str]]] = field(default_factory=dict)  # each lookup, the next answer
    resolved: list[str] = field(default_factory=list)
    connected: list[str] = field(default_factory=list)

    def resolve(self, host: str, port: int) -> list[str]:
        self.resolved.append(host)
        if host in self.names:
            answers = self.names[host]
            return answers[min(self.resolved.count(host), len(answers)) - 1]
        # No DNS in the lab: only addresses, in any spelling the system reads (127.1, 2130706433).
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
        return [str(sockaddr[0]) for *_, sockaddr in found]

    def connect(self, address: str, port: int, timeout: float) -> socket.socket:
        self.connected.append(address)
        if ipaddress.ip_address(address).is_global:
            raise ConnectionRefusedError(f"{address}: the lab has no Internet")
        return socket.create_connection(("127.0.0.1", self.port or port), timeout=timeout)


@dataclass
class Hooks:
    app: Governance
    sql: SqlRunner
    outbox: ProjectionRunner
    secret: bytes

    def deliverer(
        self,
        *,
        max_attempts: int = RetrySchedule.max_attempts,
        base_delay: float = 0.01,
        **options: Any,
    ) -> Deliverer:
        """A deliverer that may reach this machine's receivers, as an admin would allow them, and
        tries a failed delivery again after 10 ms (doubling) rather than a second."""
        retries = RetrySchedule(max_attempts=max_attempts, base_delay=base_delay)
        options = {"allow": LOCAL_RECEIVERS, **options}
        return Deliverer(self.app, self.sql, self.secret, retries=retries, **options)

    def subscribe(self, url: str) -> None:
        self.app.handle(
            ChangeGamePlan(name=NAME, game_plan={"notifications": [{"url": url, "events": ["*"]}]}),
            by=by("co", "notify the ML team"),
        )
        self.outbox.catch_up()
