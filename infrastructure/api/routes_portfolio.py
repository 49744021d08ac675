"""The portfolio: what is wrong now, model by model, and how long affected versions kept serving."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from application.portfolio import compliance_findings, exposure, worst_first
from infrastructure.api.deps import READ, ServicesDep, authorized
from infrastructure.api.schemas import READ_PROBLEMS
from infrastructure.projections import ProjectionRunner, usage_windows
from infrastructure.tokens import Principal

router = APIRouter(tags=["history"], responses=READ_PROBLEMS)
Reader = Annotated[Principal, Depends(authorized(READ))]


@router.get("/v1/portfolio/compliance")
def portfolio_compliance(request: Request, found: ServicesDep, _: Reader) -> dict[str, Any]:
    """Every model's open findings under its current policy, the worst models first."""
    now = datetime.now(UTC)
    models: list[dict[str, Any]] = []
    for name in found.governance.registered_model_names():
        model = found.governance.get_model(name)
        last_observed = request.app.state.monitor.observations.last_observed(name)
        findings = compliance_findings(model, now=now, last_observed=last_observed)
        models.append(
            {
                "model": name,
                "risk_tier": model.risk_tier,
                "active": model.active,
                "findings": findings,
            }
        )
    models = worst_first(models)
    return {"as_of": now.isoformat(), "models": models,
            "totals": {"models": len(models), "with_findings": sum(1 for m in models if m["findings"])}}  # fmt: skip


@router.get("/v1/models/{name}/exposure")
def model_exposure(name: str, request: Request, found: ServicesDep, _: Reader) -> dict[str, Any]:
    """For each bias flag and breach: how long its version served, per environment, while it was open."""
    runner: ProjectionRunner = request.app.state.projections
    runner.catch_up()
    model = found.governance.get_model(name)
    now = datetime.now(UTC)
    return {
        "as_of": now.isoformat(),
        "exposure": exposure(model, usage_windows(runner.sql, name), now=now),
    }
