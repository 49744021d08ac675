"""What a webhook receiver gets: the event's JSON body (the same bytes on every attempt, without
the personal data the store keeps encrypted) and its HMAC-SHA256 signature; the signing secret."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from application.views import revision_fields
from domain.instants import utc_text
from infrastructure.files import create_once

log = logging.getLogger("modelgov.webhooks")

SIGNATURE_HEADER = "Modelgov-Signature"
EVENT_ID_HEADER = "Modelgov-Event-Id"
COMMON_FIELDS = ("actor", "role", "reason", "correlation_id", "effective_at")
PRIVATE_FIELDS = ("stakeholders",)  # personal data stays in the encrypted store


def sign(secret: bytes, body: bytes, *, timestamp: int) -> str:
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    secret: bytes, header: str, body: bytes, *, now: float | None = None, tolerance: int = 300
) -> bool:
    """What a receiver does: the signature matches and its timestamp is recent (no replays)."""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp=timestamp), header)


def load_secret(value: str | None, path: Path) -> bytes:
    """The signing secret: given, or kept in a file (created, owner-only, on first use)."""
    if value:
        return value.encode()
    if not path.exists() and create_once(path, (secrets.token_urlsafe(32) + "\n").encode()):
        log.info("created the webhook signing secret in %s", path)
    return path.read_text().strip().encode()


def payload(position: int, model: str, event: Any, severity: str, event_id: str) -> bytes:
    """The JSON body for an event: the same bytes on every attempt."""
    data = {
        name: value
        for name, value in vars(event).items()
        if name not in (*COMMON_FIELDS, *PRIVATE_FIELDS, "originator_id", "originator_version")
        and name != "timestamp"
    }
    body = {
        "id": event_id,
        "type": type(event).__name__,
        "model": model,
        "position": position,
        **revision_fields(event.originator_version),
        "severity": severity,
        "recorded_at": event.timestamp,
        "effective_at": event.effective_at,
        "actor": event.actor,
        "role": event.role,
        "reason": event.reason,
        "correlation_id": event.correlation_id,
        "data": data,
    }
    return json.dumps(body, default=_json_default, sort_keys=True, separators=(",", ":")).encode()


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, Decimal):
        return str(value)
    return str(value)
