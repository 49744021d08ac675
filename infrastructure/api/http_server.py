"""The HTTP server under `modelgov serve`: uvicorn, shedding slow and idle clients.

uvicorn 0.54 closes idle kept-alive connections (`timeout_keep_alive`) and caps header size
(`h11_max_incomplete_event_size`), but has no deadline for a request that arrives slowly: a client
that sends half its headers, or fewer body bytes than its Content-Length, holds a connection for
ever. `LimitedH11Protocol` adds read deadlines for the headers and for the body, and a cap on open
connections; the application's own time is not limited.

With several workers, uvicorn's supervisor binds the port, starts the workers (each builds its
own application from a factory, and gets the same limits) and starts a worker again when one
dies; a worker whose supervisor is gone (kill -9) stops by itself.

Every API process answers on uvloop's event loop (a dependency, except on Windows, which it does
not support), and says so when it starts. Against asyncio's own loop it measured 1-8% more
commands a second at 8 clients in one session and less than the drift in another, and a lower
latency at 1 client (bench/README).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import h11
import uvicorn
from starlette.applications import Starlette
from uvicorn.config import STARTUP_FAILURE
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.supervisors import Multiprocess

from infrastructure.api.problems import PROBLEM_BASE
from infrastructure.logs import logging_config
from infrastructure.settings import Settings

WORKER_ANSWER_SECONDS = 30  # a worker silent for longer is taken as hung: killed and replaced
# How long a thread may hold the GIL while another waits for it (Python's default: 5 ms). A thread
# back from the database often holds a lock there (an observation batch holds the table's until
# its commit) and needs the GIL for its next step, while threads parsing and checking request
# bodies keep it busy: at 5 ms, posting observations from 4 clients kept other writers waiting on
# that lock about half the time (bench/README, "Monitoring benchmark").
GIL_SWITCH_SECONDS = 0.001
# uvicorn's name for the loop, as pyproject.toml's dependency marker has it: an install without
# uvloop where it should be fails at start instead of answering on another loop.
EVENT_LOOP = "asyncio" if sys.platform == "win32" else "uvloop"
_log = logging.getLogger("modelgov.serve")


@dataclass(frozen=True)
class ConnectionLimits:
    """How long a request's headers and then its body may take to arrive; how many connections."""

    header_seconds: float
    body_seconds: float
    max_connections: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ConnectionLimits:
        return cls(
            header_seconds=settings.http_header_timeout_seconds,
            body_seconds=settings.http_body_timeout_seconds,
            max_connections=settings.http_max_connections,
        )


def run_server(
    factory: Callable[[], Starlette],
    *,
    host: str,
    port: int,
    limits: ConnectionLimits,
    workers: int = 1,
    log_format: str = "text",
) -> None:
    """Serve the application `factory` builds until interrupted (Ctrl-C, SIGTERM), in this
    process or in `workers` processes on one port; always over h11, the protocol the limits are
    written for. With workers, `factory` is sent to each (picklable: a partial of a module's
    function). uvicorn's lines and modelgov's are written in `log_format` (infrastructure/logs.py)."""
    protocol: Any = partial(LimitedH11Protocol, limits=limits)
    if workers == 1:
        sys.setswitchinterval(GIL_SWITCH_SECONDS)
        uvicorn.run(
            partial(_app_on_its_loop, factory), factory=True, host=host, port=port,
            log_level="info", http=protocol, loop=EVENT_LOOP,
            log_config=logging_config(log_format),
        )  # fmt: skip
        return
    config = uvicorn.Config(
        partial(_worker_app, factory, os.getpid()), factory=True, host=host, port=port,
        log_level="info", http=protocol, loop=EVENT_LOOP, workers=workers,
        log_config=logging_config(log_format),
        # A new worker answers the supervisor's pings once it has imported the application,
        # which takes seconds on a busy machine: uvicorn's 5 s killed workers while starting.
        timeout_worker_healthcheck=WORKER_ANSWER_SECONDS,
    )  # fmt: skip
    listening = config.bind_socket()
    # Listening from here, not from when the first worker has started (seconds later): a client
    # that connects meanwhile waits in the backlog instead of being refused.
    listening.listen(config.backlog)
    supervisor = Multiprocess(config, sockets=[listening])
    supervisor.run()  # until Ctrl-C or SIGTERM: then every worker is stopped and waited for
    if any(worker.exitcode == STARTUP_FAILURE for worker in supervisor.processes):
        sys.exit(STARTUP_FAILURE)  # uvicorn said why (the store, the port ...) and stopped


