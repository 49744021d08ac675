"""The MODELGOV_* values with a grammar of their own: a database URL, a list of hosts, a cipher key.

Plain functions raising SettingsError, used by `settings` and by commands given such a value directly
(`modelgov db init --owner-url`)."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse, urlsplit

from application.ledger.checkpoint import COSIGNATURE_V1, CheckpointError, NoteKey, parse_vkey
from infrastructure.errors import SettingsError


@dataclass(frozen=True)
class Database:
    """Where the events live: a SQLite file or a PostgreSQL database."""

    kind: str  # "sqlite" or "postgres"
    path: str = ""
    host: str = ""
    port: int = 5432
    user: str = ""
    password: str = field(default="", repr=False)
    dbname: str = ""
    schema: str = ""
    # Read commands (verify, history, reports...) open the store read-only: SQLite files with
    # mode=ro, PostgreSQL sessions with default_transaction_read_only.
    read_only: bool = False

    def describe(self) -> str:
        if self.kind == "sqlite":
            return f"SQLite file {self.path}"
        return f"PostgreSQL {self.user}@{self.host}:{self.port}/{self.dbname} (schema {self.schema or 'public'})"

    @property
    def pg_schema(self) -> str:
        return self.schema or "public"

    def connect_kwargs(self, **extra: Any) -> dict[str, Any]:
        """psycopg's connection arguments for this database (5 s to connect), plus `extra`."""
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "dbname": self.dbname,
            "connect_timeout": 5,
            **extra,
        }

    def sqlite_target(self) -> str:
        """What sqlite3.connect(..., uri=True) opens: the file, or a read-only URI to it."""
        if not self.read_only:
            return self.path
        return f"{Path(self.path).resolve().as_uri()}?mode=ro"


def parse_database_url(url: str, *, schema: str = "") -> Database:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative.db and sqlite:////absolute/path.db, as SQLAlchemy spells them
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not path:
            raise SettingsError(
                f"MODELGOV_DATABASE_URL {url!r} names no file; write sqlite:///path/to/file.db"
            )
        return Database(kind="sqlite", path=path)
    if parsed.scheme in ("postgresql", "postgres"):
        dbname = parsed.path.lstrip("/")
        if not parsed.hostname or not dbname:
            raise SettingsError(
                f"MODELGOV_DATABASE_URL {_redacted(url)!r} needs a host and a database: "
                "postgresql://user:password@host:5432/database"
            )
        try:
            port = parsed.port or 5432
        except ValueError:
            raise SettingsError(
                f"MODELGOV_DATABASE_URL {_redacted(url)!r} has a bad port"
            ) from None
        if schema and not schema.replace("_", "").isalnum():
            raise SettingsError(f"MODELGOV_PG_SCHEMA {schema!r} must be letters, digits and '_'")
        return Database(
            kind="postgres",
            host=parsed.hostname,
            port=port,
            user=unquote(parsed.username or "postgres"),
            password=unquote(parsed.password or ""),
            dbname=dbname,
            schema=schema,
        )
    raise SettingsError(
        f"MODELGOV_DATABASE_URL {_redacted(url)!r} is neither sqlite:///file.db nor "
        "postgresql://user:password@host:port/database"
    )


def parse_allow_hosts(value: str) -> tuple[tuple[str, int | None], ...]:
    """`hooks.internal, 127.0.0.1:8080, [::1]:9000` as (host, port) pairs; no port: any port."""
    allowed = []
    for entry in filter(None, (part.strip() for part in value.split(","))):
        bare_ipv6 = entry.count(":") > 1 and not entry.startswith("[")
        try:
            parsed = urlsplit(f"//[{entry}]" if bare_ipv6 else f"//{entry}")
            host, port = parsed.hostname, parsed.port
        except ValueError:  # a port that is not a number, or out of range
            host, port = None, None
        if not host or entry.endswith(":") or any(c in entry for c in "/@?#\\ \t"):
            raise SettingsError(
                f"MODELGOV_WEBHOOK_ALLOW_HOSTS entry {entry!r} is not a host or host:port; "
                "write e.g. hooks.internal, 127.0.0.1:8080, [::1]:9000"
            )
        allowed.append((host_key(host), port))
    return tuple(allowed)


def host_key(host: str) -> str:
    """A host as the allow-list compares it: lower case, an IP address in its canonical form."""
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        return host.lower()


def check_cipher_key(key: str, *, source: str) -> None:
    try:
        raw = base64.b64decode(key.encode(), validate=True)
    except (binascii.Error, ValueError):
        raise SettingsError(
            f"{source} is not valid base64; create one with `modelgov init`"
        ) from None
    if len(raw) not in (16, 24, 32):
        raise SettingsError(
            f"{source} decodes to {len(raw)} bytes; an AES key has 16, 24 or 32 bytes"
        )


def _redacted(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url


def parse_alias_environments(text: str) -> dict[str, str]:
    """`champion=production, challenger=staging` as a mapping (SettingsError if malformed)."""
    mapping = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        alias, sep, environment = (side.strip() for side in entry.partition("="))
        if not sep or not alias or not re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", environment):
            raise SettingsError(f"{entry!r} is not alias=environment (e.g. champion=production)")
        mapping[alias] = environment
    return mapping


@dataclass(frozen=True)
class WitnessEndpoint:
    """A witness the sealer asks to cosign: its submission URL and its key (a type 0x04 vkey)."""

    url: str
    key: NoteKey


def parse_witnesses(text: str) -> tuple[WitnessEndpoint, ...]:
    """`URL=VKEY,URL=VKEY`: each witness's submission prefix (http or https) and the vkey its
    cosignatures are checked with (`modelgov witness show` prints it)."""
    endpoints = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        url, separator, key_text = entry.partition("=")
        parts = urlsplit(url)
        if not separator or parts.scheme not in ("http", "https") or not parts.netloc:
            raise SettingsError(
                f"MODELGOV_WITNESSES: {entry[:80]!r} is not URL=VKEY (e.g. "
                "https://witness.example=witness.example/w1+1a2b3c4d+BA...; the vkey is what "
                "`modelgov witness show` prints)"
            )
        try:
            key = parse_vkey(key_text, COSIGNATURE_V1)
        except CheckpointError as error:
            raise SettingsError(f"MODELGOV_WITNESSES: the vkey of {url}: {error}") from None
        endpoints.append(WitnessEndpoint(url.rstrip("/"), key))
    return tuple(endpoints)
