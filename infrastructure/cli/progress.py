"""Progress of the long commands on a terminal (rich, on stderr); nothing with --json or off a terminal.

A command opens `progress("verifying events", quiet=as_json)` around its work and hands what it
yields to the loop below it (application and infrastructure code take a plain callable, never
rich): `shown(done, total)` with the work done so far and, where it is known, the whole of it (a
bar and a count), else a spinner and a count. It yields None when nothing is shown (--json, or
stdout or stderr not a terminal: a pipe, a file, a CI log), so that the loop below skips even the
counting that only the bar needs. The command's results still go to stdout, after the bar.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class Shown:
    """One command's progress on the terminal: `shown(done, total)`, and `say(line)` above it."""

    def __init__(self, bar: Progress, task: TaskID) -> None:
        self._bar = bar
        self._task = task

    def __call__(self, done: int, total: int | None = None) -> None:
        """`done` so far; `total` when known (rich keeps an earlier call's when it is None)."""
        self._bar.update(self._task, total=total, completed=done)

    def say(self, line: str) -> None:
        """A line printed above the bar (on stderr, as the bar)."""
        self._bar.console.print(line, markup=False, highlight=False)


def on_a_terminal() -> bool:
    """Both stdout and stderr are terminals: a person is watching, nothing reads the output."""
    return sys.stdout.isatty() and sys.stderr.isatty()


@contextmanager
def progress(what: str, *, quiet: bool = False) -> Iterator[Shown | None]:
    """Show the progress of `what` on stderr while the block runs; None when quiet or not on a
    terminal. The bar stays on screen afterwards, with its final count and the time taken."""
    if quiet or not on_a_terminal():
        yield None
        return
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        # What the command prints meanwhile stays where it goes: results on stdout.
        redirect_stdout=False,
        redirect_stderr=False,
    )
    with bar:
        task = bar.add_task(what, total=None)
        yield Shown(bar, task)
