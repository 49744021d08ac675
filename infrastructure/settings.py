"""Settings from MODELGOV_* environment variables (pydantic-settings), validated once at start by
`get_settings()`; the values with a grammar of their own are parsed in `setting_values`."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict

from application.ledger.checkpoint import CheckpointError, check_name
from infrastructure.db.fault_points import parse_fault_point
from infrastructure.errors import SettingsError
from infrastructure.lag_watch import DEFAULT_LAG_WARNING
from infrastructure.logs import LogFormat
from infrastructure.setting_values import (
    Database,
    check_cipher_key,
    parse_alias_environments,
    parse_allow_hosts,
    parse_database_url,
    parse_witnesses,
)

PREFIX = "MODELGOV_"
DEFAULT_DATABASE_URL = "sqlite:///modelgov.db"
DEFAULT_CIPHER_KEY_FILE = "modelgov.cipher.key"
AllowedHosts = tuple[tuple[str, int | None], ...]  # (host, port or None for any port)


class Settings(BaseSettings):
    """Every MODELGOV_* setting, parsed; one immutable value passed to whatever needs it.

    The description of each field is the help `modelgov settings` prints, which adds the default
    when the description does not speak of one (`_help`). A copy with changes:
    `settings.model_copy(update={...})` (not validated: for tests and for `for_reading`)."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, frozen=True, validate_by_name=True)

    # Before the database: its validator puts the schema into the Database it builds.
    pg_schema: str = Field(
        "", description="PostgreSQL schema for modelgov's tables (default public)"
    )
    database: Annotated[Database, NoDecode] = Field(
        default_factory=lambda: parse_database_url(DEFAULT_DATABASE_URL),
        validation_alias=f"{PREFIX}DATABASE_URL",
        description="where events are stored: sqlite:///path/to/file.db or "
        "postgresql://user:password@host:port/database",
    )
    cipher_key: str | None = Field(
        None,
        repr=False,
        description="base64 AES key (16, 24 or 32 bytes) that encrypts events at rest",
    )
    cipher_key_file: Path = Field(
        Path(DEFAULT_CIPHER_KEY_FILE),
        description="file holding that key, if MODELGOV_CIPHER_KEY is unset",
    )
    snapshot_interval: int = Field(
        100, ge=1, description="take a snapshot of a model every N events"
    )
    pg_pool_size: int = Field(5, ge=1, description="PostgreSQL connection pool size")
    model_cache_size: int = Field(
        1000,
        ge=0,
        description="models kept in memory between commands, caught up from the store "
        "on every read (default 1000; 0 turns the cache off)",
    )
    signing_key_file: Path = Field(
        Path("modelgov.signing.key"),
        description="Ed25519 private key that signs tree heads",
    )
    signing_key_passphrase: str | None = Field(
        None, repr=False, description="passphrase of that key file, if it has one"
    )
    ledger_origin: str = Field(
        "modelgov.localhost/ledger",
        description="the ledger's name in its C2SP checkpoints (their first line and note key "
        "name): a URL without scheme, no spaces, no '+'; keep it for the log's life",
    )
    seal_every_events: int = Field(
        1000, ge=1, description="sign a tree head at least every N events"
    )
    seal_every_seconds: int = Field(5, ge=1, description="and at least every N seconds of activity")
    witnesses: str = Field(
        "",
        description="witnesses the sealer asks to cosign each checkpoint (C2SP tlog-witness), "
        "comma-separated URL=VKEY: the witness's URL and the vkey `modelgov witness show` prints "
        "(default none)",
    )
    webhook_secret: str | None = Field(
        None, repr=False, description="secret that signs webhook payloads (HMAC-SHA256)"
    )
    webhook_secret_file: Path = Field(
        default_factory=lambda earlier: _beside_the_signing_key(earlier),
        description="file holding that secret, if MODELGOV_WEBHOOK_SECRET is unset; "
        "created on first use (default modelgov.webhook.key beside the signing key)",
    )
    webhook_timeout_seconds: int = Field(
        5, ge=1, description="how long a webhook receiver may take to answer"
    )
    webhook_max_attempts: int = Field(
        12, ge=1, description="attempts per delivery before it is marked failed"
    )
    webhook_allow_hosts: Annotated[AllowedHosts, NoDecode] = Field(
        (),
        description="webhook hosts that may be reached at a loopback, private or "
        "link-local address: comma-separated host or host:port, matched exactly (default none)",
    )
    mlflow_webhook_secret: str | None = Field(
        None,
        repr=False,
        description="the secret of the MLflow webhook that posts to "
        "/v1/integrations/mlflow/webhook: its HMAC signature is checked with it (unset: the "
        "receiver refuses every delivery)",
    )
    mlflow_tracking_uri: str | None = Field(
        None,
        description="the MLflow tracking server the webhook receiver reads a new version's run "
        "and artifact from (http(s)://host:port); unset: model_version.created is refused",
    )
    mlflow_alias_environments: str = Field(
        "production=production,champion=production,staging=staging,challenger=staging",
        description="which environment each MLflow alias puts a version in, as "
        "alias=environment pairs, comma-separated",
    )
    http_header_timeout_seconds: int = Field(
        10,
        ge=1,
        description="serve: how long a client may take to send a "
        "request's headers before the connection is closed",
    )
    http_body_timeout_seconds: int = Field(30, ge=1, description="serve: and then to send its body")
    http_max_connections: int = Field(
        512,
        ge=1,
        description="serve: open connections at most; more are answered 503 and closed",
    )
    read_wait_seconds: float = Field(
        5.0,
        gt=0,
        le=60,
        description="how long a read sent with Modelgov-After-Position waits for the read "
        "models to reach that position before answering 503 read_model_behind",
    )
    rate_limit: Literal["auto", "on", "off"] = Field(
        "auto",
        description="per-token rate limits of the HTTP API (per process): auto (default) is off "
        "when serving on 127.0.0.1, ::1 or localhost and on otherwise; on; off",
    )
    rate_limit_per_second: float = Field(
        20.0, gt=0, description="requests a token may send per second, sustained"
    )
    rate_limit_burst: int = Field(
        100, ge=1, description="requests a token may send at once, above that rate"
    )
    log_format: LogFormat = Field(
        "text",
        description="serve: its log lines on stderr as text (default) or as JSON lines "
        "(`serve --log-format` overrides it)",
    )
    lag_warning_events: int = Field(
        DEFAULT_LAG_WARNING,
        ge=1,
        description="serve: log a warning when the read models or monitoring fall this many "
        "events (or observations) behind, and a line when they are back under",
    )
    fault_point: str | None = Field(
        None,
        description="tests only: kill or fail the process at a named point of a command "
        "(POINT or POINT:ACTION, see infrastructure/db/fault_points.py); never set it in a deployment",
    )

    @field_validator("database", mode="before")
    @classmethod
    def _database_from_url(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str):
            return value
        return parse_database_url(value, schema=info.data.get("pg_schema", ""))

    @field_validator("ledger_origin")
    @classmethod
    def _origin_is_a_note_name(cls, origin: str) -> str:
        try:
            return check_name(origin)
        except CheckpointError as error:
            raise SettingsError(f"MODELGOV_LEDGER_ORIGIN: {error}") from None

    @field_validator("cipher_key")
    @classmethod
    def _cipher_key_is_an_aes_key(cls, key: str | None) -> str | None:
        if key is not None:
            if not key.strip():
                raise SettingsError(
                    "MODELGOV_CIPHER_KEY is set but empty; unset it or give the key"
                )
            check_cipher_key(key, source="MODELGOV_CIPHER_KEY")
        return key

    @field_validator("cipher_key_file", "signing_key_file", mode="before")
    @classmethod
    def _names_a_file(cls, value: Any, info: ValidationInfo) -> Any:
        if value == "":
            name = _variable(str(info.field_name))
            raise SettingsError(f"{name} is set but empty; unset it or name the file")
        return value

    @field_validator("witnesses")
    @classmethod
    def _witness_entries(cls, value: str) -> str:
        parse_witnesses(value)  # refused at start, not at the first checkpoint
        return value

    @field_validator("mlflow_alias_environments")
    @classmethod
    def _alias_pairs(cls, value: str) -> str:
        try:
            parse_alias_environments(value)
        except SettingsError as error:
            raise ValueError(str(error)) from None
        return value

    @field_validator(
        "signing_key_passphrase",
        "webhook_secret",
        "mlflow_webhook_secret",
        "mlflow_tracking_uri",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return value or None

    @field_validator("webhook_secret_file", mode="before")
    @classmethod
    def _empty_is_the_default(cls, value: Any, info: ValidationInfo) -> Any:
        return value or _beside_the_signing_key(info.data)

    @field_validator("webhook_allow_hosts", mode="before")
    @classmethod
    def _allowed_hosts(cls, value: Any) -> Any:
        return parse_allow_hosts(value) if isinstance(value, str) else value

    @field_validator("fault_point", mode="before")
    @classmethod
    def _a_known_fault_point(cls, spec: Any) -> Any:
        if not spec:
            return None
        parse_fault_point(spec)  # refuses an unknown point at start, not at the first command
        return spec

    def for_reading(self) -> Settings:
        """The same settings with the store opened read-only (nothing created, nothing written)."""
        return self.model_copy(update={"database": replace(self.database, read_only=True)})


def _beside_the_signing_key(earlier: dict[str, Any]) -> Path:
    signing_key_file = earlier.get("signing_key_file", Path("modelgov.signing.key"))
    return Path(signing_key_file).with_name("modelgov.webhook.key")


def _variable(field: str) -> str:
    alias = Settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else f"{PREFIX}{field.upper()}"


# Read by the tests' own configuration (tests/conftest.py), not by modelgov; known, so not refused.
TEST_ONLY_SETTINGS = {
    "MODELGOV_REQUIRE_PG": "tests only: 1 makes PostgreSQL tests fail instead of skipping",
    "MODELGOV_TEST_PG_URL": "tests only: the PostgreSQL server the tests use",
    "MODELGOV_REQUIRE_GO": "tests only: 1 makes the Go reference verifier's tests fail instead "
    "of skipping when Go or golang.org/x/mod is missing",
    "MODELGOV_REQUIRE_BROWSER": "tests only: 1 makes the browser tests and the reports' "
    "printed-page tests fail instead of skipping when Chromium (/usr/bin/chromium), Playwright or "
    "pdftoppm (poppler-utils) is missing",
    "MODELGOV_SCREENSHOTS": "tests only: the folder where the browser tests write their "
    "screenshots and the printed-page tests each report's pages as PNG images",
}


def _help(field: FieldInfo) -> str:
    """A setting's description, then its default, unless it has none to show or says it itself."""
    description = str(field.description)
    default = field.default
    if default in (None, "", ()) or default is PydanticUndefined or "default" in description:
        return description
    return f"{description} (default {f'{default:g}' if isinstance(default, float) else default})"


KNOWN_SETTINGS = {
    _variable(name): _help(field) for name, field in Settings.model_fields.items()
} | TEST_ONLY_SETTINGS


class _Variables(EnvSettingsSource):
    """pydantic-settings' reading of environment variables, over a given mapping of them."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        super().__init__(Settings)
        # Only the exact names (the library matches names in lower case): modelgov_* is not ours.
        self.env_vars = {k.lower(): v for k, v in environ.items() if k in KNOWN_SETTINGS}


def get_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every MODELGOV_* variable; raise SettingsError naming the first bad one."""
    env = os.environ if environ is None else environ
    unknown = sorted(k for k in env if k.startswith(PREFIX) and k not in KNOWN_SETTINGS)
    if unknown:
        # Compared without the prefix they all share, or every name would resemble every other.
        tails = [name.removeprefix(PREFIX) for name in KNOWN_SETTINGS]
        guess = difflib.get_close_matches(unknown[0].removeprefix(PREFIX), tails, n=1)
        raise SettingsError(
            f"unknown setting {unknown[0]}{f'; did you mean {PREFIX}{guess[0]}?' if guess else ''}; "
            f"known settings are: {', '.join(sorted(KNOWN_SETTINGS))}"
        )
    for flag in ("MODELGOV_REQUIRE_PG", "MODELGOV_REQUIRE_GO", "MODELGOV_REQUIRE_BROWSER"):
        if env.get(flag, "0") not in ("0", "1"):
            raise SettingsError(f"{flag} must be 0 or 1; got {env[flag]!r}")
    try:
        # Our parsers raise SettingsError, which pydantic lets through as it is; the library's
        # own checks (whole numbers, minimums) come back as a ValidationError, said our way.
        return Settings.model_validate(_Variables(env)())
    except ValidationError as error:
        raise _refusal(error) from None


def _refusal(error: ValidationError) -> SettingsError:
    first = error.errors(include_url=False)[0]
    place = str(first["loc"][0]) if first["loc"] else ""
    name = _variable(place) if place in Settings.model_fields else place  # or the alias
    got = first.get("input")
    if first["type"] == "int_parsing":
        return SettingsError(f"{name} must be a whole number; got {got!r}")
    if first["type"] == "greater_than_equal":
        return SettingsError(f"{name} must be {first['ctx']['ge']} or more; got {got}")
    if first["type"] == "value_error":
        return SettingsError(f"{name}: {first['ctx']['error']}")
    return SettingsError(f"{name}: {first['msg']}")
