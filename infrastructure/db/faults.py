"""What went wrong with the store, in one line: unreachable, or reachable but not writable.

The event store library, psycopg and sqlite3 raise their own errors, often one wrapped in another;
`store_fault` looks through the chain for the database's own and says what it means and what to do.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator

import psycopg

from infrastructure.errors import StoreNotWritableError, StoreUnavailableError

# sqlite3 error names (Python 3.11+) that mean the file cannot be written, with what to do.
_SQLITE_NOT_WRITABLE = {
    "SQLITE_FULL": "free disk space, then run it again",
    "SQLITE_READONLY": "make the file and its directory writable, or point MODELGOV_DATABASE_URL "
    "at a writable path",
    "SQLITE_CANTOPEN": "check that the directory exists and is writable, or point "
    "MODELGOV_DATABASE_URL at a writable path",
    "SQLITE_PERM": "check the file's permissions",
    "SQLITE_IOERR": "check free disk space and the disk itself",
}
# OS errors (errno) that mean "cannot write here".
NOT_WRITABLE_ERRNOS = frozenset(
    {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
)


def store_fault(error: BaseException, *, where: str) -> StoreUnavailableError | None:
    """The store fault behind `error`, or None when the chain holds no database error."""
    for cause in _chain(error):
        if isinstance(cause, sqlite3.Error):
            name = getattr(cause, "sqlite_errorname", "")
            for prefix, advice in _SQLITE_NOT_WRITABLE.items():
                if name.startswith(prefix):
                    return StoreNotWritableError(
                        f"cannot write to {where}: {one_line(cause)} ({name}); {advice}"
                    )
        if isinstance(cause, psycopg.Error):
            return _postgres_fault(cause, where=where)
        if isinstance(cause, StoreUnavailableError):
            return cause
    return None


def _postgres_fault(error: psycopg.Error, *, where: str) -> StoreUnavailableError | None:
    text = one_line(error)
    if isinstance(error, psycopg.errors.DiskFull):
        return StoreNotWritableError(
            f"cannot write to {where}: {text}; free disk space on the database server"
        )
    if isinstance(error, psycopg.errors.ReadOnlySqlTransaction):
        return StoreNotWritableError(
            f"cannot write to {where}: {text}; point MODELGOV_DATABASE_URL at the primary, "
            "not a read-only replica"
        )
    if isinstance(error, psycopg.errors.InsufficientPrivilege):
        return StoreNotWritableError(
            f"cannot write to {where}: {text}; grant the database user the privileges "
            "modelgov's tables need"
        )
    if isinstance(error, psycopg.OperationalError):  # refused, timed out, shut down, no login
        return StoreUnavailableError(
            f"cannot reach {where}: {text}; check that PostgreSQL is running and that "
            "MODELGOV_DATABASE_URL names it (host, port, user, password)"
        )
    return None


def not_writable_reason(error: OSError) -> str:
    """Why the OS refused to create or write a file, naming it."""
    if error.errno == errno.EEXIST:  # mkdir met a file where a directory must be
        return f"{error.filename} is a file, not a directory"
    if error.errno == errno.ENOTDIR:
        return f"cannot make the directory {error.filename}: part of that path is a file"
    return f"{error.strerror or one_line(error)}: {error.filename}"


def missing_table(error: BaseException) -> str | None:
    """The message of a missing table behind `error` (a store made by an earlier release, or one
    whose read models were never built), or None."""
    for cause in _chain(error):
        if isinstance(cause, sqlite3.OperationalError) and "no such table" in str(cause):
            return one_line(cause)
        if isinstance(cause, psycopg.errors.UndefinedTable):
            return one_line(cause)
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and the errors it was raised from or while handling, each once."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def one_line(error: BaseException) -> str:
    """The error's message on one line (psycopg's span several, with tab-indented hints)."""
    return "; ".join(part.strip() for part in str(error).splitlines() if part.strip()) or repr(
        error
    )
