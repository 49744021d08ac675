"""The MLflow webhook receiver: MLflow 3's registry webhooks, signature checked, as events.

MLflow signs a delivery (mlflow/webhooks/delivery.py) with HMAC-SHA256 over
`<X-MLflow-Delivery-Id>.<X-MLflow-Timestamp>.<body>` under the webhook's secret, sent as
`X-MLflow-Signature: v1,<base64>`. A delivery is accepted when that checks with
MODELGOV_MLFLOW_WEBHOOK_SECRET and its timestamp is within five minutes; a delivery id seen before
is answered as a duplicate and records nothing (its receipt is kept with the events, so a restart
does not forget it), which with the timestamp window refuses replays.

What each delivery records (through the bridge, so a fact sent twice is recorded once):
`model_version.created` imports the model from MODELGOV_MLFLOW_TRACKING_URI (the version's card
needs its artifact's digest), `model_version_alias.created` and `.deleted` record the alias,
`model_version_tag.set` records the tag; other deliveries are acknowledged and ignored. With
MODELGOV_MLFLOW_TRACKING_URI set, an alias delivery records where the alias points in MLflow when
it arrives, not what the delivery says: deliveries retried or late, out of order, cannot leave
an alias at an older version. Anything a client can send that is not a delivery is a 4xx.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from application.governance import Governance
from domain.errors import InvalidValueError
from infrastructure.api.idempotency import StoredResponse
from infrastructure.errors import (
    CommandFailedError,
    MlflowFactUnmatchedError,
    MlflowNameClashError,
    MlflowSignatureInvalidError,
    MlflowSignatureMissingError,
    MlflowWebhookNotConfiguredError,
    MlflowWebhookUnavailableError,
)
from infrastructure.integrations.mlflow_bridge import PRINCIPAL, Bridge, modelgov_name
from infrastructure.integrations.mlflow_import import OWN_TAGS, MlflowImport
from infrastructure.integrations.mlflow_registry import open_registry
from infrastructure.setting_values import parse_alias_environments
from infrastructure.settings import Settings

SIGNATURE, TIMESTAMP, DELIVERY = "x-mlflow-signature", "x-mlflow-timestamp", "x-mlflow-delivery-id"
TOLERANCE_SECONDS = 300
_SECONDS = re.compile(r"[0-9]{1,12}")


def mlflow_signature(secret: str, *, delivery_id: str, timestamp: str, body: bytes) -> str:
    """The signature MLflow sends for a delivery: `v1,<base64 HMAC-SHA256>`."""
    signed = f"{delivery_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def check_mlflow_signature(
    secret: str, *, headers: Mapping[str, str], body: bytes, now: float
) -> str:
    """The delivery's id, once its signature and timestamp check; else the refusal, saying why."""
    sent, timestamp, delivery = (headers.get(name, "") for name in (SIGNATURE, TIMESTAMP, DELIVERY))
    if not (sent and timestamp and delivery):
        raise MlflowSignatureMissingError(
            "send X-MLflow-Signature, X-MLflow-Timestamp and X-MLflow-Delivery-Id, as MLflow "
            "does for a webhook created with a secret"
        )
    if not _SECONDS.fullmatch(timestamp) or abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        raise MlflowSignatureInvalidError(
            "the delivery's timestamp is more than five minutes from now: a replay, or the "
            "two servers' clocks disagree"
        )
    expected = mlflow_signature(secret, delivery_id=delivery, timestamp=timestamp, body=body)
    if not sent.isascii() or not any(
        hmac.compare_digest(expected.encode(), given.encode()) for given in sent.split()
    ):
        raise MlflowSignatureInvalidError(
            "the signature does not check with MODELGOV_MLFLOW_WEBHOOK_SECRET: give the MLflow "
            "webhook the same secret"
        )
    return delivery


