"""Followers on PostgreSQL wake on a notification from the store's own schema, and stop promptly."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql as pgsql

from domain.commands import ReportCost
from infrastructure.db.sql import SqlRunner
from infrastructure.db.store import open_governance
from infrastructure.projections.event_signal import PostgresListener, channel_for
from infrastructure.projections.runner import ProjectionRunner, default_projections
from infrastructure.settings import Database
from tests.conftest import fresh_pg_schema, settings_for
from tests.factories import by, seed_app_model

pytestmark = pytest.mark.postgres
NEVER = 3600.0  # a poll interval no test waits out: only a notification can wake the follower
GENEROUS = 30.0


class ObservedListener(PostgresListener):
    """The real listener, which also says when it is listening and idle (nothing left to apply)."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.idle = threading.Event()

    def wait(self, stop: threading.Event, timeout: float) -> bool:
        if self._connection is not None:  # LISTEN is on, and the runner found nothing new since
            self.idle.set()
        woken = super().wait(stop, timeout)
        self.idle.clear()
        return woken


def _eventually(condition: Callable[[], bool], timeout: float = GENEROUS) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def other_schema() -> Iterator[str]:
    with fresh_pg_schema() as schema:
        yield schema


def test_a_follower_projects_an_event_written_elsewhere_long_before_its_poll_interval(
    pg_schema: str, tmp_path: Path
) -> None:
    settings = settings_for("postgres", tmp_path, pg_schema)
    follower_store, writer = open_governance(settings), open_governance(settings)
    seed_app_model(writer)
    sql = SqlRunner(settings.database)
    listener = ObservedListener(settings.database)
    runner = ProjectionRunner(follower_store, sql, default_projections(), signal=listener)
    stop = threading.Event()
    follower = threading.Thread(target=runner.run, args=(stop,), kwargs={"poll_seconds": NEVER})
    follower.start()
    try:
        assert listener.idle.wait(GENEROUS)
        assert runner.lag() == 0
        writer.handle(
            ReportCost(
                name="churn",
                period="2026-10",
                amount="12.50",
                currency="EUR",
                business_unit="Retail",
            ),
            by=by("bo"),
        )
        assert _eventually(lambda: runner.lag() == 0)
        assert runner.positions()["catalog"] == writer.recorder.max_notification_id()
    finally:
        stop.set()
        follower.join(timeout=5)
    assert not follower.is_alive()  # shut-down is prompt, whatever the poll interval
    runner.close()
    sql.close()
    writer.close()
    follower_store.close()


def test_writes_to_another_schema_do_not_wake_a_follower(
    pg_schema: str, other_schema: str, tmp_path: Path
) -> None:
    mine = settings_for("postgres", tmp_path / "mine", pg_schema)
    theirs = settings_for("postgres", tmp_path / "theirs", other_schema)
    assert channel_for(pg_schema) != channel_for(other_schema)
    listener, stop = PostgresListener(mine.database), threading.Event()
    assert listener.wait(stop, GENEROUS) is True  # connected and listening
    their_store, my_store = open_governance(theirs), open_governance(mine)
    seed_app_model(their_store)
    assert listener.wait(stop, 1.0) is False
    seed_app_model(my_store)
    assert listener.wait(stop, GENEROUS) is True
    listener.close()
    their_store.close()
    my_store.close()


def test_a_save_notifies_the_stores_own_channel_and_not_the_librarys(
    pg_schema: str, tmp_path: Path
) -> None:
    """The library would also NOTIFY a channel named after the events' table, which every schema
    of the database shares and nothing here listens to; modelgov's recorder leaves it out."""
    settings = settings_for("postgres", tmp_path, pg_schema)
    store = open_governance(settings)
    library_channel = store.recorder.channel_name  # type: ignore[attr-defined]
    assert library_channel != channel_for(pg_schema)
    with psycopg.connect(**settings.database.connect_kwargs(autocommit=True)) as listening:
        for channel in (library_channel, channel_for(pg_schema)):
            listening.execute(pgsql.SQL("LISTEN {}").format(pgsql.Identifier(channel)))
        seed_app_model(store)
        heard = {n.channel for n in listening.notifies(timeout=2.0)}
    store.close()
    assert heard == {channel_for(pg_schema)}
