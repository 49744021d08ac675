"""The stored events as the ledger reads them: straight from the events table, as stored."""

from __future__ import annotations

from uuid import UUID

from application.ledger.records import RecordFields, StoredRecord, as_record, record_from_row
from infrastructure.db.sql import SqlRunner


class EventRecords:
    """Reads the event table directly, exactly as stored, so that even a row a database
    administrator damaged (wrong types, garbage) is read and reported rather than crashing."""

    def __init__(self, sql: SqlRunner) -> None:
        self.sql = sql
        if sql.database.kind == "sqlite":
            self.statement = (
                "SELECT rowid, CAST(originator_id AS TEXT), originator_version, CAST(topic AS TEXT), "
                "CAST(state AS BLOB) FROM stored_events WHERE rowid > ? ORDER BY rowid LIMIT ?"
            )
        else:
            self.statement = (
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM modelgov_events WHERE notification_id > ? ORDER BY notification_id LIMIT ?"
            )

    def records_after(self, notification_id: int, limit: int) -> list[StoredRecord]:
        return [as_record(row) for row in self.fields_after(notification_id, limit)]

    def fields_after(self, notification_id: int, limit: int) -> list[RecordFields]:
        """Rows as `records_after`'s, left as they came from PostgreSQL's binary protocol (a uuid
        column gives a UUID): verification hashes them as they are and builds a `StoredRecord`
        only for a row it doubts. SQLite keeps ids as text, so its rows become records here."""
        rows = self.sql.execute(self.statement, (notification_id, limit), binary=True)
        if self.sql.database.kind == "sqlite":
            return [record_from_row(*row) for row in rows]
        return rows  # typed by the columns; a damaged one: see verify_ledger

    def count(self, *, after: int = -(2**62)) -> int:
        """How many events are stored after a notification id (all of them by default)."""
        counting = self.statement.replace(
            self.statement[: self.statement.index(" FROM ")], "SELECT COUNT(*)"
        ).partition(" ORDER BY ")[0]
        return int(self.sql.execute(counting, (after,))[0][0])

    def records_of(self, model_id: UUID) -> list[StoredRecord]:
        """One model's stored events in revision order (the library's own key: no scan)."""
        by_model = self.statement.replace(
            "rowid > ? ORDER BY rowid LIMIT ?", "originator_id = ? ORDER BY originator_version"
        ).replace(
            "notification_id > ? ORDER BY notification_id LIMIT ?",
            "originator_id = ? ORDER BY originator_version",
        )
        identifier = model_id.hex if self.sql.database.kind == "sqlite" else str(model_id)
        return [record_from_row(*row) for row in self.sql.execute(by_model, (identifier,))]

    def records_from(self, offset: int, limit: int) -> list[StoredRecord]:
        """The `offset`-th stored event on (0 is the first), whatever its notification id."""
        ordered = self.statement.replace(" WHERE rowid > ?", "").replace(
            " WHERE notification_id > ?", ""
        )
        rows = self.sql.execute(ordered + " OFFSET ?", (limit, offset))
        return [record_from_row(*row) for row in rows]
