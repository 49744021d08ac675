"""Liveness and readiness, for load balancers and orchestrators (no token needed)."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from infrastructure.api.deps import ServicesDep
from infrastructure.db.append_only import INSTALL_COMMAND, findings_text, guard_findings
from infrastructure.leases import lease_holders, this_process

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={
        503: {
            "description": "The event store does not answer or take writes, or an append-only "
            "trigger is missing or disabled"
        }
    },
)
def readyz(found: ServicesDep, request: Request) -> Any:
    """200 when the event store answers a query and takes a small write, and its append-only
    triggers are in force, 503 otherwise; says how the ledger sealer is doing, which process holds
    each background job's lease, and which process answered."""
    sealing = getattr(request.app.state, "sealing", None)
    ledger: dict[str, Any] = (
        {"sealer": sealing.state, "problem": sealing.problem} if sealing else {"sealer": "off"}
    )
    try:
        unguarded = guard_findings(request.app.state.sql)
        head = found.governance.recorder.max_notification_id() or 0
        if getattr(request.app.state, "projecting", False):  # projections run inside `serve`
            ledger["projection_lag"] = request.app.state.projections.lag(head=head)
        if getattr(request.app.state, "monitoring", False):  # evaluation and webhooks, in `serve`
            ledger["monitoring_lag"] = request.app.state.monitor.lag(head=head)
        ledger["leases"] = lease_holders(request.app.state.sql)
        ledger["process"] = this_process()  # which worker answered
    except Exception as error:  # any failure to reach the store means "not ready"
        return _unavailable(f"the event store does not answer: {error}", ledger)
    unwritable = request.app.state.write_probe.problem()
    if unwritable is not None:  # e.g. a full disk: reads work, every command would fail
        return _unavailable(f"the event store does not take writes: {unwritable}", ledger)
    if unguarded:  # dropped or disabled since this process opened the store, which checks them
        return _unavailable(
            f"{findings_text(unguarded)}: the database no longer refuses rewriting the store; the "
            f"tables' owner runs `{INSTALL_COMMAND}` (`modelgov verify` reports it too)",
            ledger,
        )
    return {"status": "ready", **ledger}


def _unavailable(detail: str, ledger: dict[str, Any]) -> JSONResponse:
    """503: not ready, why, and what else /readyz says."""
    return JSONResponse({"status": "unavailable", "detail": detail, **ledger}, status_code=503)
