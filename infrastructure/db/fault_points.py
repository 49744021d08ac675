"""Named fault points: a TEST HOOK that kills or fails the process at a chosen moment of a command.

The fault-injection tests (tests/faults) start `modelgov serve` with MODELGOV_FAULT_POINT=POINT or
POINT:ACTION and check that whatever dies when, every command is recorded once and every retry
gets the original answer. Unarmed (the variable unset, as in any real deployment) every
`fault_point` call is a dictionary lookup that does nothing.

Points, in the order a command passes them:
  before_commit    inside the transaction of the command's events and receipt, before its commit
                   (on PostgreSQL the statements are queued in the pipeline, not yet sent)
  after_commit     the transaction has committed; the caller has not been answered
  during_response  the response's status and headers are sent, its body not yet (POST only)
and, outside commands:
  during_migration inside a schema migration's transaction, its statements run, its version row
                   not yet written (`modelgov db migrate`)
  during_purge     inside the transaction dropping one model's month of observations, its rows
                   deleted and its purge recorded (or, on PostgreSQL, a month's partition dropped
                   and each model's purge recorded), not yet committed (`modelgov observations purge`)
Actions: kill (SIGKILL, as `kill -9`; the default) or fail (the store raises OperationalError).
In-process tests may arm a point with a function of their own (`armed`).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from eventsourcing.persistence import OperationalError
from starlette.types import Message, Receive, Scope, Send

from infrastructure.api.middleware import HttpMiddleware
from infrastructure.errors import SettingsError

POINTS = {
    "before_commit": ("kill", "fail"),
    "after_commit": ("kill", "fail"),
    "during_response": ("kill",),
    "during_migration": ("kill", "fail"),
    "during_purge": ("kill", "fail"),
}
Action = Callable[[], None]
_armed: dict[str, Action] = {}


def _kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _fail() -> None:
    raise OperationalError("fault injected by MODELGOV_FAULT_POINT (a test hook)")


def parse_fault_point(spec: str) -> tuple[str, str]:
    """'after_commit' or 'after_commit:fail' as (point, action); SettingsError if unknown."""
    point, _, action = spec.strip().partition(":")
    action = action or "kill"
    if action not in POINTS.get(point, ()):
        known = "; ".join(f"{p}:{'|'.join(actions)}" for p, actions in POINTS.items())
        raise SettingsError(
            f"MODELGOV_FAULT_POINT {spec!r} is not a fault point (a test hook); known: {known}"
        )
    return point, action


def arm(spec: str) -> None:
    """Arm the point named by a MODELGOV_FAULT_POINT value, for the rest of the process."""
    point, action = parse_fault_point(spec)
    _armed[point] = _kill if action == "kill" else _fail


def is_armed() -> bool:
    return bool(_armed)


@contextmanager
def armed(point: str, action: Action) -> Iterator[None]:
    """For in-process tests: run `action` at `point` while the block runs."""
    if point not in POINTS:
        raise ValueError(f"no fault point {point!r}; known: {', '.join(POINTS)}")
    _armed[point] = action
    try:
        yield
    finally:
        _armed.pop(point, None)


def fault_point(point: str) -> None:
    """Mark a named point of a command; a no-op unless a test armed it."""
    action = _armed.get(point)
    if action is not None:
        action()


class ResponseFaults(HttpMiddleware):
    """ASGI middleware, installed only when a fault point is armed: `during_response` on POSTs."""

    def handles(self, scope: Scope) -> bool:
        return bool(scope["method"] == "POST")

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:

        async def send_then_fault(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.start":
                fault_point("during_response")

        await self.app(scope, receive, send_then_fault)
