"""The gauges read from the store at each scrape: how far each background job is behind, the
webhook queue, the leases and who holds them. The same whichever process answers the scrape."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from application.governance import Governance
from infrastructure.db.sql import SqlRunner
from infrastructure.leases import lease_rows
from infrastructure.ledger.storage import SqlLedgerTables
from infrastructure.monitoring.monitor import MonitorRunner
from infrastructure.projections.runner import ProjectionRunner
from infrastructure.webhooks.delivery import Deliverer

log = logging.getLogger("modelgov.metrics")


@dataclass(eq=False)  # hashable: a registry keys its collectors
class StoreGauges:
    """A prometheus_client collector: about a dozen small queries (the head read once for every
    lag), each on a primary key or an index, except the webhook counts, which read the waiting
    and failed rows (not delivered ones)."""

    governance: Governance
    sql: SqlRunner
    projections: ProjectionRunner
    outbox: ProjectionRunner
    monitor: MonitorRunner
    ledger: SqlLedgerTables
    deliverer: Deliverer

    def describe(self) -> list[Any]:
        return []  # read at each scrape only: registering must not query the store

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        started = time.perf_counter()
        try:
            found = list(self._read(GaugeMetricFamily))
        except Exception as error:  # a scrape must still say that the store is away
            log.warning("metrics: the store could not be read: %s", error)
            found = []
        yield GaugeMetricFamily(
            "modelgov_store_up", "1 when the store answered this scrape's queries, else 0",
            value=1 if found else 0,
        )  # fmt: skip
        yield from found
        yield GaugeMetricFamily(
            "modelgov_metrics_store_read_seconds", "Time this scrape spent reading the store",
            value=time.perf_counter() - started,
        )  # fmt: skip

    def _read(self, gauge: Any) -> Iterator[Any]:
        head = self.governance.recorder.max_notification_id() or 0
        yield gauge("modelgov_store_head_position", "Position of the newest event", value=head)
        yield gauge(
            "modelgov_projections_lag_events",
            "Events recorded but not yet applied by the slowest read model",
            value=self.projections.lag(head=head),
        )  # fmt: skip
        yield gauge(
            "modelgov_sealer_lag_events",
            "Events recorded but not yet under a signed tree head (positions; ids can have gaps)",
            value=max(0, head - self.ledger.sealed_notification_id()),
        )  # fmt: skip
        behind = gauge(
            "modelgov_monitoring_lag",
            "Monitoring's backlog: observations not yet judged, events not yet reacted to",
            labels=["input"],
        )  # fmt: skip
        for kind, count in self.monitor.lag(head=head).items():
            behind.add_metric([kind], count)
        yield behind
        yield gauge(
            "modelgov_webhook_outbox_lag_events",
            "Events not yet looked at for the webhooks they call for",
            value=self.outbox.lag(head=head),
        )  # fmt: skip
        backlog = self.deliverer.backlog()
        yield gauge(
            "modelgov_webhook_queue_depth", "Webhook deliveries waiting: due, or to be retried",
            value=backlog.pending,
        )  # fmt: skip
        yield gauge(
            "modelgov_webhook_deliveries_failed",
            "Webhook deliveries given up on after their last attempt (until redelivered)",
            value=backlog.failed,
        )  # fmt: skip
        yield gauge(
            "modelgov_webhook_delivery_lag_seconds",
            "Age of the event of the oldest waiting webhook delivery (0 when none waits)",
            value=self._age_of(backlog.oldest),
        )  # fmt: skip
        yield self._leases(gauge)

    def _age_of(self, position: int | None) -> float:
        if position is None:
            return 0.0
        feed = self.governance.event_feed(after=position - 1, limit=1)
        if not feed:
            return 0.0
        recorded: datetime = feed[0][2].timestamp
        return max(0.0, (datetime.now(UTC) - recorded).total_seconds())

    def _leases(self, gauge: Any) -> Any:
        held = gauge(
            "modelgov_lease_held",
            "1 while the holder's lease on a background job is unexpired, 0 once it has expired",
            labels=["name", "holder"],
        )  # fmt: skip
        for name, holder, live in lease_rows(self.sql):
            held.add_metric([name, holder], 1 if live else 0)
        return held