def _worker_app(factory: Callable[[], Starlette], supervisor: int) -> Starlette:
    """In a worker: the application, and a watch that stops the worker if the supervisor dies."""
    watch = threading.Thread(
        target=_stop_without_supervisor, args=(supervisor,), name="modelgov-supervisor-watch",
        daemon=True,
    )  # fmt: skip
    watch.start()
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    return _app_on_its_loop(factory)


def _app_on_its_loop(factory: Callable[[], Starlette]) -> Starlette:
    """The application, built on the process's running loop (uvicorn calls factories there),
    after a line saying which loop that is: `uvloop` or `asyncio`."""
    loop = type(asyncio.get_running_loop()).__module__.partition(".")[0]
    _log.info("process %d answers on the %s event loop", os.getpid(), loop)
    return factory()


def _stop_without_supervisor(supervisor: int) -> None:
    """A worker whose supervisor was killed (its parent changes) stops as on SIGTERM: cleanly,
    letting its leases go, instead of serving on as an orphan nobody supervises."""
    while os.getppid() == supervisor:
        time.sleep(1)
    logging.getLogger("modelgov.workers").warning(
        "the supervisor (process %d) is gone; this worker stops", supervisor
    )
    os.kill(os.getpid(), signal.SIGTERM)


class LimitedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with read deadlines and a connection cap (see the module)."""

    _deadline: asyncio.TimerHandle | None = None
    _awaiting: str | None = None  # "headers" or "body": what the running deadline is for

    def __init__(self, *args: Any, limits: ConnectionLimits, **options: Any) -> None:
        self.limits = limits
        super().__init__(*args, **options)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # asyncio sets TCP_NODELAY only on sockets whose protocol number says TCP; the socket that
        # uvicorn binds for workers says 0, so without this each kept-alive answer waited ~40 ms
        # for the client's delayed ACK (Nagle).
        connection = transport.get_extra_info("socket")
        if connection is not None and connection.family in (socket.AF_INET, socket.AF_INET6):
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if len(self.connections) > self.limits.max_connections:
            self.logger.warning(
                "refused a connection: %d are open (MODELGOV_HTTP_MAX_CONNECTIONS)",
                len(self.connections) - 1,
            )
            self._answer_and_close(
                503, "too_many_connections",
                "the server has as many connections as it accepts; try again shortly",
            )  # fmt: skip
            return
        self._watch()

    def handle_events(self) -> None:
        super().handle_events()
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._await(None)
        super().connection_lost(exc)

    def _watch(self) -> None:
        """Start a deadline when headers or a body are awaited; stop it once they are in."""
        state = self.conn.their_state
        if self.transport.is_closing():
            self._await(None)
        elif state is h11.IDLE:  # a new request, or the next one on a kept-alive connection
            self._await("headers")
        elif state is h11.SEND_BODY:
            self._await("body")
        else:  # the request is in: the application's time is its own
            self._await(None)

    def _await(self, part: str | None) -> None:
        if part == self._awaiting:
            return
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._awaiting = part
        if part is not None:
            seconds = self.limits.header_seconds if part == "headers" else self.limits.body_seconds
            self._deadline = self.loop.call_later(seconds, self._time_out)

    def _time_out(self) -> None:
        part, self._awaiting, self._deadline = self._awaiting, None, None
        if self.transport.is_closing():
            return
        seconds = self.limits.header_seconds if part == "headers" else self.limits.body_seconds
        started = self.conn.trailing_data[0] if part == "headers" else b""
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
        self.logger.warning(
            "%s: closed the connection: the request's %s did not arrive within %g s",
            client, part, seconds,
        )  # fmt: skip
        if started:  # half a request came: say why it goes unanswered (an idle one just closes)
            self._answer_and_close(
                408, "request_timeout", f"the request's headers did not arrive within {seconds:g} s"
            )
            return
        # While a body is awaited the application owns the response: it sees a disconnect.
        self.transport.close()

    def _answer_and_close(self, status: int, code: str, detail: str) -> None:
        title = {408: "Request Timeout", 503: "Service Unavailable"}[status]
        body = json.dumps(
            {"type": PROBLEM_BASE + code, "title": title, "status": status, "detail": detail}
        ).encode()
        head = (
            f"HTTP/1.1 {status} {title}\r\ncontent-type: application/problem+json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        )
        self.transport.write(head.encode() + body)
        self.transport.close()
