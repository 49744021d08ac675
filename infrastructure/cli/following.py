"""The `--follow` commands' loop: a background job run under its lease until Ctrl-C, logging as
`serve` does (MODELGOV_LOG_FORMAT), so lease takeovers and the job's own lines are seen."""

from __future__ import annotations

import contextlib
import threading

from infrastructure.leases import Job, Lease, run_while_holding
from infrastructure.logs import configure_logging
from infrastructure.settings import get_settings


def follow_under_lease(lease: Lease, job: Job) -> None:
    """Run `job` whenever this process holds `lease` (waiting while another does), until Ctrl-C."""
    configure_logging(get_settings().log_format)
    with contextlib.suppress(KeyboardInterrupt):
        run_while_holding(lease, job, threading.Event())
