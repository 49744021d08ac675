"""The sealer as a background thread of `modelgov serve`: it never takes the API down with it.

Transient failures (the database away, another sealer appending first) are retried with backoff;
an inconsistent ledger stops sealing, is logged critically and is reported by /readyz.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from application.ledger.sealer import LedgerInconsistentError
from infrastructure.errors import SettingsError
from infrastructure.ledger.online import Ledger

log = logging.getLogger("modelgov.ledger")
MAX_BACKOFF_SECONDS = 30.0


@dataclass
class Sealing:
    """A running sealer thread and what it last reported."""

    stop_event: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    state: str = "starting"
    problem: str = ""

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=15)


def start_sealing(ledger: Ledger) -> Sealing:
    sealing = Sealing()

    def run() -> None:
        backoff = 1.0
        while not sealing.stop_event.is_set():
            try:
                sealer = ledger.sealer()  # reloads and re-checks the stored log each time
                sealing.state, sealing.problem = "sealing", ""
                sealer.run(sealing.stop_event)
                return
            except SettingsError as error:
                sealing.state, sealing.problem = "off", str(error)
                log.warning("the ledger is not sealing: %s", error)
                return
            except LedgerInconsistentError as error:
                sealing.state, sealing.problem = "stopped", str(error)
                log.critical("the ledger sealer stopped: %s", error)
                return
            except Exception as error:  # the database away, another sealer first: retry
                sealing.state, sealing.problem = "retrying", f"{type(error).__name__}: {error}"
                log.warning("the ledger sealer will retry in %.0f s: %s", backoff, error)
                sealing.stop_event.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    sealing.thread = threading.Thread(target=run, name="modelgov-sealer", daemon=True)
    sealing.thread.start()
    return sealing
