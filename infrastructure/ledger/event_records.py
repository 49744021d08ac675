"""The stored events as the ledger reads them: straight from the events table, as stored."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from application.ledger.records import RecordFields, StoredRecord, as_record, record_from_row
from infrastructure.db.append_only import event_position, event_tables
from infrastructure.db.sql import SqlRunner


class EventRecords:
    """Reads the event table directly, exactly as stored, so that even a row a database
    administrator damaged (wrong types, garbage) is read and reported rather than crashing."""

    def __init__(self, sql: SqlRunner) -> None:
        self.sql = sql
        if sql.database.kind == "sqlite":
            columns = (
                "rowid, CAST(originator_id AS TEXT), originator_version, CAST(topic AS TEXT), "
                "CAST(state AS BLOB)"
            )
        else:
            columns = "notification_id, originator_id, originator_version, topic, state"
        self._table = event_tables(sql.database.kind)[0]
        self._key = event_position(sql.database.kind)
        self._select = f"SELECT {columns} FROM {self._table}"
        self._after = f"{self._select} WHERE {self._key} > ? ORDER BY {self._key} LIMIT ?"

    def records_after(self, notification_id: int, limit: int) -> list[StoredRecord]:
        return [as_record(row) for row in self.fields_after(notification_id, limit)]

    def fields_after(self, notification_id: int, limit: int) -> list[RecordFields]:
        """Rows as `records_after`'s, left as they came from PostgreSQL's binary protocol (a uuid
        column gives a UUID): verification hashes them as they are and builds a `StoredRecord`
        only for a row it doubts. SQLite keeps ids as text, so its rows become records here."""
        rows = self.sql.execute(self._after, (notification_id, limit), binary=True)
        if self.sql.database.kind == "sqlite":
            return [record_from_row(*row) for row in rows]
        return rows  # typed by the columns; a damaged one: see verify_ledger

    def count(self) -> int:
        """How many events are stored."""
        return int(self.sql.execute(f"SELECT COUNT(*) FROM {self._table}")[0][0])

    def records_of(self, model_id: UUID) -> list[StoredRecord]:
        """One model's stored events in revision order (the library's own key: no scan)."""
        by_model = f"{self._select} WHERE originator_id = ? ORDER BY originator_version"
        identifier = model_id.hex if self.sql.database.kind == "sqlite" else str(model_id)
        return [record_from_row(*row) for row in self.sql.execute(by_model, (identifier,))]

    def records_from(self, offset: int, limit: int) -> list[StoredRecord]:
        """The `offset`-th stored event on (0 is the first), whatever its notification id."""
        ordered = f"{self._select} ORDER BY {self._key} LIMIT ? OFFSET ?"
        return [record_from_row(*row) for row in self.sql.execute(ordered, (limit, offset))]


class RecordsByOffset(Protocol):
    def records_from(self, offset: int, limit: int) -> list[StoredRecord]: ...


class ForwardRecords:
    """`records_from` for reads that go forward through the table, as an export's entry bundles
    do: a read that starts where the last one ended continues after the last key read, instead
    of counting past every earlier row again with OFFSET (which made an export of a million
    events quadratic). On a table that does not change meanwhile, the rows are the same; any
    other read is `EventRecords.records_from`'s. One per export: it is not shared by threads."""

    def __init__(self, events: EventRecords) -> None:
        self.events = events
        self.next_offset, self.last_key = 0, -1

    def records_from(self, offset: int, limit: int) -> list[StoredRecord]:
        if offset == self.next_offset and offset > 0:
            records = self.events.records_after(self.last_key, limit)
        else:
            records = self.events.records_from(offset, limit)
        if records:
            self.last_key = records[-1].notification_id
        self.next_offset = offset + len(records)
        return records
