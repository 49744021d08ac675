"""Value objects and vocabularies of the governance domain, with the checks that keep them valid."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.errors import InvalidValueError
from domain.instants import require_instant

RISK_TIERS = ("low", "medium", "high", "regulated")
DIMENSIONS = ("performance", "accuracy", "governance", "cost")
COMPARATORS = ("<", "<=", ">", ">=")
SEVERITIES = ("info", "warning", "critical")
BIAS_RESOLUTIONS = ("retrain", "change_features", "change_technique", "accept_risk")
DEFAULT_ENVIRONMENTS = ("staging", "production")
# Registries whose aliases and tags modelgov records (RecordExternalAlias, RecordExternalTag).
EXTERNAL_SOURCES = ("mlflow",)
# What a card's `artifact_sha256` is the digest of: the artifact's bytes, or, for a folder artifact
# with no single file (an MLflow model directory), its file manifest (`manifest_sha256` below).
ARTIFACT_DIGESTS = ("file", "file_manifest")
CARD_EXTRAS_MAX_ENTRIES = 200
CARD_EXTRAS_MAX_BYTES = 64_000

# The shapes of names and codes; commands declare them on their fields (domain/commands.py).
MODEL_NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,62}$"
ENVIRONMENT_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"
# A SHA-256 as people paste it (either case); stored and compared lower-case.
DIGEST_PATTERN = r"^[0-9a-fA-F]{64}$"
PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
WINDOW_PATTERN = r"^(last|moving_average:[1-9]\d{0,4}|moving_average_minutes:[1-9]\d{0,5})$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"

_MODEL_NAME = re.compile(MODEL_NAME_PATTERN)
_ENVIRONMENT = re.compile(ENVIRONMENT_PATTERN)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_GIT_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PERIOD = re.compile(PERIOD_PATTERN)
_WINDOW = re.compile(WINDOW_PATTERN)


@dataclass(frozen=True)
class Attribution:
    """Who records an event, in which role, why, for which request, and when it happened in the world."""

    principal: str
    role: str
    correlation_id: str
    effective_at: datetime
    reason: str = ""
    # When the ledger records it. None (always, for people and pipelines) means "now", as the
    # event store stamps it; only a seeder of a simulated history (the demo) sets it.
    recorded_at: datetime | None = None

    def __post_init__(self) -> None:
        require_text("principal", self.principal, max_length=200)
        require_text("role", self.role, max_length=50)
        require_text("correlation_id", self.correlation_id, max_length=200)
        # Whatever offset the caller wrote, the event stores the instant in UTC.
        object.__setattr__(self, "effective_at", require_instant("effective_at", self.effective_at))
        if self.recorded_at is not None:
            object.__setattr__(
                self, "recorded_at", require_instant("recorded_at", self.recorded_at)
            )
        if len(self.reason) > 4000:
            raise InvalidValueError("reason", "must be at most 4000 characters")

    def event_fields(self) -> dict[str, Any]:
        """The fields every recorded event carries about who, why and when."""
        return {
            "actor": self.principal,
            "role": self.role,
            "reason": self.reason,
            "correlation_id": self.correlation_id,
            "effective_at": self.effective_at,
        }


def require_text(field: str, value: object, *, max_length: int = 500) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValueError(field, "must be a non-empty text")
    if len(value) > max_length:
        raise InvalidValueError(field, f"must be at most {max_length} characters")
    return value


def require_email(field: str, value: object) -> str:
    if not isinstance(value, str) or not _EMAIL.match(value) or len(value) > 320:
        raise InvalidValueError(field, f"must be an e-mail address; got {value!r}")
    return value


def require_choice(field: str, value: object, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise InvalidValueError(field, f"must be one of {', '.join(choices)}; got {value!r}")
    return str(value)


def require_model_name(name: object) -> str:
    if not isinstance(name, str) or not _MODEL_NAME.match(name):
        raise InvalidValueError(
            "name",
            "must be 2-63 characters of lowercase letters, digits, '.', '_' or '-', "
            f"starting with a letter or digit; got {name!r}",
        )
    return name


def require_environment(field: str, value: object) -> str:
    if not isinstance(value, str) or not _ENVIRONMENT.match(value):
        raise InvalidValueError(field, f"must be a short lowercase environment name; got {value!r}")
    return value


def require_text_list(field: str, values: object, *, allow_empty: bool = True) -> list[str]:
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) and v for v in values):
        raise InvalidValueError(field, "must be a list of non-empty texts")
    if not allow_empty and not values:
        raise InvalidValueError(field, "must name at least one entry")
    if len(values) > 500:
        raise InvalidValueError(field, "must have at most 500 entries")
    return list(values)


def require_number(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise InvalidValueError(field, f"must be a finite number; got {value!r}")
    if value in (float("inf"), float("-inf")):
        raise InvalidValueError(field, "must be a finite number")
    return float(value)


def checked_metrics(field: str, metrics: object) -> dict[str, float]:
    """Figures by metric name, such as a validation's {"auc": 0.84}."""
    if not isinstance(metrics, dict):
        raise InvalidValueError(field, "must map metric names to numbers")
    return {
        require_text(field, name, max_length=100): require_number(f"{field}.{name}", value)
        for name, value in metrics.items()
    }


