"""`POST /v1/integrations/mlflow/webhook`: MLflow's registry webhooks, authenticated by their HMAC
signature (MODELGOV_MLFLOW_WEBHOOK_SECRET) instead of a bearer token."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from infrastructure.api.problems import problem_responses
from infrastructure.integrations.mlflow_webhook import MlflowWebhookReceiver

router = APIRouter(prefix="/v1/integrations/mlflow", tags=["integrations"])


# 401 no signature; 403 a signature that does not check, a stale timestamp, or no secret set
# here; 409 a model or version not imported that cannot be; 503 MLflow cannot be read to import.
@router.post("/webhook", responses=problem_responses(401, 403, 409, 413, 422, 503))
async def mlflow_webhook(request: Request) -> dict[str, str]:
    """Record an MLflow registry webhook delivery (version created, alias set or deleted, tag set)."""
    body = await request.body()
    receiver: MlflowWebhookReceiver = request.app.state.mlflow_webhook
    return await run_in_threadpool(
        receiver.receive, headers=request.headers, body=body, now=time.time()
    )
