"""Times given on the command line: ISO 8601, UTC when no zone is given."""

from __future__ import annotations

from datetime import UTC, datetime

import typer


def parse_time(option: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not an ISO 8601 time such as 2026-11-01T09:30:00Z", param_hint=option
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
