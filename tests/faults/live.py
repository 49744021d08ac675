"""What the fault tests stand on: a real `modelgov serve` they kill -9, and a TCP proxy they cut."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx2

from tests.conftest import free_port, wait_until

MODELGOV = str(Path(sys.executable).with_name("modelgov"))


SERVE_ALONE = ("--workers", "1", "--no-seal", "--no-monitor")  # one process, no background jobs


class LiveServer:
    """`modelgov serve` in a subprocess over a test store, on a free port; started again after a kill."""

    def __init__(
        self,
        environ: dict[str, str],
        *,
        workdir: Path,
        token: str,
        options: tuple[str, ...] = SERVE_ALONE,
    ) -> None:
        self.environ = environ
        self.options = options
        self.workdir = workdir
        self.token = token
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def log(self) -> Path:
        return self.workdir / f"serve-{self.port}-{self.starts}.log"

    def start(self, *, fault: str | None = None) -> None:
        """Start the server (armed at a fault point if given) and wait until it answers."""
        self.starts += 1
        environ = {k: v for k, v in os.environ.items() if not k.startswith("MODELGOV_")}
        environ.update(self.environ)
        if fault is not None:
            environ["MODELGOV_FAULT_POINT"] = fault
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [MODELGOV, "serve", "--port", str(self.port), *self.options],
                env=environ, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        assert wait_until(self._answers, timeout=30), self.log.read_text()

    def _answers(self) -> bool:
        assert self.process is not None and self.process.poll() is None, self.log.read_text()
        try:
            return httpx2.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx2.TransportError:
            return False

    def kill(self) -> None:
        """kill -9, at whatever moment this is."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.wait_dead()

    def wait_dead(self) -> int:
        """Wait for the process to end (a fault point kills it); its return code."""
        assert self.process is not None
        return self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()

    def post(self, path: str, body: Any, *, key: str | None = None) -> httpx2.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return httpx2.post(f"{self.url}{path}", json=body, headers=headers, timeout=30)


class ReplyCutter:
    """A TCP proxy in front of a server that can lose the reply to one message.

    Armed, it forwards the next message containing `trigger` to the server (which acts on it)
    and then closes the connection instead of passing the server's reply on: the client cannot
    tell whether what it sent took effect, as when a network or a process dies at that moment.
    """

    def __init__(self, upstream: tuple[str, int], *, trigger: bytes) -> None:
        self.upstream = upstream
        self.trigger = trigger
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.armed = threading.Event()
        self.replies_lost = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def lose_next_reply(self) -> None:
        self.armed.set()

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            doomed = threading.Event()
            for source, target, to_server in ((client, server, True), (server, client, False)):
                threading.Thread(
                    target=self._pump, args=(source, target, to_server, doomed), daemon=True
                ).start()

    def _pump(
        self, source: socket.socket, target: socket.socket, to_server: bool, doomed: threading.Event
    ) -> None:
        with contextlib.suppress(OSError):  # the other pump closed both ends
            while data := source.recv(65536):
                if to_server and self.trigger in data and self.armed.is_set():
                    self.armed.clear()
                    doomed.set()  # set before the message goes on: its reply comes after
                elif not to_server and doomed.is_set():
                    self.replies_lost += 1
                    break
                target.sendall(data)
        close_both(source, target)


def commit_cutter(upstream: tuple[str, int]) -> ReplyCutter:
    """In front of PostgreSQL: loses the acknowledgement of the next COMMIT."""
    return ReplyCutter(upstream, trigger=b"COMMIT")


def close_both(*ends: socket.socket) -> None:
    """Shut both ends of a proxied connection (either may be closed already)."""
    for end in ends:
        with contextlib.suppress(OSError):
            end.shutdown(socket.SHUT_RDWR)
        end.close()
