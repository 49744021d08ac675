"""The client: the generated methods carried out over HTTP, with retries that record nothing twice."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx2

from modelgov_client._commands import OPERATIONS, Operations
from modelgov_client._errors import (
    ProblemError,
    RateLimited,
    UnmetGate,
    Unreachable,
    problem_error,
)
from modelgov_client._operations import Written


@dataclass(frozen=True)
class Retries:
    """How a call is sent again after a connection error or a 5xx: `attempts` in all, waiting
    `backoff * 2**n` seconds (at most `max_backoff`, less a random part of it) between them."""

    attempts: int = 4
    backoff: float = 0.25
    max_backoff: float = 8.0

    def pause(self, attempt: int) -> float:
        ceiling = min(self.max_backoff, self.backoff * 2**attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # jitter: retries do not march in step


def _wire(value: Any) -> Any:
    """A value as JSON carries it: instants in ISO 8601, money as its exact text."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _present(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _wire(value) for key, value in values.items() if value is not None}


class Client(Operations):
    """modelgov over HTTP: `Client("https://modelgov.example", token=...)`, then a method per route.

    Every write sends an `Idempotency-Key` (a new uuid4 unless given) and reuses it on its own
    retries, so a retried write is recorded once. With `read_your_writes` (the default) a read
    after a write sends `Modelgov-After-Position`, so it sees what this client wrote.
    """

    def __init__(
        self,
        server: str,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        retries: Retries | None = None,
        read_your_writes: bool = True,
        transport: httpx2.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx2.Client(
            base_url=server.rstrip("/"), headers=headers, timeout=timeout, transport=transport
        )
        self.retries = retries or Retries()
        self.read_your_writes = read_your_writes
        self.last_position: int | None = None  # of the latest write this client made
        self.last_etag: str | None = None  # of the latest read that carried one

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def unmet_gates(self, name: str, *, version: int, environment: str) -> list[UnmetGate]:
        """What stops `version` from being activated in `environment` now ([] when nothing does),
        judged by the server with the rules the activation applies (`GET .../gate`)."""
        answer = self.version_gate(name, version, environment=environment)
        return [UnmetGate(gate["gate"], gate["detail"]) for gate in answer["unmet_gates"]]

    # What the generated methods call.

    def _url(self, operation: str, path: Mapping[str, Any]) -> str:
        return OPERATIONS[operation].path.format(
            **{key: quote(str(value), safe="") for key, value in path.items()}
        )

    def _read(self, operation: str, path: dict[str, Any], query: dict[str, Any]) -> Any:
        headers = {}
        if self.read_your_writes and self.last_position is not None:
            headers["Modelgov-After-Position"] = str(self.last_position)
        response = self._send(
            "GET", self._url(operation, path), params=_present(query), headers=headers
        )
        if etag := response.headers.get("ETag"):
            self.last_etag = etag
        return _document(response)

    def _pages(self, operation: str, path: dict[str, Any], query: dict[str, Any]) -> Iterator[Any]:
        cursor = None
        while True:
            page = self._read(operation, path, {**query, "cursor": cursor})
            yield from page["items"]
            cursor = page.get("next_cursor")
            if cursor is None:
                return

    def _write(
        self,
        operation: str,
        path: dict[str, Any],
        query: dict[str, Any],
        body: dict[str, Any],
        *,
        if_match: str | int | None,
        idempotency_key: str | None,
    ) -> Written:
        key = idempotency_key or str(uuid.uuid4())
        headers = {"Idempotency-Key": key}
        if if_match is not None:
            headers["If-Match"] = f'"{if_match}"' if isinstance(if_match, int) else if_match
        response = self._send(
            "POST", self._url(operation, path), params=_present(query), headers=headers,
            json=_present(body),
        )  # fmt: skip
        document = _document(response)
        position = response.headers.get("Modelgov-Position")
        if position is not None and position.isdigit():
            self.last_position = max(int(position), self.last_position or 0)
        answer = document if isinstance(document, dict) else {}
        return Written(
            model=answer.get("model"),
            model_revision=answer.get("model_revision"),
            result=answer.get("result"),
            position=int(position) if position is not None and position.isdigit() else None,
            idempotency_key=key,
            replayed=response.headers.get("Idempotent-Replayed", "").lower() == "true",
            document=document,
        )

    def _send(self, method: str, url: str, **arguments: Any) -> httpx2.Response:
        """The request, sent again (the same, key included) after a connection error, a 5xx or a
        429 (after its Retry-After, at most `max_backoff`)."""
        for attempt in range(self.retries.attempts):
            last = attempt == self.retries.attempts - 1
            try:
                response = self.http.request(method, url, **arguments)
            except httpx2.TransportError as error:
                if last:
                    raise Unreachable(
                        f"no answer from {self.http.base_url} after {attempt + 1} attempt(s): "
                        f"{type(error).__name__}: {error}"
                    ) from None
            else:
                if (response.status_code < 500 and response.status_code != 429) or last:
                    return response
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    time.sleep(min(float(retry_after), self.retries.max_backoff))
                    continue
            time.sleep(self.retries.pause(attempt))
        raise AssertionError("unreachable: the last attempt returns or raises")


def _document(response: httpx2.Response) -> Any:
    """The answer's JSON (its bytes if it is not JSON); a refusal raised as its exception."""
    media = response.headers.get("Content-Type", "")
    parsed: Any = None
    if "json" in media:
        try:
            parsed = response.json()
        except json.JSONDecodeError:
            parsed = None
    if response.status_code >= 400:
        problem = parsed if isinstance(parsed, dict) else {"detail": response.text[:500]}
        problem.setdefault("status", response.status_code)
        error: ProblemError = problem_error(problem, status=response.status_code)
        if isinstance(error, RateLimited) and response.headers.get("Retry-After", "").isdigit():
            error.retry_after = float(response.headers["Retry-After"])
        raise error
    return parsed if "json" in media else response.content
