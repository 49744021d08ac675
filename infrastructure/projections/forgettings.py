"""Watching the event log for a forgetting (`PersonForgotten`): what this process decrypted with
a forgotten person's keys, kept in memory, must go, whichever process recorded the forgetting and
whichever runner applied it (the forgetting process rebuilds the read models)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from application.governance import Governance
from domain.people import People


class Forgettings:
    """Looks once at each event position for a forgetting; `watched` is the position up to which
    this process has looked (None: not yet, so the first look only marks where the next starts)."""

    def __init__(self, governance: Governance) -> None:
        self.governance = governance
        self.watched: int | None = None

    def look(self, *, up_to: int) -> None:
        """Events another runner applied (another process, the forgetting command's rebuild)
        are never read by this one: look among them for a forgetting, by topic, once."""
        if (
            self.watched is not None
            and up_to > self.watched
            and self.governance.recorder.select_notifications(
                start=self.watched + 1, limit=1, stop=up_to, topics=(People.PersonForgotten.TOPIC,)
            )
        ):
            self.governance.drop_decrypted_copies()
        self.watched = max(self.watched or 0, up_to)

    def applied(self, notifications: Sequence[Any]) -> None:
        """This process applied `notifications` (ordered, not empty): a forgetting among those
        not looked at yet (another group of the runner may have read them) drops the copies."""
        seen = self.watched or 0
        if any(n.id > seen and n.topic == People.PersonForgotten.TOPIC for n in notifications):
            self.governance.drop_decrypted_copies()
        self.watched = max(seen, notifications[-1].id)

    def look_at_the_log(self) -> None:
        """`look` up to the newest event recorded: for a process that applies no events itself
        (`monitor run --follow`). Its first call marks where the next look starts: make it before
        the process reads any model."""
        self.look(up_to=self.governance.recorder.max_notification_id() or 0)

    def watch(self, stop: threading.Event, *, every_seconds: float = 1.0) -> None:
        """`look_at_the_log` every `every_seconds` until `stop`."""
        while not stop.wait(every_seconds):
            self.look_at_the_log()
