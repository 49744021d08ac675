"""The sealer as a background thread of `modelgov serve` (or of `modelgov ledger seal --follow`)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from application.ledger.sealer import LedgerInconsistentError
from infrastructure.errors import SettingsError
from infrastructure.ledger import Ledger

log = logging.getLogger("modelgov.ledger")


@dataclass
class Sealing:
    thread: threading.Thread
    stop_event: threading.Event

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=15)


def start_sealing(ledger: Ledger) -> Sealing | None:
    """Start sealing in the background; None (with a warning) when there is no signing key."""
    try:
        sealer = ledger.sealer()
    except SettingsError as error:
        log.warning("the ledger is not sealing: %s", error)
        return None
    stop = threading.Event()

    def run() -> None:
        try:
            sealer.run(stop)
        except LedgerInconsistentError:
            log.critical("the ledger sealer stopped: the stored log is inconsistent", exc_info=True)

    thread = threading.Thread(target=run, name="modelgov-sealer", daemon=True)
    thread.start()
    return Sealing(thread=thread, stop_event=stop)