class MlflowWebhookReceiver:
    """Receives MLflow's deliveries for one modelgov store."""

    def __init__(self, governance: Governance, settings: Settings) -> None:
        self.secret = settings.mlflow_webhook_secret
        self.tracking_uri = settings.mlflow_tracking_uri
        self.bridge = Bridge(
            governance,
            alias_environments=parse_alias_environments(settings.mlflow_alias_environments),
        )

    def receive(self, *, headers: Mapping[str, str], body: bytes, now: float) -> dict[str, str]:
        if not self.secret:
            raise MlflowWebhookNotConfiguredError(
                "MODELGOV_MLFLOW_WEBHOOK_SECRET is not set: this server accepts no MLflow delivery"
            )
        delivery = check_mlflow_signature(self.secret, headers=headers, body=body, now=now)
        idempotency = self.bridge.idempotency
        seen = idempotency.request(
            principal=PRINCIPAL, key=f"mlflow-delivery:{delivery}"[:200],
            request_hash=hashlib.sha256(body).hexdigest(), answer=lambda _: _DUPLICATE,
        )  # fmt: skip
        if idempotency.answered(seen) is not None:
            return {"delivery": delivery, "outcome": "duplicate"}
        entity, action, data, at = _parsed(body)
        outcome = self._apply(entity, action, data, at)
        idempotency.answer_refusal(seen, _DUPLICATE)  # remembered once applied: a retry re-applies
        return {"delivery": delivery, "outcome": outcome}

    def _apply(self, entity: str, action: str, data: dict[str, Any], at: datetime) -> str:
        if (entity, action) == ("model_version", "created"):
            self._import(_text(data, "name"))
            return "imported"
        if entity == "model_version_alias" and action in ("created", "deleted"):
            alias = _text(data, "alias")
            version = _text(data, "version") if action == "created" else None
            self._matched(
                _text(data, "name"),
                lambda name: self.bridge.record_alias(
                    name,
                    alias,
                    self._alias_now(name, alias, version),
                    at=None if self.tracking_uri else at,  # as MLflow has it now, or as sent
                ),
            )
            return "recorded"
        if (entity, action) == ("model_version_tag", "set"):
            key = _text(data, "key")
            if key.startswith(OWN_TAGS):
                return "ignored"
            self._matched(
                _text(data, "name"),
                lambda name: self.bridge.record_tag(
                    name, _text(data, "version"), key, str(data.get("value", "")), at=at
                ),
            )
            return "recorded"
        return "ignored"

    def _alias_now(self, mlflow_name: str, alias: str, delivered: str | None) -> str | None:
        """Where the alias points in MLflow now (what the delivery says without a tracking URI)."""
        if not self.tracking_uri:
            return delivered
        try:
            return open_registry(self.tracking_uri).registered_model(mlflow_name).aliases.get(alias)
        except CommandFailedError as error:
            raise MlflowWebhookUnavailableError(str(error)) from None

    def _matched(self, mlflow_name: str, record: Any) -> None:
        """Record on the model; a model or version not imported yet is imported first."""
        _usable(mlflow_name)
        try:
            record(mlflow_name)
            return
        except MlflowNameClashError as clash:
            raise MlflowFactUnmatchedError(str(clash)) from None
        except CommandFailedError as unmatched:
            if not self.tracking_uri:
                raise MlflowFactUnmatchedError(
                    f"{unmatched}; set MODELGOV_MLFLOW_TRACKING_URI for the receiver to import it, "
                    "or run `modelgov mlflow import`"
                ) from None
        self._import(mlflow_name)
        try:
            record(mlflow_name)
        except CommandFailedError as unmatched:
            raise MlflowFactUnmatchedError(str(unmatched)) from None

    def _import(self, mlflow_name: str) -> None:
        if not self.tracking_uri:
            raise MlflowWebhookNotConfiguredError(
                "a new MLflow version is imported from MLflow itself (its artifact's digest): "
                "set MODELGOV_MLFLOW_TRACKING_URI"
            )
        _usable(mlflow_name)
        try:
            registry = open_registry(self.tracking_uri)
            facts = registry.registered_model(mlflow_name)
        except CommandFailedError as error:
            raise MlflowWebhookUnavailableError(str(error)) from None
        try:
            MlflowImport(
                self.bridge.governance, registry, alias_environments=self.bridge.alias_environments
            ).import_model(facts)
        except MlflowNameClashError as clash:
            raise MlflowFactUnmatchedError(str(clash)) from None


_DUPLICATE = StoredResponse(status=200, body='{"outcome": "duplicate"}', etag=None)


def _parsed(body: bytes) -> tuple[str, str, dict[str, Any], datetime]:
    try:
        payload = json.loads(body)
    except ValueError:
        raise InvalidValueError("body", "must be MLflow's webhook payload as JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        raise InvalidValueError("body", "must hold entity, action and data, as MLflow sends them")
    at = datetime.now(UTC)
    if payload.get("timestamp") is not None:
        try:
            at = datetime.fromisoformat(str(payload["timestamp"]))
            at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
        except (ValueError, OverflowError):
            raise InvalidValueError(
                "timestamp", "must be an ISO 8601 instant, as MLflow sends it"
            ) from None
    return str(payload.get("entity", "")), str(payload.get("action", "")), payload["data"], at


def _usable(mlflow_name: str) -> None:
    """Refuse (422) an MLflow model name that makes no modelgov name."""
    try:
        modelgov_name(mlflow_name)
    except CommandFailedError as unusable:
        raise InvalidValueError("data.name", str(unusable)) from None


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str | int) or not str(value):
        raise InvalidValueError(f"data.{key}", "must be a non-empty text")
    return str(value)
