"""The console's sign-in: a bearer token, given once, becomes a session cookie.

The cookie holds a random session id; the store keeps only its SHA-256 hash, with the token it was
opened with and the session's CSRF secret. A session ends at logout, after SESSION_LIFETIME, when
its token expires, or when its token is revoked: every request reads its row and its token's
(one indexed join), so a logout or a revocation holds at once in every process.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.instants import sortable_utc_text
from domain.roles import ACCESS, Access, in_words
from infrastructure.api.tokens import Principal, TokenStore
from infrastructure.db.schema import CONSOLE_SESSIONS
from infrastructure.db.sql import SqlRunner
from infrastructure.errors import RoleForbiddenError

SESSION_COOKIE = "modelgov_session"
LOGIN_COOKIE = "modelgov_login"  # the login form's CSRF secret, before there is a session
SESSION_LIFETIME = timedelta(hours=8)
_ID = 32  # bytes of randomness in a session id and a CSRF secret


@dataclass(frozen=True)
class Session:
    """A signed-in principal, and the CSRF secret its forms carry."""

    principal: Principal
    csrf: str

    def csrf_matches(self, sent: str | None) -> bool:
        return sent is not None and hmac.compare_digest(self.csrf.encode(), sent.encode())


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(_ID)


class SessionStore:
    """Opens, finds and ends console sessions."""

    def __init__(
        self,
        sql: SqlRunner,
        tokens: TokenStore,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sql = sql  # the table is created by infrastructure/db/schema.py
        self.tokens = tokens
        self.now = now

    def open(self, token: str) -> tuple[str, Session] | None:
        """A new session for a valid token: (the cookie's value, the session); None for a token
        that is unknown, malformed or revoked. An expired token raises TokenExpiredError, a token
        whose role reads no model (the metrics scraper's) RoleForbiddenError."""
        principal = self.tokens.authenticate(token)
        if principal is None:
            return None
        if principal.role not in ACCESS[Access.READ]:
            raise RoleForbiddenError(
                f"role {principal.role!r} may not {in_words(Access.READ)}, so it may not sign in "
                "to the console: sign in with a person's token"
            )
        session_id, csrf = new_secret(), new_secret()
        now = self.now()
        self.sql.execute(
            f"INSERT INTO {CONSOLE_SESSIONS} (session_hash, token_id, principal, role, csrf, "
            "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (_hash(session_id), principal.token_id, principal.name, principal.role, csrf,
             sortable_utc_text(now), sortable_utc_text(now + SESSION_LIFETIME)),
        )  # fmt: skip
        return session_id, Session(principal=principal, csrf=csrf)

    def find(self, session_id: str | None) -> Session | None:
        """The live session with this cookie value, or None (none, ended, expired, or its token
        revoked or expired)."""
        if not session_id or len(session_id) > 100:
            return None
        rows = self.sql.execute(
            f"SELECT s.principal, s.role, s.token_id, s.csrf, s.expires_at, s.ended_at, "
            f"t.revoked_at, t.expires_at FROM {CONSOLE_SESSIONS} s "
            "JOIN modelgov_tokens t ON t.token_id = s.token_id WHERE s.session_hash = ?",
            (_hash(session_id),),
        )
        if not rows:
            return None
        name, role, token_id, csrf, expires_at, ended_at, revoked_at, token_expires_at = rows[0]
        now = sortable_utc_text(self.now())
        if ended_at is not None or revoked_at is not None or expires_at <= now:
            return None
        if token_expires_at is not None and token_expires_at <= now:
            return None
        return Session(principal=Principal(name=name, role=role, token_id=token_id), csrf=csrf)

    def end(self, session_id: str | None) -> None:
        """Log out: the session's cookie no longer signs anyone in."""
        if not session_id or len(session_id) > 100:
            return
        self.sql.execute(
            f"UPDATE {CONSOLE_SESSIONS} SET ended_at = ? "
            "WHERE session_hash = ? AND ended_at IS NULL",
            (sortable_utc_text(self.now()), _hash(session_id)),
        )
