"""Bearer tokens: one principal and one role each, stored only as SHA-256 hashes, checked in constant
time; each may expire, and its last use is kept (at most once a minute, off the request path)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.instants import sortable_utc_text, utc_text
from domain.roles import ROLES
from infrastructure.db.sql import SqlRunner
from infrastructure.errors import CommandFailedError, TokenExpiredError

# Token roles: every role of the matrix but `policy`, which is the model's policy acting on its own.
TOKEN_ROLES = tuple(role for role in ROLES if role != "policy")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
_TOKEN = re.compile(r"^mg_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")

# How stale the recorded last use may be: one write per token per minute, not one per request.
LAST_USE_EVERY = timedelta(minutes=1)
# How long a checked token is taken on trust without reading its row again: a token revoked by
# another process stops working within this (at once in the process that revoked it).
TRUSTED_FOR = timedelta(seconds=1)

log = logging.getLogger("modelgov.tokens")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's principal and role."""

    name: str
    role: str
    token_id: str


@dataclass(frozen=True)
class _Checked:
    """A token found valid, and when: taken on trust for TRUSTED_FOR."""

    principal: Principal
    expires_at: datetime | None
    checked_at: datetime


@dataclass(frozen=True)
class TokenRecord:
    """A token as `tokens list` shows it: never the token itself; instants in UTC with `Z`."""

    token_id: str
    principal: str
    role: str
    created_at: str
    revoked_at: str | None
    expires_at: str | None
    last_used_at: str | None


def token_id_of(token: str) -> str | None:
    """The id inside a well-formed token (what `tokens list` shows), or None."""
    match = _TOKEN.match(token)
    return match.group(1) if match else None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _shown(stored: str | None) -> str | None:
    return None if stored is None else utc_text(datetime.fromisoformat(stored), timespec="seconds")


