"""The counters and the latency histogram each API process keeps, and the directory in which
several processes keep them so that a scrape of any one of them sums all (prometheus_client's
multiprocess mode).

prometheus_client chooses, once, when it is first imported, whether values live in this process's
memory or in files under $PROMETHEUS_MULTIPROC_DIR. So it is imported here only when an app is
built (`Instruments()`), never when this module is: `serve` calls `prepare_metrics_directory()`
first, and every API process it starts afterwards, forked or spawned, writes into that directory.
An app built without it (tests, one process embedded elsewhere) keeps its values in memory.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections import Counter as Tally
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infrastructure.errors import SettingsError

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

log = logging.getLogger("modelgov.metrics")

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Prometheus' text format 0.0.4, which every scraper reads (prometheus_client's
# CONTENT_TYPE_PLAIN_0_0_4; importing it here would import the library too early).
TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8"
# Seconds: from a cached admission check (about a millisecond) to a report rendered as PDF.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def prepare_metrics_directory(*, port: int, directory: Path | None = None) -> Path:
    """Make the directory the API processes keep their counters in, empty, and name it in
    $PROMETHEUS_MULTIPROC_DIR for the processes started after this call.

    `directory`, else the one $PROMETHEUS_MULTIPROC_DIR names, else `modelgov-metrics-<uid>-<port>`
    in the temporary directory: one per `serve` (two sharing one would empty each other's), the
    same again at its next start, so that nothing piles up. Emptied of earlier counts, which would
    be added to this run's (a `serve` stopped by a signal leaves them: uvicorn ends the process by
    the signal, and no exit handler runs)."""
    if directory is None and os.environ.get(MULTIPROCESS_ENV):
        directory = Path(os.environ[MULTIPROCESS_ENV])
    if directory is None:
        directory = Path(tempfile.gettempdir()) / f"modelgov-metrics-{os.getuid()}-{port}"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if directory.is_symlink() or directory.stat().st_uid != os.getuid():
        raise SettingsError(
            f"the metrics directory {directory} is not this user's own; remove it or name another "
            f"in {MULTIPROCESS_ENV}"
        )
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROCESS_ENV] = str(directory)
    return directory


def multiprocess() -> bool:
    """Whether this process keeps its values in the directory (else in memory)."""
    from prometheus_client import values

    return values.ValueClass is not values.MutexValue


def registry_of(collector: object) -> CollectorRegistry:
    """A registry of its own for a collector read at each scrape (StoreGauges)."""
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)  # type: ignore[arg-type]
    return registry


class Instruments:
    """What one API process counts: requests, their latency, problems answered, events appended,
    webhook attempts. Registered in a registry of their own (one per app: tests build many)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        if MULTIPROCESS_ENV in os.environ and not multiprocess():
            log.warning(
                "metrics: prometheus_client was imported before %s was set; /metrics shows this "
                "process's counts only", MULTIPROCESS_ENV,
            )  # fmt: skip
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "modelgov_http_requests", "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "modelgov_http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by method, route and status",
            ["method", "route", "status"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.problems = Counter(
            "modelgov_http_problems",
            "Answers with a problem+json body, by problem type and status: refusals (4xx) and "
            "faults (5xx)", ["type", "status"], registry=self.registry,
        )  # fmt: skip
        self.events = Counter(
            "modelgov_events_appended", "Events this service appended to the store, by event type",
            ["type"], registry=self.registry,
        )  # fmt: skip
        self.webhook_attempts = Counter(
            "modelgov_webhook_attempts",
            "Webhook delivery attempts, by result: delivered, or the class of the failure",
            ["result"], registry=self.registry,
        )  # fmt: skip

    def count_events(self, recordings: Sequence[Any]) -> None:
        """Governance.on_saved: the events of one save, counted by type."""
        for kind, count in Tally(type(r.domain_event).__name__ for r in recordings).items():
            self.events.labels(kind).inc(count)

    def count_webhook_attempt(self, result: str) -> None:
        self.webhook_attempts.labels(result).inc()

    def exposition(self, store: CollectorRegistry) -> bytes:
        """The text a scrape gets: the counts of every API process (or of this one) and the
        gauges of `store`, read now."""
        from prometheus_client import CollectorRegistry, generate_latest
        from prometheus_client.multiprocess import MultiProcessCollector

        counts = self.registry
        if multiprocess():
            counts = CollectorRegistry(auto_describe=False)
            MultiProcessCollector(counts)
        return bytes(generate_latest(counts)) + bytes(generate_latest(store))
