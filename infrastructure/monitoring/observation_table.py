"""The observations table: production figures, append-only, beside (not inside) the event store.

Observations are many and small; only the transitions they cause become events. Rows carry a
serial `position` that the evaluator follows; times are stored as fixed-width UTC text
(`sortable_utc_text`) so that they sort the same on SQLite and PostgreSQL. On PostgreSQL the
table is partitioned by month: a batch makes the partitions its months lack before going in.

While this process's evaluator runs (`keeping`), the batches it stores are kept in memory too, for
the evaluator to judge as they are rather than read back: `after` answers from them when they
are what the table holds next. The table stays the record: what is not kept (stored by another
process, before a restart, or beyond FRESH_LIMIT) is read from it.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from application.monitoring.evaluation import Key
from application.monitoring.observations import Observation
from application.receipts import Receipt
from domain.instants import sortable_utc_text
from infrastructure.db.append_only import OBSERVATIONS_TABLE
from infrastructure.db.observation_partitions import make_months
from infrastructure.db.recorders import insert_statement, receipt_row
from infrastructure.db.sql import SqlRunner

TABLE = OBSERVATIONS_TABLE
COLUMNS = (
    "model", "version", "environment", "metric", "grp", "value", "sample_count", "observed_at",
    "received_at",
)  # fmt: skip
SERIES_PER_QUERY = 200  # keys read in one statement (6 parameters each, under both stores' limits)
_SELECT = f"SELECT position, {', '.join(COLUMNS[:-1])} FROM {TABLE}"
FRESH_LIMIT = 200_000  # observations kept in memory for the evaluator at most


class ObservationStore:
    """Appends batches of observations and reads them back in order, for the evaluator."""

    def __init__(self, sql: SqlRunner) -> None:
        self.sql = sql  # the table and its triggers are created by infrastructure/db/schema.py
        self._fresh: deque[Sequence[Observation]] = deque()  # stored batches, in stored order
        self._fresh_count = 0
        self._keepers = 0  # evaluators running in this process (a lost lease's may overlap)
        self._lock = threading.Lock()

    @property
    def keep(self) -> bool:
        """Whether stored batches are kept in memory for `after` (while an evaluator runs)."""
        return self._keepers > 0

    @contextmanager
    def keeping(self) -> Iterator[None]:
        """Keep stored batches for `after` while an evaluator runs; what is kept goes when the
        last one in this process stops (two may overlap while a lease changes hands)."""
        with self._lock:
            self._keepers += 1
        try:
            yield
        finally:
            with self._lock:
                self._keepers -= 1
                if not self._keepers:
                    self._fresh.clear()
                    self._fresh_count = 0

    def append(
        self,
        observations: Sequence[Observation],
        *,
        now: datetime | None = None,
        receipt: Receipt | None = None,
    ) -> None:
        """Store a batch in one transaction, with the receipt of the command that posted it;
        each observation takes its `position` (they are stored in the order given)."""
        received = sortable_utc_text(now or datetime.now(UTC))
        rows = [
            (o.model, o.version, o.environment, o.metric, o.group, o.value, o.sample_count,
             sortable_utc_text(o.observed_at), received)
            for o in observations
        ]  # fmt: skip
        database = self.sql.database
        last = self.sql.append_rows(
            TABLE,
            COLUMNS,
            rows,
            also=[(insert_statement(), receipt_row(receipt))] if receipt else (),
            before=[make_months(database.pg_schema, (row[7][:7] for row in rows))]
            if database.kind == "postgres"
            else (),
        )
        for position, observation in enumerate(observations, start=last - len(rows) + 1):
            observation.position = position
        with self._lock:  # committed: the evaluator may judge them from here
            if self._keepers and observations and self._fresh_count + len(rows) <= FRESH_LIMIT:
                # In stored order: another thread's batch, committed earlier, may come in later.
                place = len(self._fresh)
                while place and self._fresh[place - 1][0].position > last:
                    place -= 1
                self._fresh.insert(place, observations)
                self._fresh_count += len(rows)

    def after(self, position: int, *, limit: int) -> list[Observation]:
        """Observations stored after `position`, in stored order: those kept in memory when they
        come next, else read from the table."""
        following, kept_from = self._kept_after(position, limit)
        if following:
            return following
        # Read up to what is kept: the table holds no row between (a position below a kept batch
        # is settled by then: it was taken before that batch's append, which waited for it).
        below = "" if kept_from is None else f" AND position < {int(kept_from)}"
        rows = self.sql.execute(
            f"{_SELECT} WHERE position > ?{below} ORDER BY position LIMIT ?", (position, limit)
        )
        if rows or kept_from is None:
            return [_observation(row) for row in rows]
        return self._kept_after(kept_from - 1, limit)[0]  # positions skipped by a failed append

    def _kept_after(self, position: int, limit: int) -> tuple[list[Observation], int | None]:
        """The kept observations that follow `position` without a gap (at most `limit`), and
        where what is kept starts (None: nothing is kept past `position`)."""
        with self._lock:
            while self._fresh and self._fresh[0][-1].position <= position:
                self._fresh_count -= len(self._fresh.popleft())
            if not self._fresh:
                return [], None
            following: list[Observation] = []
            next_position = position + 1
            for batch in self._fresh:
                if batch[0].position > next_position or len(following) >= limit:
                    break
                following += batch[max(0, next_position - batch[0].position) :]
                next_position = batch[-1].position + 1
            return following[:limit], self._fresh[0][0].position

    def recent(self, model: str, key: Key, *, before: int, limit: int = 1_000) -> list[Observation]:
        """A key's latest plain (not per-group) observations stored before `before`, oldest first."""
        version, environment, _, metric = key
        rows = self.sql.execute(
            f"{_SELECT} WHERE model = ? AND version = ? AND environment = ? AND metric = ? "
            "AND grp IS NULL AND position < ? ORDER BY observed_at DESC, position DESC LIMIT ?",
            (model, version, environment, metric, before, limit),
        )
        return [_observation(row) for row in reversed(rows)]

    def latest_series(
        self,
        model: str,
        *,
        versions: Iterable[int],
        environments: Iterable[str],
        metrics: Iterable[str],
        limit: int = 500,
    ) -> dict[tuple[str, str], list[Observation]]:
        """Per (environment, metric), the latest `limit` plain observations of any of the versions,
        oldest first (for charts). Each version, environment and metric is an indexed top-`limit`
        read as in `recent`, many of them in one statement (`_latest_rows`): a model with
        hundreds of versions is one or a few statements, not one per key."""
        before = self.last_position() + 1
        keys = [(v, e, m) for e in environments for m in metrics for v in versions]
        series: dict[tuple[str, str], list[Observation]] = {}
        for row in self._latest_rows(model, keys, before=before, limit=limit):
            observation = _observation(row)
            series.setdefault((observation.environment, observation.metric), []).append(observation)
        for key, found in series.items():
            found.sort(key=lambda o: (o.observed_at, o.position))
            series[key] = found[-limit:]
        return series

    def _latest_rows(
        self, model: str, keys: list[tuple[int, str, str]], *, before: int, limit: int
    ) -> Iterator[tuple[Any, ...]]:
        """Each key's top-`limit` rows, as `recent` reads them: on PostgreSQL one statement (a
        lateral join over the keys); on SQLite SERIES_PER_QUERY keys joined by UNION ALL per
        statement (PostgreSQL plans such a union slowly: hundreds of ms for a thousand keys)."""
        where = (
            "model = ? AND version = {v} AND environment = {e} AND metric = {m} AND grp IS NULL "
            "AND position < ? ORDER BY observed_at DESC, position DESC LIMIT ?"
        )
        if self.sql.database.kind == "postgres":
            columns = ", ".join(f"o.{c}" for c in ("position", *COLUMNS[:-1]))
            inner = where.format(v="k.version", e="k.environment", m="k.metric")
            yield from self.sql.execute(
                f"SELECT {columns} FROM unnest(?::integer[], ?::text[], ?::text[]) "
                "AS k(version, environment, metric) CROSS JOIN LATERAL "
                f"({_SELECT} WHERE {inner}) AS o",
                [[k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys],
                 model, before, limit],
            )  # fmt: skip
            return
        member = f"SELECT * FROM ({_SELECT} WHERE {where.format(v='?', e='?', m='?')}) AS series_"
        for start in range(0, len(keys), SERIES_PER_QUERY):
            chunk = keys[start : start + SERIES_PER_QUERY]
            yield from self.sql.execute(
                " UNION ALL ".join(f"{member}{n}" for n in range(len(chunk))),
                [
                    value
                    for version, environment, metric in chunk
                    for value in (model, version, environment, metric, before, limit)
                ],
            )

    def last_position(self) -> int:
        rows = self.sql.execute(f"SELECT MAX(position) FROM {TABLE}")
        return int(rows[0][0] or 0)

    def last_observed(self) -> dict[str, dict[tuple[int, str], datetime]]:
        """Per model, the latest observation's time per version and environment (one query)."""
        rows = self.sql.execute(
            f"SELECT model, version, environment, MAX(observed_at) FROM {TABLE} "
            "GROUP BY model, version, environment"
        )
        latest: dict[str, dict[tuple[int, str], datetime]] = {}
        for model, version, environment, at in rows:
            latest.setdefault(str(model), {})[(int(version), str(environment))] = (
                datetime.fromisoformat(str(at))
            )
        return latest


def _observation(row: tuple[Any, ...]) -> Observation:
    # The columns come typed (text, integers, a float, NULL as None): only the time is parsed.
    position, model, version, environment, metric, group, value, samples, observed_at = row
    return Observation(
        model, version, environment, metric, value, datetime.fromisoformat(observed_at), group,
        samples, position,
    )  # fmt: skip
