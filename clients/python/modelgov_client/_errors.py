"""What a call to modelgov can fail with, one class per thing the caller does next.

ModelgovError
├── Unreachable            no answer after every retry (connection refused, reset, timed out)
└── ProblemError           the server answered with a problem (RFC 9457)
    ├── BadRequest         422/400/413: the request itself is wrong; fix it, do not retry
    ├── Unauthorized       401: no token, an unknown or expired one
    │   └── Forbidden      403: the token's role may not do this
    ├── NotFound           404: no such model, version, breach or flag
    ├── Refused            409: a governance rule said no (four eyes, a retired version...)
    │   └── ActivationRefused   the activation's unmet gates, every one, in `unmet_gates`
    ├── Conflict           409: another writer changed the model at the same moment
    │   └── PreconditionFailed  412: `If-Match` named a revision the model has moved past
    ├── RateLimited        429 after every retry; `retry_after` says when to come back
    └── ServerError        5xx after every retry: the problem says what was recorded
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PROBLEM_BASE = "https://modelgov.dev/problems/"
# 409 problems that are not a rule's refusal but a race with another writer.
CONFLICT_CODES = frozenset({"concurrency_conflict", "idempotency_in_flight"})


class ModelgovError(Exception):
    """Anything a modelgov call failed with."""


class Unreachable(ModelgovError):
    """The server gave no answer, after every retry."""


@dataclass(frozen=True)
class UnmetGate:
    """A gate the version does not pass yet, and what it lacks."""

    gate: str
    detail: str


class ProblemError(ModelgovError):
    """The server refused the request with a problem document."""

    def __init__(self, problem: dict[str, Any], *, status: int) -> None:
        self.problem = problem
        self.status = int(problem.get("status", status))
        self.type = str(problem.get("type", ""))
        self.code = self.type.removeprefix(PROBLEM_BASE)
        self.title = str(problem.get("title", ""))
        self.detail = str(problem.get("detail", ""))
        self.errors: list[dict[str, Any]] = list(problem.get("errors") or [])
        super().__init__(f"{self.status} {self.code or self.title}: {self.detail}")


class BadRequest(ProblemError):
    """The request is not valid (422, 400, 413): fix it; sending it again changes nothing."""


class Unauthorized(ProblemError):
    """No token, or one the server does not accept (401)."""


class Forbidden(Unauthorized):
    """The token's role may not do this (403)."""


class NotFound(ProblemError):
    """No such model, version, breach or flag (404)."""


class Refused(ProblemError):
    """A governance rule refused the command (409)."""


class ActivationRefused(Refused):
    """The activation was refused: `unmet_gates` lists every gate the version does not pass."""

    def __init__(self, problem: dict[str, Any], *, status: int) -> None:
        super().__init__(problem, status=status)
        self.unmet_gates = [
            UnmetGate(str(gate.get("gate", "")), str(gate.get("detail", "")))
            for gate in problem.get("unmet_gates") or []
        ]


class Conflict(ProblemError):
    """Another writer changed the model at the same moment (409): read it again, then decide."""


class PreconditionFailed(Conflict):
    """`If-Match` named a revision the model has moved past (412)."""

    def __init__(self, problem: dict[str, Any], *, status: int) -> None:
        super().__init__(problem, status=status)
        self.current_revision: int | None = problem.get("current_revision")


class RateLimited(ProblemError):
    """Too many requests (429); `retry_after` is the server's advice in seconds, if it gave one."""

    retry_after: float | None = None


class ServerError(ProblemError):
    """The server failed (5xx) on every attempt; the problem says whether anything was recorded."""


def problem_error(problem: dict[str, Any], *, status: int) -> ProblemError:
    """The exception for a problem answer."""
    code = str(problem.get("type", "")).removeprefix(PROBLEM_BASE)
    if status == 409:
        if problem.get("unmet_gates") is not None:
            return ActivationRefused(problem, status=status)
        return (Conflict if code in CONFLICT_CODES else Refused)(problem, status=status)
    by_status: dict[int, type[ProblemError]] = {
        401: Unauthorized, 403: Forbidden, 404: NotFound, 412: PreconditionFailed, 429: RateLimited,
    }  # fmt: skip
    if status in by_status:
        return by_status[status](problem, status=status)
    return (ServerError if status >= 500 else BadRequest)(problem, status=status)
