"""`modelgov serve` as a process on a free port: it drops slow and idle clients while /healthz
answers, caps its connections, and /readyz says 503 while the store takes no writes."""

from __future__ import annotations

import json
import os
import resource
import selectors
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psycopg
import pytest

from infrastructure.settings import Settings
from tests.conftest import PG_URL, TEST_KEY, free_port, wait_until
from tests.integration.test_cli import MODELGOV

HALF_HEADERS = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
HALF_BODY = (
    b"POST /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b"Content-Length: 1000\r\n\r\n" + b'{"name": "'
)


def _environ(settings: Settings, *, user: str = "", **extra: str) -> dict[str, str]:
    """The MODELGOV_* settings that point a `modelgov` process at the test's store."""
    env = {"MODELGOV_CIPHER_KEY": TEST_KEY, **extra}
    if settings.database.kind == "sqlite":
        env["MODELGOV_DATABASE_URL"] = f"sqlite:///{settings.database.path}"
        return env
    url = urlparse(PG_URL)
    if user:
        url = url._replace(netloc=f"{user}:{user}@{url.hostname}:{url.port or 5432}")
    env |= {"MODELGOV_DATABASE_URL": url.geturl(), "MODELGOV_PG_SCHEMA": settings.database.schema}
    return env


def _get(url: str) -> tuple[int | None, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)
    except OSError as error:
        return None, str(error)


def _readiness(answer: tuple[int | None, Any]) -> tuple[int | None, Any]:
    """/readyz's answer without who holds the leases and which process answered (they vary)."""
    status, body = answer
    return status, {k: v for k, v in body.items() if k not in ("leases", "process")}


