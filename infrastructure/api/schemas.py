"""Request and response bodies: pydantic models named as families (ModelPublic, HistoryEntry, ...).

A command's request body is derived from the command itself (command_schemas.py), and so is a
policy's, from the domain's `PolicySpec`; here are the bases every command body extends, the other
documents some commands carry (a model card, a game plan), and what the API answers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, NotRequired, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

from domain.errors import InvalidValueError
from domain.instants import aware_in_utc, utc_text
from domain.values import ENVIRONMENT_PATTERN

Item = TypeVar("Item")


def _in_utc(moment: datetime) -> datetime:
    try:
        return aware_in_utc("time", moment)  # aware: AwareDatetime checked its offset
    except InvalidValueError as error:  # out of range: a 422 on the field, as pydantic words it
        raise ValueError(str(error).removeprefix("time: ")) from None


# An instant: in with any offset (refused without one), held in UTC, out as 2026-11-01T09:30:00Z.
Instant = Annotated[
    AwareDatetime,
    AfterValidator(_in_utc),
    PlainSerializer(utc_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-11-01T09:30:00Z"]}),
]
Text = Field(min_length=1, max_length=500)
Environment = Field(pattern=ENVIRONMENT_PATTERN, examples=["production"])
VersionNumber = Field(ge=1, le=1_000_000, examples=[1])


class Request(BaseModel):
    """Every command body: unknown fields are refused; `effective_at` defaults to now."""

    model_config = ConfigDict(extra="forbid")
    effective_at: Instant | None = Field(
        default=None, description="When it happened in the world (default: now). May be backdated."
    )


class Explained(Request):
    reason: str = Field(default="", max_length=4000, description="Why; required for decisions.")


class Stakeholder(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, examples=["Li Wei"])
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    role: str = Field(min_length=1, max_length=50, examples=["business_owner"])


class Provenance(BaseModel):
    model_config = ConfigDict(extra="forbid")
    git_commit: str = Field(pattern=r"^[0-9a-f]{7,40}$", examples=["3f9a1c2"])
    pull_request: str = Field(default="", max_length=500)
    pipeline_run: str = Field(default="", max_length=500)


class ModelCard(BaseModel):
    model_config = ConfigDict(extra="forbid")
    artifact_uri: str = Text
    artifact_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    features: list[str] = Field(min_length=1, max_length=500)
    labels: list[str] = Field(min_length=1, max_length=500)
    training_data: list[str] = Field(min_length=1, max_length=500)
    assumptions: list[str] = Field(default_factory=list, max_length=500)
    documentation_url: str = Text
    provenance: Provenance
    artifact_sha256_of: Literal["file", "file_manifest"] = Field(
        default="file",
        description="What artifact_sha256 is the digest of: the artifact file, or (a folder "
        "artifact) its file manifest, one `<sha256> <relative path>` line per file, sorted by path.",
    )
    extras: dict[str, Any] = Field(
        default_factory=dict,
        max_length=200,
        description="Whatever else the card says (a Hugging Face card's license, MLflow tags), "
        "kept as given (at most 64 kB as JSON).",
    )


# An entry of a batch: validated as a dict, no model built per entry (a batch holds up to 10,000),
# with the keys a model's dump had (`group`, `sample_count` None when left out: an Idempotency-Key's
# fingerprint is of the parsed body). No docstring: it would become the schema's description.
class ObservationIn(TypedDict):
    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    metric: Annotated[str, Field(min_length=1, max_length=100, examples=["auc"])]
    value: Annotated[float, Field(allow_inf_nan=False, examples=[0.83])]
    version: Annotated[int, VersionNumber]
    environment: Annotated[str, Environment]
    observed_at: Instant
    group: NotRequired[
        Annotated[
            str | None,
            Field(
                default=None,
                max_length=200,
                pattern=r"^[^=]+=.+$",
                examples=["sex=female"],
                description="For fairness: the group these figures are for, as attribute=value.",
            ),
        ]
    ]
    sample_count: NotRequired[Annotated[int | None, Field(default=None, ge=1, le=10**12)]]


def _an_object(entry: object) -> object:
    """An entry that is not an object is refused as when entries were models: in their words."""
    if isinstance(entry, dict):
        return entry
    raise PydanticCustomError(
        "model_attributes_type",
        "Input should be a valid dictionary or object to extract fields from",
    )


class ObservationBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    observations: list[Annotated[ObservationIn, BeforeValidator(_an_object)]] = Field(
        min_length=1, max_length=10_000
    )


class ObservationsAccepted(BaseModel):
    model: str
    accepted: int


class NotificationRoute(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(pattern=r"^https?://\S+$", max_length=2000)
    events: list[str] = Field(default=["*"], min_length=1, max_length=30)
    min_severity: Literal["info", "warning", "critical"] = "info"


class AutomatedResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dimension: Literal["performance", "accuracy", "governance", "cost", "*"]
    environment: str = Environment
    min_severity: Literal["info", "warning", "critical"] = "critical"
    action: Literal["roll_back", "deactivate"]


class GamePlan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    notifications: list[NotificationRoute] = Field(default_factory=list, max_length=20)
    responses: list[AutomatedResponse] = Field(default_factory=list, max_length=20)


MODEL_VERSION_DEPRECATED = "Deprecated: read `model_revision` (the same number)."


class CommandResult(BaseModel):
    """What a command recorded: the model's revision after it (also its ETag) and any new id."""

    model: str
    model_revision: int = Field(description="How many events the model has now (its ETag).")
    model_version: int = Field(deprecated=True, description=MODEL_VERSION_DEPRECATED)
    result: int | str | None = None


