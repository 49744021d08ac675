"""modelgov's log lines on stderr, as readable text or as JSON lines, each with the id of the
request it was logged in, if any (RequestContext sets it; threads of their own have none).

A line's structured fields are the `extra={...}` its logger was given (model, version,
tree_size, ...); uvicorn's access lines get theirs from access_log.QueryValuesRedacted.
"""

from __future__ import annotations

import json
import logging
import logging.config
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from domain.instants import utc_text

LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[str, ...] = get_args(LogFormat)
# The request whose handling is logging now: set by infrastructure/api/request_context.py.
REQUEST_ID: ContextVar[str | None] = ContextVar("modelgov_request_id", default=None)

# Attributes every LogRecord has; the others on a record are the fields its logger gave it.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName",
    "color_message",  # uvicorn's message with terminal colours: the message says the same
}  # fmt: skip


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    """The structured fields of a line: its logger's extras, and the request id if any."""
    found = {k: v for k, v in vars(record).items() if k not in _RECORD_ATTRIBUTES}
    request_id = REQUEST_ID.get()
    if request_id is not None:
        found.setdefault("request_id", request_id)
    return found


def _time(record: logging.LogRecord) -> str:
    return utc_text(datetime.fromtimestamp(record.created, UTC), timespec="milliseconds")


class TextLines(logging.Formatter):
    """`2026-12-04T13:05:00.123Z WARNING modelgov.monitoring: breach opened ... [request 3f2a]`."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_time(record)} {record.levelname} {record.name}: {record.getMessage()}"
        request_id = REQUEST_ID.get()
        if request_id is not None:
            line += f" [request {request_id}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the fields, and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **fields_of(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def logging_config(log_format: str) -> dict[str, Any]:
    """For logging.config.dictConfig (and uvicorn's `log_config`, applied in each worker):
    modelgov's loggers and uvicorn's, at INFO, in one format on stderr; other libraries'
    warnings and errors too, in the same format."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format {log_format!r}: one of {', '.join(LOG_FORMATS)}")
    formatter = TextLines if log_format == "text" else JsonLines
    handler = {"class": "logging.StreamHandler", "formatter": "lines", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"lines": {"()": f"{__name__}.{formatter.__name__}"}},
        "handlers": {"stderr": handler},
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            "modelgov": {"level": "INFO"},
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
    }


def configure_logging(log_format: str) -> None:
    """Log in `log_format` from now on, in this process."""
    logging.config.dictConfig(logging_config(log_format))
