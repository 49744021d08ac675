"""A one-row write that tells /readyz whether the store still takes writes (disk full, read-only)."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.instants import sortable_utc_text
from infrastructure.db.faults import one_line, store_fault
from infrastructure.db.sql import SqlRunner

# One statement that writes whether or not the row exists yet: nothing is written at start-up,
# so a server can start (and say it is not ready) on a store that takes no writes.
_PROBE = (
    "INSERT INTO modelgov_write_probe (id, probed_at) VALUES (1, ?) "
    "ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at"
)


class WriteProbe:
    """Writes one small row on request: it fails when the store refuses writes (read-only file or
    server, no privilege) or has no room for it; a larger write may still fail after it passed."""

    def __init__(self, sql: SqlRunner) -> None:
        self.sql = sql  # the table is created by infrastructure/db/schema.py

    def problem(self) -> str | None:
        """None when a write reaches the store; otherwise what stops it, in one line."""
        try:
            self.sql.execute(_PROBE, (sortable_utc_text(datetime.now(UTC)),))
        except Exception as error:  # whatever stops the write makes the process not ready
            fault = store_fault(error, where=self.sql.database.describe())
            return str(fault) if fault is not None else one_line(error)
        return None
