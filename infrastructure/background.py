"""Background threads of `modelgov serve`: run a loop until stopped, starting it again after a failure."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


def follow(target: Callable[[threading.Event], None], name: str) -> Callable[[], None]:
    """Run `target(stop)` in a daemon thread, again after a failure (logged, 5 s later), until
    stopped; returns a function that stops it and waits."""
    stop = threading.Event()

    def forever(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                target(stop)
            except Exception:
                log.exception("%s failed; starting again in 5 s", name)
                stop.wait(5)

    thread = threading.Thread(target=forever, args=(stop,), name=name, daemon=True)
    thread.start()

    def stopper() -> None:
        stop.set()
        thread.join(timeout=10)

    return stopper