class ModelSummary(BaseModel):
    name: str
    risk_tier: str
    owner: str
    status: Literal["draft", "inactive", "active"]
    versions: int
    active: dict[str, int]
    open_breaches: int
    open_bias_flags: int
    model_revision: int
    model_version: int = Field(deprecated=True, description=MODEL_VERSION_DEPRECATED)


class Page(BaseModel, Generic[Item]):
    """A page of a list: every list of the API answers so (infrastructure/api/pages.py)."""

    items: list[Item]
    next_cursor: str | None = Field(
        description="Send as `cursor` for the next page; null at the end (an opaque text)."
    )


class VersionSummary(BaseModel):
    """A version as a list shows it: its status, where it is active, its card's summary."""

    number: int
    status: Literal["registered", "rejected", "retired"]
    active_in: list[str]
    artifact_uri: str
    artifact_sha256: str
    git_commit: str
    pull_request: str
    pipeline_run: str
    documentation_url: str
    registered_by: str
    registered_at: str = Field(examples=["2026-11-01T09:30:00Z"])


class UsageWindowPublic(BaseModel):
    """An interval a version served in an environment; `ended_at` null while it still serves."""

    version: int
    environment: str
    started_at: str = Field(examples=["2026-11-01T09:30:00Z"])
    ended_at: str | None
    started_by: str
    ended_by: str
    end_reason: str


ModelPage = Page[ModelSummary]
VersionPage = Page[VersionSummary]
UsagePage = Page[UsageWindowPublic]


class ModelPublic(BaseModel):
    """A model's state: versions with their gate status, targets, findings, costs."""

    model_config = ConfigDict(extra="allow")
    name: str
    model_revision: int
    model_version: int = Field(deprecated=True, description=MODEL_VERSION_DEPRECATED)
    risk_tier: str
    active: dict[str, int]
    versions: list[dict[str, Any]]
    targets: list[dict[str, Any]]
    open_breaches: list[dict[str, Any]]
    open_bias_flags: list[dict[str, Any]]


class HistoryEntry(BaseModel):
    model_revision: int = Field(description="The event's number in the model's history.")
    model_version: int = Field(deprecated=True, description=MODEL_VERSION_DEPRECATED)
    event: str
    topic: str
    actor: str
    role: str
    reason: str
    correlation_id: str
    effective_at: Instant
    recorded_at: Instant
    backdated: bool
    details: dict[str, Any]


class FeedEntry(HistoryEntry):
    position: int = Field(description="The event's place in the global commit order (the cursor).")
    model: str


HistoryPage = Page[HistoryEntry]


class AdmissionAnswer(BaseModel):
    """Whether the artifact may serve there now; `model` and `version` when the digest is known."""

    allowed: bool
    reason: str
    model: str | None
    version: int | None


class FeedPage(Page[FeedEntry]):
    resume_cursor: str = Field(
        description="Send as `cursor` later to poll for events after this page (never null)."
    )


class GateItem(BaseModel):
    gate: str = Field(description="The gate's stable name, e.g. `compliance_signoff`.")
    detail: str = Field(description="What is missing, in words.")


class GateAnswer(BaseModel):
    """May the version be activated in the environment now (`modelgov gate`)."""

    model: str
    version: int
    environment: str
    allowed: bool
    unmet_gates: list[GateItem] = Field(description="Every reason an activation would be refused.")
