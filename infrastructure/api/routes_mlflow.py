"""`POST /v1/integrations/mlflow/webhook`: MLflow's registry webhooks, authenticated by their HMAC
signature (MODELGOV_MLFLOW_WEBHOOK_SECRET) instead of a bearer token."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from infrastructure.integrations.mlflow_webhook import MlflowWebhookReceiver

router = APIRouter(prefix="/v1/integrations/mlflow", tags=["integrations"])


@router.post(
    "/webhook",
    responses={
        401: {"description": "No MLflow signature headers."},
        403: {"description": "A signature that does not check, or a timestamp out of window."},
        409: {"description": "The model or version named was not imported, and cannot be."},
        503: {"description": "No secret configured, or MLflow cannot be read to import."},
    },
)
async def mlflow_webhook(request: Request) -> dict[str, str]:
    """Record an MLflow registry webhook delivery (version created, alias set or deleted, tag set)."""
    body = await request.body()
    receiver: MlflowWebhookReceiver = request.app.state.mlflow_webhook
    return await run_in_threadpool(
        receiver.receive, headers=request.headers, body=body, now=time.time()
    )
