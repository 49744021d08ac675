"""GET /metrics: the service's counts and backlogs in Prometheus' text format, for its operators.

Behind a token (Access.READ_METRICS), not on a port of its own: any API process answers with the
sum over all of them (infrastructure/metrics/instruments.py), a Prometheus on another machine
reaches it where the API is reachable, and there is no second listener to firewall. Not for the
Python client: Prometheus scrapes it (so it is not in ROUTE_MODULES, nor in OpenAPI).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from domain.roles import Access
from infrastructure.api.deps import authorized
from infrastructure.api.tokens import Principal
from infrastructure.metrics.instruments import TEXT_FORMAT

router = APIRouter(tags=["health"])


@router.get("/metrics", include_in_schema=False)
def metrics(
    _: Annotated[Principal, Depends(authorized(Access.READ_METRICS))], request: Request
) -> Response:
    """Requests, latency, problems, events appended, webhook attempts, and the backlogs read
    from the store now (README "Metrics")."""
    state = request.app.state
    return Response(state.metrics.exposition(state.store_gauges), media_type=TEXT_FORMAT)