@contextmanager
def served(directory: Path, env: dict[str, str]) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """`modelgov serve` (no sealer, no monitoring) on a free port, until the block ends."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MODELGOV_")} | env
    with open(directory / "serve.log", "wb") as log:
        process = subprocess.Popen(
            [MODELGOV, "serve", "--port", str(port), "--workers", "1", "--no-seal", "--no-monitor"],
            cwd=directory, env=environ, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        up = wait_until(
            lambda: process.poll() is not None or _get(f"http://127.0.0.1:{port}/healthz")[0],
            timeout=30,
        )
        assert up and process.poll() is None, (directory / "serve.log").read_text()
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:  # still waiting for clients to go: no longer
            process.kill()
            process.wait()


def test_slow_clients_are_dropped_within_the_timeouts_while_healthz_answers(
    backend: Settings, tmp_path: Path
) -> None:
    env = _environ(
        backend, MODELGOV_HTTP_HEADER_TIMEOUT_SECONDS="2", MODELGOV_HTTP_BODY_TIMEOUT_SECONDS="3"
    )
    with served(tmp_path, env) as (port, _):
        waiting = selectors.DefaultSelector()
        for number in range(200):  # half with their headers cut short, half with their bodies
            client = socket.create_connection(("127.0.0.1", port))
            client.sendall(HALF_HEADERS if number % 2 else HALF_BODY)
            client.setblocking(False)
            part = "headers" if number % 2 else "body"
            waiting.register(client, selectors.EVENT_READ, (part, time.monotonic(), bytearray()))
        dropped: list[tuple[str, float, bytes]] = []
        health: list[tuple[int | None, float]] = []
        deadline = time.monotonic() + 3 + 5
        while waiting.get_map() and time.monotonic() < deadline:
            asked = time.monotonic()
            health.append((_get(f"http://127.0.0.1:{port}/healthz")[0], time.monotonic() - asked))
            for key, _ in waiting.select(timeout=0.2):
                client, (part, opened, received) = key.fileobj, key.data
                assert isinstance(client, socket.socket)
                try:
                    data = client.recv(4096)
                except ConnectionResetError:
                    data = b""
                received += data
                if not data:
                    dropped.append((part, time.monotonic() - opened, bytes(received)))
                    waiting.unregister(client)
                    client.close()
        still_connected = len(waiting.get_map())
        for key in list(waiting.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
    assert still_connected == 0, f"{still_connected} slow clients still connected"
    for part, held, received in dropped:
        limit = 2 if part == "headers" else 3
        assert limit - 0.5 < held < limit + 2.5, (part, held)
        if part == "headers":  # half a request came, so the server says why it stops
            assert received.startswith(b"HTTP/1.1 408 Request Timeout")
            assert b"/problems/request_timeout" in received
    assert len(health) >= 10, "asked /healthz throughout"
    assert all(status == 200 and took < 1 for status, took in health), health


def test_connections_over_the_cap_are_answered_503_and_closed(
    backend: Settings, tmp_path: Path
) -> None:
    with served(tmp_path, _environ(backend, MODELGOV_HTTP_MAX_CONNECTIONS="5")) as (port, _):
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
        extra = socket.create_connection(("127.0.0.1", port), timeout=10)
        reply = b"".join(iter(lambda: extra.recv(4096), b""))
        assert reply.startswith(b"HTTP/1.1 503 Service Unavailable")
        assert b"/problems/too_many_connections" in reply
        for client in [*idle, extra]:
            client.close()
        assert wait_until(lambda: _get(f"http://127.0.0.1:{port}/healthz")[0] == 200, timeout=10)


@contextmanager
def _role_of_its_own(schema: str) -> Iterator[str]:
    """A PostgreSQL login that owns what it creates in `schema` (dropped afterwards)."""
    role = f"modelgov_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as connection:
        connection.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{role}'")
        connection.execute(f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {role}")
    try:
        yield role
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as connection:
            connection.execute(f"DROP OWNED BY {role}")
            connection.execute(f"DROP ROLE {role}")


def _set_writes(*, schema: str, role: str, allowed: bool) -> None:
    verb = "GRANT" if allowed else "REVOKE"
    way = "TO" if allowed else "FROM"
    with psycopg.connect(PG_URL, autocommit=True) as connection:
        connection.execute(
            f"{verb} INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} {way} {role}"
        )


@contextmanager
def _writes_fail(settings: Settings, process: subprocess.Popen[bytes], role: str) -> Iterator[str]:
    """Make every write of the server fail, then let it write again; yields what /readyz names.

    SQLite: the process may no longer grow a file (RLIMIT_FSIZE 0), as on a full disk.
    PostgreSQL: its login loses the right to write the tables, as on a read-only server.
    """
    if settings.database.kind == "sqlite":
        soft, hard = resource.prlimit(process.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (0, hard))
        try:
            yield f"cannot write to SQLite file {settings.database.path}"
        finally:
            resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (soft, hard))
        return
    _set_writes(schema=settings.database.schema, role=role, allowed=False)
    try:
        yield "permission denied for table modelgov_write_probe"
    finally:
        _set_writes(schema=settings.database.schema, role=role, allowed=True)


@pytest.fixture
def login(backend: Settings) -> Iterator[str]:
    """On PostgreSQL, a login of the test's own, whose rights can be taken; on SQLite, none."""
    if backend.database.kind == "sqlite":
        yield ""
        return
    with _role_of_its_own(backend.database.schema) as role:
        yield role


def test_readyz_is_503_while_the_store_takes_no_writes_and_200_after(
    backend: Settings, login: str, tmp_path: Path
) -> None:
    with served(tmp_path, _environ(backend, user=login)) as (port, process):
        readyz = f"http://127.0.0.1:{port}/readyz"
        ready = {"status": "ready", "sealer": "off", "projection_lag": 0}
        assert _readiness(_get(readyz)) == (200, ready)
        with _writes_fail(backend, process, login) as named:
            status, body = _get(readyz)
            assert status == 503, body
            assert body["status"] == "unavailable"
            assert body["detail"].startswith("the event store does not take writes: ")
            assert named in body["detail"]
            assert _get(f"http://127.0.0.1:{port}/healthz")[0] == 200  # alive, not ready
        assert _readiness(_get(readyz)) == (200, ready)
