"""Background threads of `modelgov serve`: run a loop until stopped, starting it again after a failure."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("modelgov.background")
RESTART_PAUSE_SECONDS = 5.0


def follow(target: Callable[[threading.Event], None], name: str) -> Callable[[], None]:
    """Run `target(stop)` in a daemon thread, again after a failure (logged, 5 s later), until
    stopped; returns a function that stops it and waits."""
    stop = threading.Event()

    def forever(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                target(stop)
            except Exception:
                log.exception("%s failed; starting again in %g s", name, RESTART_PAUSE_SECONDS)
                stop.wait(RESTART_PAUSE_SECONDS)

    thread = threading.Thread(target=forever, args=(stop,), name=name, daemon=True)
    thread.start()

    def stopper() -> None:
        stop.set()
        thread.join(timeout=10)

    return stopper
