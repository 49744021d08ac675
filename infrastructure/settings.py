"""Settings from MODELGOV_* environment variables, validated once at start by `get_settings()`."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote, urlparse, urlsplit

from infrastructure.errors import SettingsError
from infrastructure.fault_points import parse_fault_point

DEFAULT_DATABASE_URL = "sqlite:///modelgov.db"
DEFAULT_CIPHER_KEY_FILE = "modelgov.cipher.key"

KNOWN_SETTINGS = {
    "MODELGOV_DATABASE_URL": "where events are stored: sqlite:///path/to/file.db or "
    "postgresql://user:password@host:port/database",
    "MODELGOV_CIPHER_KEY": "base64 AES key (16, 24 or 32 bytes) that encrypts events at rest",
    "MODELGOV_CIPHER_KEY_FILE": f"file holding that key, if MODELGOV_CIPHER_KEY is unset "
    f"(default {DEFAULT_CIPHER_KEY_FILE})",
    "MODELGOV_SNAPSHOT_INTERVAL": "take a snapshot of a model every N events (default 100)",
    "MODELGOV_PG_POOL_SIZE": "PostgreSQL connection pool size (default 5)",
    "MODELGOV_MODEL_CACHE_SIZE": "models kept in memory between commands, caught up from the store "
    "on every read (default 1000; 0 turns the cache off)",
    "MODELGOV_PG_SCHEMA": "PostgreSQL schema for modelgov's tables (default public)",
    "MODELGOV_SIGNING_KEY_FILE": "Ed25519 private key that signs tree heads (default modelgov.signing.key)",
    "MODELGOV_SIGNING_KEY_PASSPHRASE": "passphrase of that key file, if it has one",
    "MODELGOV_SEAL_EVERY_EVENTS": "sign a tree head at least every N events (default 1000)",
    "MODELGOV_SEAL_EVERY_SECONDS": "and at least every N seconds of activity (default 5)",
    "MODELGOV_WEBHOOK_SECRET": "secret that signs webhook payloads (HMAC-SHA256)",
    "MODELGOV_WEBHOOK_SECRET_FILE": "file holding that secret, if MODELGOV_WEBHOOK_SECRET is unset; "
    "created on first use (default modelgov.webhook.key beside the signing key)",
    "MODELGOV_WEBHOOK_TIMEOUT_SECONDS": "how long a webhook receiver may take to answer (default 5)",
    "MODELGOV_WEBHOOK_MAX_ATTEMPTS": "attempts per delivery before it is marked failed (default 12)",
    "MODELGOV_WEBHOOK_ALLOW_HOSTS": "webhook hosts that may be reached at a loopback, private or "
    "link-local address: comma-separated host or host:port, matched exactly (default none)",
    "MODELGOV_HTTP_HEADER_TIMEOUT_SECONDS": "serve: how long a client may take to send a "
    "request's headers before the connection is closed (default 10)",
    "MODELGOV_HTTP_BODY_TIMEOUT_SECONDS": "serve: and then to send its body (default 30)",
    "MODELGOV_HTTP_MAX_CONNECTIONS": "serve: open connections at most; more are answered 503 "
    "and closed (default 512)",
    "MODELGOV_FAULT_POINT": "tests only: kill or fail the process at a named point of a command "
    "(POINT or POINT:ACTION, see infrastructure/fault_points.py); never set it in a deployment",
    "MODELGOV_REQUIRE_PG": "tests only: 1 makes PostgreSQL tests fail instead of skipping",
    "MODELGOV_TEST_PG_URL": "tests only: the PostgreSQL server the tests use",
}


@dataclass(frozen=True)
class Database:
    """Where the events live: a SQLite file or a PostgreSQL database."""

    kind: str  # "sqlite" or "postgres"
    path: str = ""
    host: str = ""
    port: int = 5432
    user: str = ""
    password: str = ""
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

    def sqlite_target(self) -> str:
        """What sqlite3.connect(..., uri=True) opens: the file, or a read-only URI to it."""
        if not self.read_only:
            return self.path
        return f"{Path(self.path).resolve().as_uri()}?mode=ro"


@dataclass(frozen=True)
class Settings:
    database: Database
    cipher_key: str | None
    cipher_key_file: Path
    snapshot_interval: int
    pg_pool_size: int
    model_cache_size: int = 1000
    signing_key_file: Path = Path("modelgov.signing.key")
    signing_key_passphrase: str | None = None
    seal_every_events: int = 1000
    seal_every_seconds: int = 5
    webhook_secret: str | None = None
    webhook_secret_file: Path = Path("modelgov.webhook.key")
    webhook_timeout_seconds: int = 5
    webhook_max_attempts: int = 12
    webhook_allow_hosts: tuple[tuple[str, int | None], ...] = ()  # (host, port or any port)
    http_header_timeout_seconds: int = 10
    http_body_timeout_seconds: int = 30
    http_max_connections: int = 512

    fault_point: str | None = None

    def for_reading(self) -> Settings:
        """The same settings with the store opened read-only (nothing created, nothing written)."""
        return replace(self, database=replace(self.database, read_only=True))


def get_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every MODELGOV_* variable; raise SettingsError naming the first bad one."""
    env = os.environ if environ is None else environ
    unknown = sorted(k for k in env if k.startswith("MODELGOV_") and k not in KNOWN_SETTINGS)
    if unknown:
        raise SettingsError(
            f"unknown setting {unknown[0]}; known settings are: {', '.join(sorted(KNOWN_SETTINGS))}"
        )
    key = env.get("MODELGOV_CIPHER_KEY")
    if key is not None:
        if not key.strip():
            raise SettingsError("MODELGOV_CIPHER_KEY is set but empty; unset it or give the key")
        check_cipher_key(key, source="MODELGOV_CIPHER_KEY")
    if env.get("MODELGOV_REQUIRE_PG", "0") not in ("0", "1"):
        raise SettingsError(
            f"MODELGOV_REQUIRE_PG must be 0 or 1; got {env['MODELGOV_REQUIRE_PG']!r}"
        )
    return Settings(
        database=parse_database_url(
            env.get("MODELGOV_DATABASE_URL", DEFAULT_DATABASE_URL),
            schema=env.get("MODELGOV_PG_SCHEMA", ""),
        ),
        cipher_key=key,
        cipher_key_file=Path(env.get("MODELGOV_CIPHER_KEY_FILE", DEFAULT_CIPHER_KEY_FILE)),
        snapshot_interval=_positive_int(env, "MODELGOV_SNAPSHOT_INTERVAL", 100),
        pg_pool_size=_positive_int(env, "MODELGOV_PG_POOL_SIZE", 5),
        model_cache_size=_positive_int(env, "MODELGOV_MODEL_CACHE_SIZE", 1000, minimum=0),
        signing_key_file=Path(env.get("MODELGOV_SIGNING_KEY_FILE", "modelgov.signing.key")),
        signing_key_passphrase=env.get("MODELGOV_SIGNING_KEY_PASSPHRASE") or None,
        seal_every_events=_positive_int(env, "MODELGOV_SEAL_EVERY_EVENTS", 1000),
        seal_every_seconds=_positive_int(env, "MODELGOV_SEAL_EVERY_SECONDS", 5),
        webhook_secret=env.get("MODELGOV_WEBHOOK_SECRET") or None,
        webhook_secret_file=Path(
            env.get("MODELGOV_WEBHOOK_SECRET_FILE")
            or Path(env.get("MODELGOV_SIGNING_KEY_FILE", "modelgov.signing.key")).with_name(
                "modelgov.webhook.key"
            )
        ),
        webhook_timeout_seconds=_positive_int(env, "MODELGOV_WEBHOOK_TIMEOUT_SECONDS", 5),
        webhook_max_attempts=_positive_int(env, "MODELGOV_WEBHOOK_MAX_ATTEMPTS", 12),
        webhook_allow_hosts=parse_allow_hosts(env.get("MODELGOV_WEBHOOK_ALLOW_HOSTS", "")),
        http_header_timeout_seconds=_positive_int(env, "MODELGOV_HTTP_HEADER_TIMEOUT_SECONDS", 10),
        http_body_timeout_seconds=_positive_int(env, "MODELGOV_HTTP_BODY_TIMEOUT_SECONDS", 30),
        http_max_connections=_positive_int(env, "MODELGOV_HTTP_MAX_CONNECTIONS", 512),
        fault_point=_fault_point(env.get("MODELGOV_FAULT_POINT")),
    )


def _fault_point(spec: str | None) -> str | None:
    if not spec:
        return None
    parse_fault_point(spec)  # refuses an unknown point at start, not at the first command
    return spec


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


def _positive_int(env: Mapping[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number; got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be {minimum} or more; got {value}")
    return value


def _redacted(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url
