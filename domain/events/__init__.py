"""The registered model's events: past tense, explicit stable topics, deterministic `apply`.

`Model` (domain/model.py) exposes each of them as `Model.<Event>`; a changed shape gets a
`class_version` and an `upcast_vN_vN+1` beside it, never a rename without a migration test.
Topics are explicit (`modelgov/Model.<Event>`), so the module an event class lives in can change.
"""

from domain.events.base import CATALOGUE, Event
from domain.events.external import ExternalAliasRemoved, ExternalAliasSet, ExternalTagSet
from domain.events.holds import LegalHoldPlaced, LegalHoldReleased
from domain.events.incidents import IncidentDeclared, IncidentReported
from domain.events.lifecycle import (
    ComplianceSignedOff,
    Created,
    PolicyChanged,
    Registered,
    ReleaseApproved,
    ReleaseRejected,
    RolledBack,
    TargetsApproved,
    TargetSet,
    ValidationRecorded,
    VersionActivated,
    VersionDeactivated,
    VersionRegistered,
    VersionRetired,
)
from domain.events.monitoring import (
    BiasFlagRaised,
    BiasFlagResolved,
    BreachClosed,
    BreachOpened,
    CostReported,
    GamePlanChanged,
    OnCallPaged,
)
from domain.state import TARGET_HISTORY_KEPT

# Every concrete lifecycle event, in catalogue order: each marks itself `@catalogued`.
EVENT_CLASSES: tuple[type[Event], ...] = tuple(CATALOGUE)

__all__ = [
    "EVENT_CLASSES", "TARGET_HISTORY_KEPT", "BiasFlagRaised", "BiasFlagResolved", "BreachClosed",
    "BreachOpened", "ComplianceSignedOff", "CostReported", "Created", "Event", "ExternalAliasRemoved",
    "ExternalAliasSet", "ExternalTagSet", "GamePlanChanged", "IncidentDeclared", "IncidentReported",
    "LegalHoldPlaced", "LegalHoldReleased",
    "OnCallPaged", "PolicyChanged", "Registered", "ReleaseApproved", "ReleaseRejected", "RolledBack",
    "TargetSet", "TargetsApproved", "ValidationRecorded", "VersionActivated", "VersionDeactivated",
    "VersionRegistered", "VersionRetired",
]  # fmt: skip
