"""Idempotency-Key: a retried POST gets the original response and records nothing new."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from infrastructure.api.errors import IdempotencyKeyInFlightError, IdempotencyKeyReusedError
from infrastructure.sql import SqlRunner

# A request still "in flight" after this long belonged to a process that died: a retry may run.
IN_FLIGHT_TIMEOUT = timedelta(minutes=2)


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: str
    etag: str | None


class IdempotencyStore:
    """Remembers, per principal and key, the request's hash and the response it got."""

    def __init__(self, sql: SqlRunner) -> None:
        self.sql = sql  # the table is created by infrastructure/schema.py

    def claim(self, *, principal: str, key: str, request_hash: str) -> StoredResponse | None:
        """None when this request is the first with the key (go ahead); else the stored response."""
        try:
            self.sql.execute(
                "INSERT INTO modelgov_idempotency (principal, idempotency_key, request_hash, created_at) "
                "VALUES (?, ?, ?, ?)",
                (principal, key, request_hash, datetime.now(UTC).isoformat()),
            )
            return None
        except self.sql.integrity_errors:
            pass
        rows = self.sql.execute(
            "SELECT request_hash, status, body, etag, created_at FROM modelgov_idempotency "
            "WHERE principal = ? AND idempotency_key = ?",
            (principal, key),
        )
        stored_hash, status, body, etag, created_at = rows[0]
        if stored_hash != request_hash:
            raise IdempotencyKeyReusedError(
                f"Idempotency-Key {key!r} was already used for a different request; "
                "use a new key for a new request"
            )
        if status is None and self._take_over_abandoned(
            principal=principal, key=key, since=created_at
        ):
            return None
        if status is None:
            raise IdempotencyKeyInFlightError(
                f"a request with Idempotency-Key {key!r} is still being processed; retry shortly"
            )
        return StoredResponse(status=status, body=body, etag=etag)

    def _take_over_abandoned(self, *, principal: str, key: str, since: str) -> bool:
        """A claim never completed (its process died) is taken over after IN_FLIGHT_TIMEOUT."""
        if datetime.fromisoformat(since) > datetime.now(UTC) - IN_FLIGHT_TIMEOUT:
            return False
        taken = self.sql.execute(
            "UPDATE modelgov_idempotency SET created_at = ? WHERE principal = ? "
            "AND idempotency_key = ? AND status IS NULL AND created_at = ? RETURNING 1",
            (datetime.now(UTC).isoformat(), principal, key, since),
        )
        return bool(taken)

    def complete(self, *, principal: str, key: str, response: StoredResponse) -> None:
        self.sql.execute(
            "UPDATE modelgov_idempotency SET status = ?, body = ?, etag = ? "
            "WHERE principal = ? AND idempotency_key = ?",
            (response.status, response.body, response.etag, principal, key),
        )

    def release(self, *, principal: str, key: str) -> None:
        """Forget a claim whose request failed on our side, so that a retry runs again."""
        self.sql.execute(
            "DELETE FROM modelgov_idempotency WHERE principal = ? AND idempotency_key = ? "
            "AND status IS NULL",
            (principal, key),
        )