def checked_parameters(parameters: object) -> dict[str, str]:
    """Settings by name as texts, such as an MLflow run's {"max_depth": "6"}."""
    if not isinstance(parameters, dict) or len(parameters) > 200:
        raise InvalidValueError("parameters", "must map at most 200 names to texts")
    checked = {}
    for name, value in parameters.items():
        require_text("parameters", name, max_length=250)
        if not isinstance(value, str) or len(value) > 6000:
            raise InvalidValueError(
                f"parameters.{name}", "must be a text of at most 6000 characters"
            )
        checked[name] = value
    return checked


def require_duration(field: str, value: object, *, max_days: int = 30) -> int:
    """A whole number of seconds, zero to `max_days` days."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= max_days * 86400:
        raise InvalidValueError(field, f"must be a whole number of seconds, 0 to {max_days} days")
    return value


def require_amount(field: str, value: object) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InvalidValueError(field, f"must be a decimal amount; got {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidValueError(field, "must be a finite amount of zero or more")
    return amount


def require_period(field: str, value: object) -> str:
    if not isinstance(value, str) or not _PERIOD.match(value):
        raise InvalidValueError(field, f"must be a month as YYYY-MM; got {value!r}")
    return value


def require_window(field: str, value: object) -> str:
    if not isinstance(value, str) or not _WINDOW.match(value):
        raise InvalidValueError(
            field, "must be 'last', 'moving_average:N' (observations) or 'moving_average_minutes:M'"
        )
    return value


def checked_stakeholders(stakeholders: object) -> list[dict[str, str]]:
    """Stakeholders are people: name, e-mail and the part they play (e.g. business_owner)."""
    if not isinstance(stakeholders, list | tuple):
        raise InvalidValueError("stakeholders", "must be a list of {name, email, role}")
    checked = []
    for index, person in enumerate(stakeholders):
        field = f"stakeholders[{index}]"
        if not isinstance(person, dict):
            raise InvalidValueError(field, "must be an object with name, email and role")
        email = person.get("email")
        if not isinstance(email, str) or not _EMAIL.match(email):
            raise InvalidValueError(f"{field}.email", f"must be an e-mail address; got {email!r}")
        checked.append(
            {
                "name": require_text(f"{field}.name", person.get("name"), max_length=200),
                "email": email,
                "role": require_text(f"{field}.role", person.get("role"), max_length=50),
            }
        )
    return checked


def checked_model_card(card: dict[str, Any]) -> dict[str, Any]:
    """A model card as the version-registered event stores it; raises on the first bad field."""
    provenance = card.get("provenance") or {}
    if not isinstance(provenance, dict):
        raise InvalidValueError("card.provenance", "must be an object")
    digest = card.get("artifact_sha256")
    if not isinstance(digest, str) or not _SHA256.match(digest):
        raise InvalidValueError(
            "card.artifact_sha256", "must be 64 lowercase hexadecimal characters"
        )
    commit = provenance.get("git_commit")
    if not isinstance(commit, str) or not _GIT_COMMIT.match(commit):
        raise InvalidValueError(
            "card.provenance.git_commit", "must be a git commit id (7-40 lowercase hex characters)"
        )
    return {
        "artifact_uri": require_text("card.artifact_uri", card.get("artifact_uri")),
        "artifact_sha256": digest,
        "features": require_text_list("card.features", card.get("features", []), allow_empty=False),
        "labels": require_text_list("card.labels", card.get("labels", []), allow_empty=False),
        "training_data": require_text_list(
            "card.training_data", card.get("training_data", []), allow_empty=False
        ),
        "assumptions": require_text_list("card.assumptions", card.get("assumptions", [])),
        "documentation_url": require_text("card.documentation_url", card.get("documentation_url")),
        "artifact_sha256_of": require_choice(
            "card.artifact_sha256_of", card.get("artifact_sha256_of", "file"), ARTIFACT_DIGESTS
        ),
        "extras": checked_card_extras(card.get("extras", {})),
        "provenance": {
            "git_commit": commit,
            "pull_request": optional_text(
                "card.provenance.pull_request", provenance.get("pull_request")
            ),
            "pipeline_run": optional_text(
                "card.provenance.pipeline_run", provenance.get("pipeline_run")
            ),
            # Who made the version where it was made (an MLflow version's user): kept only when
            # given; that principal may not approve its release (rules.check_release_approvable).
            **(
                {"author": require_text("card.provenance.author", author, max_length=200)}
                if (author := provenance.get("author"))
                else {}
            ),
        },
    }


def checked_card_extras(extras: object) -> dict[str, Any]:
    """What a card says beyond the fields modelgov reads (a Hugging Face card's `license`, an MLflow
    version's tags): kept as given, as JSON, within bounds."""
    if not isinstance(extras, dict):
        raise InvalidValueError("card.extras", "must be an object")
    if len(extras) > CARD_EXTRAS_MAX_ENTRIES:
        raise InvalidValueError(
            "card.extras", f"must have at most {CARD_EXTRAS_MAX_ENTRIES} entries"
        )
    for key in extras:
        require_text("card.extras", key, max_length=200)
    try:
        encoded = json.dumps(extras, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError):
        raise InvalidValueError("card.extras", "must hold JSON values only") from None
    if len(encoded.encode()) > CARD_EXTRAS_MAX_BYTES:
        raise InvalidValueError(
            "card.extras", f"must be at most {CARD_EXTRAS_MAX_BYTES} bytes as JSON"
        )
    return dict(json.loads(encoded))


def with_card_defaults(card: dict[str, Any]) -> None:
    """A card stored before cards had `artifact_sha256_of` and `extras` (upcasting reads it so)."""
    card.setdefault("artifact_sha256_of", "file")
    card.setdefault("extras", {})


def manifest_sha256(files: Iterable[tuple[str, str]]) -> str:
    """The digest of a folder artifact: SHA-256 over its manifest, one line per file, sorted by
    relative path (`/`-separated): `<sha256 of the file> <relative path>\n`."""
    lines = "".join(f"{digest} {path}\n" for path, digest in sorted(files))
    return hashlib.sha256(lines.encode()).hexdigest()


def optional_text(field: str, value: object) -> str:
    if value is None or value == "":
        return ""
    return require_text(field, value)


def target_key(dimension: str, metric: str) -> str:
    return f"{dimension}:{metric}"


def satisfies(value: float, comparator: str, threshold: float) -> bool:
    """Whether an observed value meets a target written as `value <comparator> threshold`."""
    if comparator == "<":
        return value < threshold
    if comparator == "<=":
        return value <= threshold
    if comparator == ">":
        return value > threshold
    return value >= threshold
