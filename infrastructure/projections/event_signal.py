"""Waking event followers when events are written: LISTEN/NOTIFY on PostgreSQL, a timer on SQLite.

On PostgreSQL a statement-level trigger on the events table notifies a channel named after the
schema, so a write from any process wakes every follower of that store, and only of that store
(the library's own NOTIFY uses one channel per table name, shared by every schema of a database).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Protocol

import psycopg
from psycopg import sql

from infrastructure.db.append_only import PG_EVENT_TABLES
from infrastructure.settings import Database

log = logging.getLogger("modelgov.projections")

PG_IDENTIFIER_MAX = 63


def channel_for(schema: str) -> str:
    """The store's notification channel: one per schema (hashed when the name would be too long)."""
    channel = f"modelgov_events_{schema}"
    if len(channel) > PG_IDENTIFIER_MAX:
        channel = "modelgov_events_" + hashlib.sha256(schema.encode()).hexdigest()[:32]
    return channel


def notify_trigger_statements(*, schema: str) -> list[str]:
    """Notify the store's channel after every statement that inserts events (on commit)."""
    events = PG_EVENT_TABLES[0]
    return [
        f"""CREATE OR REPLACE FUNCTION {schema}.modelgov_notify_events() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_notify('{channel_for(schema)}', ''); RETURN NULL; END $$""",
        f"""DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'modelgov_notify_events'
                         AND tgrelid = '{schema}.{events}'::regclass) THEN
            CREATE TRIGGER modelgov_notify_events AFTER INSERT ON {schema}.{events}
              FOR EACH STATEMENT EXECUTE FUNCTION {schema}.modelgov_notify_events();
          END IF;
        END $$""",
    ]


class EventSignal(Protocol):
    poll_seconds: float  # how often a follower looks for events without being woken

    def wait(self, stop: threading.Event, timeout: float) -> bool:
        """Block until new events may exist (True), `timeout` passes or `stop` is set (False)."""
        ...

    def wake(self) -> None:
        """Events were written in this process: end the current wait at once (True)."""
        ...

    def drain(self) -> None:
        """Forget the wake-ups received so far: the caller is about to look for events, and that
        look sees every event they were about (a wake-up comes after its events' commit)."""
        ...

    def close(self) -> None: ...


class _Woken:
    """A wake-up from this process's own writes (Governance.on_saved), kept until a wait sees it."""

    slice_seconds = 0.25  # how often a wait checks `stop`, so that shut-down stays prompt

    def __init__(self) -> None:
        self._woken = threading.Event()

    def wake(self) -> None:
        self._woken.set()

    def drain(self) -> None:
        self._woken.clear()

    def _take_wake(self) -> bool:
        if self._woken.is_set():
            self._woken.clear()
            return True
        return False

    def wait(self, stop: threading.Event, timeout: float) -> bool:
        """Look in slices until a slice finds events may exist, `timeout` passes or `stop` is set."""
        deadline = time.monotonic() + timeout
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self._slice(stop, min(self.slice_seconds, remaining), remaining):
                return True
        return False

    def _slice(self, stop: threading.Event, seconds: float, remaining: float) -> bool:
        """Wait at most `seconds` for events; `remaining` is what is left of the whole wait."""
        raise NotImplementedError


class Polling(_Woken):
    """SQLite cannot notify another process: wake up every `timeout` seconds and look, and at
    once when this process writes."""

    # A look costs a few small queries; often, because a write in another worker of the same
    # `serve` wakes nobody here, and a console page after a write waits for its follower.
    poll_seconds = 0.1

    def _slice(self, stop: threading.Event, seconds: float, remaining: float) -> bool:
        return self._woken.wait(seconds) and self._take_wake()

    def close(self) -> None:
        pass


class PostgresListener(_Woken):
    """LISTEN on the store's channel, on a connection of its own.

    The first wait connects and returns True at once, so that the caller looks for events after
    LISTEN took effect and misses none. While the connection is down, it polls (`timeout`) and
    reconnects; a reconnection also returns True, since notifications may have been lost meanwhile.
    """

    poll_seconds = 5.0  # the fallback: notifications wake it at once

    def __init__(self, database: Database) -> None:
        super().__init__()
        self.database = database
        self.channel = channel_for(database.schema or "public")
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None

    def _slice(self, stop: threading.Event, seconds: float, remaining: float) -> bool:
        if self._take_wake():
            return True
        try:
            if self._connection is None:
                self._connection = self._listen()
                return True
            if any(True for _ in self._connection.notifies(timeout=seconds, stop_after=1)):
                # Many writes may have notified while the caller was busy: one look covers all.
                for _ in self._connection.notifies(timeout=0):
                    pass
                return True
        except psycopg.Error as error:
            log.warning("event notifications unavailable (%s); polling meanwhile", error)
            self.close()
            stop.wait(min(remaining, 5.0))
        return False

    def drain(self) -> None:
        super().drain()
        if self._connection is None:
            return
        try:
            for _ in self._connection.notifies(timeout=0):
                pass
        except psycopg.Error:
            self.close()  # the next wait reconnects and has the caller look again

    def _listen(self) -> psycopg.Connection[tuple[object, ...]]:
        connection = psycopg.connect(**self.database.connect_kwargs(autocommit=True))
        connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
        return connection

    def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            connection.close()


def signal_for(database: Database) -> EventSignal:
    return Polling() if database.kind == "sqlite" else PostgresListener(database)
