"""Reading the read models, and reading one's own writes: GETs only read.

A successful command answers with `Modelgov-Position`, the store position of its last event. A
GET of a read model sent with `Modelgov-After-Position: N` waits (up to MODELGOV_READ_WAIT_SECONDS)
until the projections it reads have applied the store's events up to N, then answers; past the
wait it answers 503 `read_model_behind` with Retry-After. Without the header a GET answers from
what the read models hold now, however far behind. No request applies events: the projections'
follower does (in `modelgov serve`, or `modelgov projections run --follow`).

(No `from __future__ import annotations` here: FastAPI reads the dependency's signature at run time.)
"""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from infrastructure.api.deps import authenticated
from infrastructure.api.tokens import Principal
from infrastructure.errors import PositionNotRecordedError, ReadModelBehindError
from infrastructure.projections.runner import ProjectionRunner

POSITION_HEADER = "Modelgov-Position"
AFTER_POSITION_HEADER = "Modelgov-After-Position"
MAX_POSITION = 2**63 - 1  # a BIGINT

# A command's answer, in OpenAPI.
POSITION_HEADERS = {
    POSITION_HEADER: {
        "description": "The store position of the command's last event (of the store's head "
        "when it recorded none of its own, or for a replayed answer): send it as "
        f"`{AFTER_POSITION_HEADER}` to read the read models once they include this write.",
        "schema": {"type": "integer", "minimum": 0},
    }
}

AfterPosition = Annotated[
    int | None,
    Header(
        alias=AFTER_POSITION_HEADER, ge=0, le=MAX_POSITION,
        description=f"Read your own writes: the `{POSITION_HEADER}` of a command's answer. The "
        "answer waits (up to MODELGOV_READ_WAIT_SECONDS, default 5 s) until the read models have "
        "applied the store's events up to this position; past that, 503 `read_model_behind` with "
        "Retry-After. A position past the store's last event is 422 `position_not_recorded`. "
        "Without it, the read models are read as they are, however far behind.",
    ),
]  # fmt: skip


def read_models(*names: str) -> Callable[..., Awaitable[ProjectionRunner]]:
    """Dependency of a GET that reads the named projections: their runner, once they have
    reached the Modelgov-After-Position asked for (if any)."""

    async def reader(
        request: Request,
        _: Annotated[Principal, Depends(authenticated)],  # a stranger learns nothing of the store
        after_position: AfterPosition = None,
    ) -> ProjectionRunner:
        # On the event loop when there is nothing to wait for (most reads: no thread hop); the
        # wait, which blocks, in a worker thread.
        runner: ProjectionRunner = request.app.state.projections
        if after_position is not None:
            await run_in_threadpool(_reach, request, runner, after_position, names)
        return runner

    return reader


def _reach(
    request: Request, runner: ProjectionRunner, after_position: int, names: tuple[str, ...]
) -> None:
    """Wait until the projections `names` have reached `after_position` (or refuse: AfterPosition)."""
    head = runner.governance.recorder.max_notification_id() or 0
    if after_position > head:  # no write of this store answered it: waiting won't help
        raise PositionNotRecordedError(
            f"{AFTER_POSITION_HEADER} {after_position} is past the last event of this "
            f"store (position {head}): send the {POSITION_HEADER} a command answered"
        )
    waited: float = request.app.state.read_wait_seconds
    reached = runner.wait_for(after_position, names=names, timeout=waited)
    if reached < after_position:
        raise ReadModelBehindError(wanted=after_position, reached=reached, waited=waited)
