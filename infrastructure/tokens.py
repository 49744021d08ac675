"""Bearer tokens: one principal and one role each, stored only as SHA-256 hashes, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.roles import ROLES
from infrastructure.errors import CommandFailedError
from infrastructure.sql import SqlRunner

# Token roles: every role of the matrix but `policy`, which is the model's policy acting on its own.
TOKEN_ROLES = tuple(role for role in ROLES if role != "policy")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
_TOKEN = re.compile(r"^mg_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's principal and role."""

    name: str
    role: str
    token_id: str


@dataclass(frozen=True)
class TokenRecord:
    token_id: str
    principal: str
    role: str
    created_at: str
    revoked_at: str | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    """Creates, lists, revokes and checks bearer tokens."""

    def __init__(self, sql: SqlRunner) -> None:
        self.sql = sql  # the table is created by infrastructure/schema.py

    def create(self, *, principal: str, role: str) -> str:
        """A new token for `principal` in `role`; the token itself is returned once and never stored."""
        if not _NAME.match(principal):
            raise CommandFailedError(
                f"principal name {principal!r} must be 1-100 letters, digits, '.', '_', '@' or '-'"
            )
        if role not in TOKEN_ROLES:
            raise CommandFailedError(f"role {role!r} is not one of: {', '.join(TOKEN_ROLES)}")
        token_id = secrets.token_hex(8)
        token = f"mg_{token_id}_{secrets.token_urlsafe(32)}"
        self.sql.execute(
            "INSERT INTO modelgov_tokens (token_id, principal, role, token_hash, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (token_id, principal, role, _hash(token), datetime.now(UTC).isoformat()),
        )
        return token

    def list(self) -> list[TokenRecord]:
        rows = self.sql.execute(
            "SELECT token_id, principal, role, created_at, revoked_at FROM modelgov_tokens "
            "ORDER BY created_at, token_id"
        )
        return [TokenRecord(*row) for row in rows]

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
                (datetime.now(UTC).isoformat(), token_id),
            )

    def authenticate(self, token: str) -> Principal | None:
        """The token's principal, or None for a malformed, unknown or revoked token."""
        match = _TOKEN.match(token)
        if not match:
            return None
        rows = self.sql.execute(
            "SELECT principal, role, token_hash, revoked_at FROM modelgov_tokens WHERE token_id = ?",
            (match.group(1),),
        )
        if not rows:
            return None
        principal, role, stored_hash, revoked_at = rows[0]
        if not hmac.compare_digest(stored_hash, _hash(token)) or revoked_at is not None:
            return None
        return Principal(name=principal, role=role, token_id=match.group(1))
