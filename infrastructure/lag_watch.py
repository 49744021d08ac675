"""A follower's lag against a threshold: one warning when it goes over, one line when it is back
under (MODELGOV_LAG_WARNING_EVENTS), never a line per loop."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_LAG_WARNING = 10_000  # the setting's default (infrastructure/settings.py)


@dataclass
class LagWatch:
    """Looks at `what`'s lag at most every `every_seconds` (a lag costs a query or two)."""

    what: str
    threshold: int
    log: logging.Logger
    every_seconds: float = 1.0
    clock: Callable[[], float] = time.monotonic
    over: bool = field(default=False, init=False)
    _looked: float | None = field(default=None, init=False)

    def look(self, lag: Callable[[], int]) -> None:
        """Measure the lag if it is time to, and log it if it crossed the threshold."""
        now = self.clock()
        if self._looked is not None and now - self._looked < self.every_seconds:
            return
        self._looked = now
        behind = lag()
        fields = {"follower": self.what, "lag": behind, "threshold": self.threshold}
        if not self.over and behind >= self.threshold:
            self.over = True
            self.log.warning(
                "lag over threshold: %s is %d behind (MODELGOV_LAG_WARNING_EVENTS is %d)",
                self.what, behind, self.threshold, extra=fields,
            )  # fmt: skip
        elif self.over and behind < self.threshold:
            self.over = False
            self.log.info(
                "lag back under threshold: %s is %d behind", self.what, behind, extra=fields
            )
