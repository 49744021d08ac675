"""The portfolio: what is wrong now, model by model, and how long affected versions kept serving.

Both read projections (standing findings, incidents, usage windows) and apply the clock when asked:
a bias flag becomes overdue, and an open incident's exposure grows, without any new event.
"""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from application.errors import ModelNotFoundError
from application.portfolio import exposure, worst_first
from application.projections.model_documents import ModelStates
from application.projections.usage import UsageWindows
from application.views import jsonable
from domain.instants import utc_text
from infrastructure.api.deps import READ_REPORTS, Reader, authorized
from infrastructure.api.pages import Name, PageRequest, Position, paging
from infrastructure.api.problems import READ_MODEL_PROBLEMS
from infrastructure.api.read_models import read_models
from infrastructure.api.schemas import UsagePage
from infrastructure.api.tokens import Principal
from infrastructure.projections.queries import (
    compliance,
    incidents,
    model_version,
    usage_key,
    usage_windows,
)
from infrastructure.projections.runner import ProjectionRunner

router = APIRouter(tags=["history"], responses=READ_MODEL_PROBLEMS)
# A usage window's key: its start (as stored), environment and version (queries.usage_key).
USAGE_PAGE = paging("usage", key=tuple[Name, Name, Position], default=100, maximum=500)


# What each route reads: standing findings and incidents (model_state), usage windows.
StateReader = Annotated[ProjectionRunner, Depends(read_models(ModelStates.name))]
UsageReader = Annotated[ProjectionRunner, Depends(read_models(ModelStates.name, UsageWindows.name))]


@router.get("/v1/portfolio/compliance")
def portfolio_compliance(
    request: Request,
    runner: StateReader,
    _: Annotated[Principal, Depends(authorized(READ_REPORTS))],
) -> dict[str, Any]:
    """Every model's open findings under its current policy, the worst models first (the roles
    that may read the portfolio report: the same data, one rule)."""
    now = datetime.now(UTC)
    observations = request.app.state.monitor.observations
    last_observed = observations.last_observed()
    models = worst_first(compliance(runner.sql, now=now, last_observed=last_observed))
    return {"as_of": utc_text(now), "models": models,
            "totals": {"models": len(models), "with_findings": sum(1 for m in models if m["findings"])}}  # fmt: skip


@router.get("/v1/models/{name}/exposure")
def model_exposure(name: str, runner: UsageReader, _: Reader) -> dict[str, Any]:
    """For each bias flag and breach: how long its version served, per environment, while it was open."""
    if model_version(runner.sql, name) is None:
        raise ModelNotFoundError(f"no model named {name!r} is registered")
    now = datetime.now(UTC)
    found = [incident for _, incident in incidents(runner.sql, model=name)]
    windows = usage_windows(runner.sql, name, cipher=runner.cipher)
    return {"as_of": utc_text(now), "exposure": exposure(found, windows, now=now)}


@router.get("/v1/models/{name}/usage", response_model=UsagePage)
def model_usage(
    name: str, runner: UsageReader, _: Reader, page: Annotated[PageRequest, Depends(USAGE_PAGE)]
) -> dict[str, Any]:
    """Every interval a version served in an environment, in time order, with who began and
    ended it (`ended_at` null while it still serves)."""
    if model_version(runner.sql, name) is None:
        raise ModelNotFoundError(f"no model named {name!r} is registered")
    after = None if page.after is None else tuple(page.after)
    windows = usage_windows(
        runner.sql, name, cipher=runner.cipher, after=after, limit=page.limit + 1
    )
    answer = page.page(windows, key=usage_key)
    return {**answer, "items": jsonable(answer["items"])}
