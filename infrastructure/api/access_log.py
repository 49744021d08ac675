"""The access log without query values: a filter such as `?owner=` can carry a person's name, and
the log is kept longer and read by more people than the database's personal data should be."""

from __future__ import annotations

import logging

ACCESS_LOGGER = "uvicorn.access"
REDACTED = "***"


def without_query_values(path: str) -> str:
    """`/v1/models?owner=Ann&limit=5` -> `/v1/models?owner=***&limit=***`."""
    base, mark, query = path.partition("?")
    if not mark:
        return path
    names = (part.partition("=")[0] for part in query.split("&"))
    return f"{base}?{'&'.join(f'{name}={REDACTED}' for name in names)}"


class QueryValuesRedacted(logging.Filter):
    """Rewrites uvicorn's access records: (client, method, path with query, HTTP version, status),
    and gives them as the line's fields too (what the JSON log lines show, infrastructure/logs.py)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            client, method, _, http_version, status = args
            path = without_query_values(args[2])
            record.args = (client, method, path, http_version, status)
            fields = {"client": client, "method": method, "path": path,
                      "http_version": http_version, "status": status}  # fmt: skip
            record.__dict__.update(fields)
        return True


def redact_access_log() -> None:
    """Install the filter on the access logger, once per process."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, QueryValuesRedacted) for existing in logger.filters):
        logger.addFilter(QueryValuesRedacted())
