"""The sealer as a background job of `modelgov serve`: it never takes the API down with it, and it
seals in one process per store (the sealer's lease, infrastructure/leases.py).

Transient failures (the database away, another sealer appending first) are retried with backoff;
an inconsistent ledger stops sealing, is logged critically and is reported by /readyz.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from application.ledger.sealer import LedgerInconsistentError
from infrastructure.errors import SettingsError
from infrastructure.leases import Lease, start_leased
from infrastructure.ledger.online import Ledger

log = logging.getLogger("modelgov.ledger")
MAX_BACKOFF_SECONDS = 30.0


@dataclass
class Sealing:
    """The sealer job of this process and what it last reported ("waiting" while another process
    holds the sealer's lease)."""

    ledger: Ledger
    lease: Lease
    state: str = "waiting"
    problem: str = ""
    stopper: Callable[[], None] | None = None

    def stop(self) -> None:
        if self.stopper is not None:
            self.stopper()

    def run(self, stop: threading.Event) -> None:
        """Seal until `stop` is set (this process holds the lease meanwhile)."""
        backoff = 1.0
        try:
            while not stop.is_set():
                try:
                    sealer = self.ledger.sealer()  # reloads and re-checks the stored log each time
                    self.state, self.problem = "sealing", ""
                    sealer.run(stop)
                    return
                except SettingsError as error:
                    self.state, self.problem = "off", str(error)
                    log.warning("the ledger is not sealing: %s", error)
                    return
                except LedgerInconsistentError as error:
                    if stop.is_set() and not self.lease.held:
                        # The lease went to another sealer, which appended meanwhile: the last
                        # head of this one is not signed (the other signs its own).
                        log.warning("the sealer's lease went to another process: %s", error)
                        return
                    self.state, self.problem = "stopped", str(error)
                    log.critical("the ledger sealer stopped: %s", error)
                    return
                except Exception as error:  # the database away, another sealer first: retry
                    self.state, self.problem = "retrying", f"{type(error).__name__}: {error}"
                    log.warning("the ledger sealer will retry in %.0f s: %s", backoff, error)
                    stop.wait(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
        finally:
            if self.state in ("sealing", "retrying"):
                self.state = "waiting"


def start_sealing(ledger: Ledger, lease: Lease) -> Sealing:
    """Seal in this process whenever it holds `lease`; wait for it otherwise."""
    sealing = Sealing(ledger, lease)
    sealing.stopper = start_leased(lease, sealing.run, name="modelgov-sealer")
    return sealing
