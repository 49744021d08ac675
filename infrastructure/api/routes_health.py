"""Liveness and readiness, for load balancers and orchestrators (no token needed)."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from infrastructure.api.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "The event store does not answer"}})
def readyz(found: ServicesDep) -> Any:
    """The event store answers: 200 when a query reaches the database, 503 otherwise."""
    try:
        found.governance.recorder.max_notification_id()
    except Exception as error:  # any failure to reach the store means "not ready"
        return JSONResponse(
            {"status": "unavailable", "detail": f"the event store does not answer: {error}"},
            status_code=503,
        )
    return {"status": "ready"}