class TokenStore:
    """Creates, lists, revokes and checks bearer tokens."""

    def __init__(
        self, sql: SqlRunner, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.sql = sql  # the table is created by infrastructure/db/schema.py
        self.now = now
        self._last_use: dict[str, datetime] = {}  # uses noted by this process
        self._checked: dict[str, _Checked] = {}  # by the token's hash: tokens found valid lately
        self._lock = threading.Lock()
        self._writer: ThreadPoolExecutor | None = None

    def create(self, *, principal: str, role: str, expires_in: timedelta | None = None) -> str:
        """A new token for `principal` in `role`, valid for `expires_in` (or until revoked); the
        token itself is returned once and never stored."""
        if not _NAME.match(principal):
            raise CommandFailedError(
                f"principal name {principal!r} must be 1-100 letters, digits, '.', '_', '@' or '-'"
            )
        if role not in TOKEN_ROLES:
            raise CommandFailedError(f"role {role!r} is not one of: {', '.join(TOKEN_ROLES)}")
        token_id = secrets.token_hex(8)
        token = f"mg_{token_id}_{secrets.token_urlsafe(32)}"
        now = self.now()
        expires_at = sortable_utc_text(now + expires_in) if expires_in is not None else None
        self.sql.execute(
            "INSERT INTO modelgov_tokens "
            "(token_id, principal, role, token_hash, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (token_id, principal, role, _hash(token), sortable_utc_text(now), expires_at),
        )
        return token

    def list(self) -> list[TokenRecord]:
        rows = self.sql.execute(
            "SELECT token_id, principal, role, created_at, revoked_at, expires_at, last_used_at "
            "FROM modelgov_tokens ORDER BY created_at, token_id"
        )
        return [
            TokenRecord(
                token_id=token_id,
                principal=principal,
                role=role,
                created_at=str(_shown(created)),
                revoked_at=_shown(revoked),
                expires_at=_shown(expires),
                last_used_at=_shown(used),
            )
            for token_id, principal, role, created, revoked, expires, used in rows
        ]

    def revoke(self, token_id: str) -> None:
        rows = self.sql.execute(
            "SELECT revoked_at FROM modelgov_tokens WHERE token_id = ?", (token_id,)
        )
        if not rows:
            raise CommandFailedError(
                f"no token with id {token_id!r}; `modelgov tokens list` shows them"
            )
        if rows[0][0] is None:
            self.sql.execute(
                "UPDATE modelgov_tokens SET revoked_at = ? WHERE token_id = ?",
                (sortable_utc_text(self.now()), token_id),
            )
        self._checked = {k: v for k, v in self._checked.items() if v.principal.token_id != token_id}

    def authenticate(self, token: str) -> Principal | None:
        """The token's principal, or None for a malformed, unknown or revoked token.

        Raises TokenExpiredError for a token past its expiry, so that its holder learns why.
        """
        trusted = self.trusted(token)
        if trusted is not None:
            return trusted
        token_id = token_id_of(token)
        if token_id is None:
            return None
        rows = self.sql.execute(
            "SELECT principal, role, token_hash, revoked_at, expires_at, last_used_at "
            "FROM modelgov_tokens WHERE token_id = ?",
            (token_id,),
        )
        if not rows:
            return None
        principal, role, stored_hash, revoked_at, expires_at, last_used_at = rows[0]
        if not hmac.compare_digest(stored_hash, _hash(token)) or revoked_at is not None:
            return None
        now = self.now()
        if expires_at is not None and datetime.fromisoformat(expires_at) <= now:
            raise TokenExpiredError(
                f"the bearer token {token_id} expired at {_shown(expires_at)}; ask for a new one "
                "(`modelgov tokens create --expires-in 30d`) and send that instead"
            )
        self._note_use(token_id, now=now, recorded=last_used_at)
        found = Principal(name=principal, role=role, token_id=token_id)
        expiry = datetime.fromisoformat(expires_at) if expires_at is not None else None
        if len(self._checked) >= 10_000:  # a bound; the next checks read their rows again
            self._checked.clear()
        self._checked[_hash(token)] = _Checked(found, expiry, now)
        return found

    def trusted(self, token: str) -> Principal | None:
        """The principal of a token found valid within TRUSTED_FOR, without reading the store
        (None: read it). Raises TokenExpiredError past the token's expiry, as `authenticate`."""
        checked = self._checked.get(_hash(token))
        if checked is None:
            return None
        now = self.now()
        if now - checked.checked_at >= TRUSTED_FOR:
            return None
        if checked.expires_at is not None and checked.expires_at <= now:
            return None  # `authenticate` reads the row and says it expired
        self._note_use(checked.principal.token_id, now=now, recorded=None)
        return checked.principal

    def _note_use(self, token_id: str, *, now: datetime, recorded: str | None) -> None:
        """Record the token's use if the stored one is over a minute old; in the background, so
        a slow or failing write never holds up (or fails) the request."""
        with self._lock:
            stored = datetime.fromisoformat(recorded) if recorded else None
            noted = self._last_use.get(token_id)  # also when its write failed: retried in a minute
            if any(at is not None and now - at < LAST_USE_EVERY for at in (stored, noted)):
                return
            self._last_use[token_id] = now
            if self._writer is None:
                self._writer = ThreadPoolExecutor(1, thread_name_prefix="modelgov-token-use")
            self._writer.submit(self._record_use, token_id, now)

    def _record_use(self, token_id: str, now: datetime) -> None:
        try:
            self.sql.execute(
                "UPDATE modelgov_tokens SET last_used_at = ? WHERE token_id = ?",
                (sortable_utc_text(now), token_id),
            )
        except Exception as error:  # bookkeeping: logged, never raised into a request
            log.warning("could not record the last use of token %s: %s", token_id, error)

    def close(self) -> None:
        """Finish the last-use writes under way (the store can still be used afterwards)."""
        with self._lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            writer.shutdown(wait=True)
