"""Running `modelgov` as a person does, on a terminal: stdout and stderr each a pseudo-terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from dataclasses import dataclass
from pathlib import Path

from tests.integration.test_cli import MODELGOV

_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass(frozen=True)
class OnTerminal:
    """What the command wrote to each terminal: the raw bytes as text, and readable."""

    returncode: int
    stdout: str  # newlines as the terminal gives them (\r\n) turned back into \n
    stderr: str  # as written, escape sequences and all

    @property
    def stderr_text(self) -> str:
        """stderr without its colours and cursor moves; each redraw of a bar on a line of its own."""
        return _ESCAPES.sub("", self.stderr).replace("\r\n", "\n").replace("\r", "\n")


def run_on_terminal(
    cwd: Path, *args: str, env: dict[str, str], stdout_piped: bool = False, timeout: float = 120
) -> OnTerminal:
    """`modelgov *args` with its stdout and its stderr on two pseudo-terminals (120 columns);
    `stdout_piped`: stdout a pipe instead (`modelgov verify | tee`)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MODELGOV_")}
    environ.update(env, TERM="xterm-256color", COLUMNS="120")
    environ.pop("NO_COLOR", None)
    terminals = [os.pipe() if stdout_piped else pty.openpty(), pty.openpty()]
    for _, follower in terminals:
        if os.isatty(follower):
            fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(
        [MODELGOV, *args], cwd=cwd, env=environ, stdin=subprocess.DEVNULL,
        stdout=terminals[0][1], stderr=terminals[1][1],
    )  # fmt: skip
    for _, follower in terminals:
        os.close(follower)
    written = {leader: b"" for leader, _ in terminals}
    reading = set(written)
    deadline = time.monotonic() + timeout
    while reading and time.monotonic() < deadline:
        ready, _, _ = select.select(list(reading), [], [], 0.2)
        for leader in ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed (Linux answers EIO once every writer is gone)
                chunk = b""
            if chunk:
                written[leader] += chunk
            else:
                reading.discard(leader)
    for leader in written:
        os.close(leader)
    returncode = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    stdout, stderr = (written[leader].decode(errors="replace") for leader, _ in terminals)
    return OnTerminal(returncode, stdout.replace("\r\n", "\n"), stderr)


def last_count(shown: OnTerminal, what: str) -> tuple[int, int | None]:
    """The last `done/total` the bar of `what` showed (total None for `?`)."""
    counts = re.findall(rf"{what} .*?(\d+)/(\d+|\?)", shown.stderr_text)
    assert counts, f"no progress of {what!r} on stderr: {shown.stderr_text!r}"
    done, total = counts[-1]
    return int(done), None if total == "?" else int(total)
