"""Webhook delivery: drain the outbox, sign each payload, retry with backoff, log every attempt.

At least once: a delivery is marked done only after the receiver answered 2xx, so a receiver may
see an event twice (after a timeout, say) and should deduplicate on `Modelgov-Event-Id`.
Each request carries

    Modelgov-Event-Id: <model id>:<event version>
    Modelgov-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>

Failures are retried after 1, 2, 4, ... seconds (capped at `max_delay`), up to `max_attempts`
(about 18 minutes with the defaults of `RetrySchedule`); then the delivery is marked failed, until `redeliver`.
Deliveries run in a small pool of threads of their own, one at a time per receiver, so a
receiver that is down or never answers holds one thread and delays only its own deliveries.
Redirects are not followed. A delivery reaches only public addresses, or hosts an admin names in
MODELGOV_WEBHOOK_ALLOW_HOSTS, checked where it connects (webhook_guard.py, webhook_transport.py);
attempts record how they failed as a class (refused, timeout, TLS, HTTP 302, blocked address ...).

The outbox holds references (the event's position, the URL), never the payload: the body is built
from the encrypted store at each attempt, so no one's name, e-mail or reason rests there in clear.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from application.governance import Governance
from application.projections.outbox import OUTBOX
from domain.instants import sortable_utc_text, utc_text
from infrastructure.db.sql import SqlRunner
from infrastructure.settings import Settings
from infrastructure.webhooks.guard import AllowList, Network, SystemNetwork
from infrastructure.webhooks.payloads import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    load_secret,
    payload,
    sign,
)
from infrastructure.webhooks.transport import (
    DELIVERY_FAILURES,
    failure_class,
    http_status,
    post,
    shown_failure,
)

log = logging.getLogger("modelgov.webhooks")

DELIVERIES = "modelgov_webhook_deliveries"


@dataclass(frozen=True)
class Due:
    position: int
    url: str
    event_id: str
    model: str
    severity: str
    attempts: int
    lease: str  # this claim's mark on the row; the outcome is written only while it holds


@dataclass(frozen=True)
class Backlog:
    """What the outbox holds undelivered (GET /metrics shows it)."""

    pending: int  # due now, or waiting for a retry
    failed: int  # given up on after max_attempts, until `redeliver`
    oldest: int | None  # the store position of the oldest pending delivery's event


@dataclass(frozen=True)
class RetrySchedule:
    """When a failed delivery is tried again: `base_delay` seconds after the first failure, twice
    as long after each next one (at most `max_delay`), until `max_attempts` attempts have failed."""

    max_attempts: int = 12
    base_delay: float = 1.0
    max_delay: float = 300.0

    def delay(self, attempts: int) -> float:
        """Seconds before attempt `attempts + 1`: 1, 2, 4, ... capped."""
        return float(min(self.max_delay, self.base_delay * 2 ** (attempts - 1)))

    def gives_up_after(self, attempt: int) -> bool:
        """Whether a delivery whose attempt `attempt` failed is marked failed (until `redeliver`)."""
        return attempt >= self.max_attempts


class Deliverer:
    """Delivers due outbox rows; `deliver_due()` once, or `run()` until stopped."""

    def __init__(
        self,
        governance: Governance,
        sql: SqlRunner,
        secret: bytes,
        *,
        timeout: float = 5.0,
        retries: RetrySchedule = RetrySchedule(),
        workers: int = 4,
        allow: AllowList | None = None,
        network: Network | None = None,
    ) -> None:
        self.governance, self.sql, self.secret = governance, sql, secret
        self.timeout, self.retries = timeout, retries
        self.allow = allow or AllowList()
        self.network = network or SystemNetwork()
        self.tls = ssl.create_default_context()  # verifies certificates and their hostnames
        self.workers = workers
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook")
        self._busy_urls: set[str] = set()  # one delivery per receiver at a time
        self._lock = threading.Lock()
        # Told each attempt's result once it is recorded: "delivered", or its failure's class.
        self.on_attempted: list[Callable[[str], None]] = []

    def claim(self) -> list[Due]:
        """Due rows for idle threads, one per receiver not already being delivered to, each
        leased to this deliverer for longer than one attempt can take.

        Rows for a receiver that is busy (slow, or not answering) wait in the table, not in a
        queue here: they hold no thread and cannot outlive a lease unsent.
        """
        with self._lock:
            idle = self.workers - len(self._busy_urls)
            busy = set(self._busy_urls)
        if idle <= 0:
            return []
        now = datetime.now(UTC)
        rows = self.sql.execute(
            f"SELECT position, url, event_id, model, severity, attempts, next_attempt_at "
            f"FROM {OUTBOX} WHERE status = 'pending' AND next_attempt_at <= ? "
            "ORDER BY next_attempt_at, position LIMIT ?",
            (sortable_utc_text(now), 200),
        )
        claimed: list[Due] = []
        for position, url, event_id, model, severity, attempts, due_at in rows:
            if len(claimed) == idle:
                break
            if url in busy:
                continue
            lease = sortable_utc_text(
                now + timedelta(seconds=self.timeout * 2 + 30, microseconds=len(claimed))
            )
            won = self.sql.execute(
                f"UPDATE {OUTBOX} SET next_attempt_at = ? WHERE position = ? AND url = ? "
                "AND status = 'pending' AND next_attempt_at = ? RETURNING position",
                (lease, position, url, due_at),
            )
            if won:
                busy.add(url)
                claimed.append(
                    Due(int(position), url, event_id, model, severity, int(attempts), lease)
                )
        with self._lock:
            self._busy_urls |= {due.url for due in claimed}
        return claimed

    def deliver_due(self, *, wait: bool = True) -> int:
        """Attempt the due deliveries in the pool; returns how many attempts were started.

        With `wait`, until nothing is due (each attempt finished); without, one round: slow
        receivers keep their threads while `run` claims the next round.
        """
        started = 0
        while claimed := self.claim():
            futures = [self.pool.submit(self._attempt_and_free, due) for due in claimed]
            started += len(claimed)
            if not wait:
                break
            for future in futures:
                future.result()
        return started

    def _attempt_and_free(self, due: Due) -> bool:
        try:
            return self.attempt(due)
        except Exception:  # logged here: a pool thread's exception would otherwise vanish
            log.exception("webhook %s to %s: the attempt failed", due.event_id, due.url)
            return False
        finally:
            with self._lock:
                self._busy_urls.discard(due.url)

    def attempt(self, due: Due) -> bool:
        feed = self.governance.event_feed(after=due.position - 1, limit=1)
        _, model, event = feed[0]
        body = payload(due.position, model, event, due.severity, due.event_id)
        attempt = due.attempts + 1
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "modelgov-webhooks/1",
            EVENT_ID_HEADER: due.event_id,
            "Modelgov-Delivery-Attempt": str(attempt),
            SIGNATURE_HEADER: sign(self.secret, body, timestamp=int(time.time())),
        }
        started = time.perf_counter()
        status: int | None = None
        error = ""
        detail = ""  # for the operator's log only: the text can describe the network behind the URL
        try:
            status = post(
                due.url, body, headers, timeout=self.timeout, network=self.network,
                allow=self.allow, tls=self.tls,
            )  # fmt: skip
            if not 200 <= status < 300:
                error = detail = http_status(status)
        except DELIVERY_FAILURES as failure:
            error, detail = failure_class(failure), f"{type(failure).__name__}: {failure}"[:500]
        elapsed_ms = (time.perf_counter() - started) * 1000
        now = datetime.now(UTC)
        with self.sql.transaction() as transaction:
            still_ours = transaction.execute(
                f"SELECT 1 FROM {OUTBOX} WHERE position = ? AND url = ? AND next_attempt_at = ?",
                (due.position, due.url, due.lease),
            )
            if not still_ours:  # the lease ran out mid-attempt and another claim took the row
                log.warning("webhook %s to %s: lease lost; the row's new claim decides",
                            due.event_id, due.url)  # fmt: skip
                return not error
            # Numbered on from the log, not from `attempt`: a redelivery starts `attempts` at 0.
            transaction.execute(
                f"INSERT INTO {DELIVERIES} (position, url, event_id, attempt, attempted_at, "
                "status_code, error, duration_ms) SELECT ?, ?, ?, COALESCE(MAX(attempt), 0) + 1, "
                f"?, ?, ?, ? FROM {DELIVERIES} WHERE position = ? AND url = ?",
                (due.position, due.url, due.event_id, sortable_utc_text(now), status, error or None,
                 round(elapsed_ms, 3), due.position, due.url),
            )  # fmt: skip
            if not error:
                transaction.execute(
                    f"UPDATE {OUTBOX} SET status = 'delivered', attempts = ?, delivered_at = ?, "
                    "last_error = NULL WHERE position = ? AND url = ?",
                    (attempt, sortable_utc_text(now), due.position, due.url),
                )
            elif self.retries.gives_up_after(attempt):
                transaction.execute(
                    f"UPDATE {OUTBOX} SET status = 'failed', attempts = ?, last_error = ? "
                    "WHERE position = ? AND url = ?",
                    (attempt, error, due.position, due.url),
                )
            else:
                retry = now + timedelta(seconds=self.retries.delay(attempt))
                transaction.execute(
                    f"UPDATE {OUTBOX} SET attempts = ?, last_error = ?, next_attempt_at = ? "
                    "WHERE position = ? AND url = ?",
                    (attempt, error, sortable_utc_text(retry), due.position, due.url),
                )
        for told in self.on_attempted:
            told(error or "delivered")
        if error:
            log.warning("webhook %s to %s, attempt %d: %s", due.event_id, due.url, attempt, detail)
        if error and self.retries.gives_up_after(attempt):
            log.error(
                "webhook given up: %s of %s to %s after %d attempts (%s); `modelgov webhooks "
                "redeliver %s` queues it again", due.event_id, due.model, due.url, attempt, error,
                due.model,
                extra={"model": due.model, "event_id": due.event_id, "url": due.url,
                       "position": due.position, "attempts": attempt, "error": error},
            )  # fmt: skip
        return not error

    def backlog(self) -> Backlog:
        """The deliveries waiting (due or waiting to retry) and those given up on, and the
        store position of the oldest waiting one: one query, over the waiting and failed rows
        only (the index on status; delivered rows are not read)."""
        rows = self.sql.execute(
            f"SELECT status, COUNT(*), MIN(position) FROM {OUTBOX} "
            "WHERE status IN ('pending', 'failed') GROUP BY status"
        )
        found = {str(status): (int(count), int(oldest)) for status, count, oldest in rows}
        pending, oldest = found.get("pending", (0, None))
        return Backlog(pending=pending, failed=found.get("failed", (0, 0))[0], oldest=oldest)

    def redeliver(self, model: str) -> int:
        """Queue a model's failed deliveries again, attempts from zero; returns how many."""
        rows = self.sql.execute(
            f"UPDATE {OUTBOX} SET status = 'pending', attempts = 0, next_attempt_at = '' "
            "WHERE model = ? AND status = 'failed' RETURNING position",
            (model,),
        )
        return len(rows)

    def deliveries(
        self, model: str, *, limit: int = 100, before: tuple[int, str] | None = None
    ) -> list[dict[str, Any]]:
        """The outbox rows of a model, newest first (after the row keyed `before`: its position
        and url), with their attempts and last failure's class."""
        position, url = before or (2**62, "")
        rows = self.sql.execute(
            f"SELECT position, url, event_id, event_type, severity, status, attempts, "
            f"delivered_at, last_error, next_attempt_at FROM {OUTBOX} WHERE model = ? "
            "AND (position < ? OR (position = ? AND url > ?)) ORDER BY position DESC, url LIMIT ?",
            (model, position, position, url, limit),
        )
        names = ("position", "url", "event_id", "event_type", "severity", "status", "attempts",
                 "delivered_at", "last_error", "next_attempt_at")  # fmt: skip
        found = [dict(zip(names, row, strict=True)) for row in rows]
        for delivery in found:
            delivery["last_error"] = shown_failure(delivery["last_error"])
            for column in ("delivered_at", "next_attempt_at"):  # '' for "due now"
                if delivery[column]:
                    delivery[column] = utc_text(datetime.fromisoformat(delivery[column]))
        return found

    def run(self, stop: threading.Event, *, poll_seconds: float = 0.5) -> None:
        while not stop.is_set():
            try:
                attempted = self.deliver_due(wait=False)
            except Exception:  # keep delivering after a database hiccup; say what happened
                log.exception("webhook delivery failed; retrying in %s s", poll_seconds)
                attempted = 0
            if attempted == 0:
                stop.wait(poll_seconds)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def open_deliverer(settings: Settings, governance: Governance, sql: SqlRunner) -> Deliverer:
    return Deliverer(
        governance,
        sql,
        load_secret(settings.webhook_secret, settings.webhook_secret_file),
        timeout=float(settings.webhook_timeout_seconds),
        retries=RetrySchedule(max_attempts=settings.webhook_max_attempts),
        allow=AllowList(settings.webhook_allow_hosts),
    )
