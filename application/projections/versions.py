"""Version cards and the approvals matrix: each version's card and status, and every decision on it."""

from __future__ import annotations

from collections.abc import Sequence

from application.projections.changes import Insert, RowChange, Update
from application.projections.personal import Personal
from application.projections.projection import Projection
from domain.events import Event as ModelEvent
from domain.instants import sortable_utc_text
from domain.model import Model

VERSIONS, APPROVALS = "modelgov_versions", "modelgov_approvals"
_DECISIONS: dict[type, str] = {
    Model.ReleaseApproved: "release_approval",
    Model.ReleaseRejected: "release_rejection",
    Model.ComplianceSignedOff: "compliance_signoff",
}
_STATUSES: dict[type, str] = {Model.ReleaseRejected: "rejected", Model.VersionRetired: "retired"}


class VersionCards(Projection):
    name = "version_cards"
    tables: Sequence[str] = (VERSIONS, APPROVALS)

    def changes(self, *, event: ModelEvent, model: str, position: int) -> list[RowChange]:
        if isinstance(event, Model.VersionRegistered):
            card, provenance = event.card, event.card["provenance"]
            return [Insert(VERSIONS, {
                "model": model, "version": event.version, "status": "registered",
                "artifact_uri": card["artifact_uri"], "artifact_sha256": card["artifact_sha256"],
                "git_commit": provenance["git_commit"],
                "pull_request": provenance["pull_request"],
                "pipeline_run": provenance["pipeline_run"],
                "documentation_url": card["documentation_url"],
                "registered_by": Personal(event.actor),
                "registered_at": sortable_utc_text(event.effective_at),
            })]  # fmt: skip
        changes: list[RowChange] = []
        decision = _DECISIONS.get(type(event))
        if decision is not None or isinstance(event, Model.TargetsApproved):
            changes.append(Insert(APPROVALS, {
                "model": model, "version": getattr(event, "version", None),
                "decision": decision or "targets_approval", "principal": Personal(event.actor),
                "role": event.role, "comment": Personal(event.reason),
                "effective_at": sortable_utc_text(event.effective_at),
                "recorded_at": sortable_utc_text(event.timestamp), "position": position,
            }))  # fmt: skip
        status = _STATUSES.get(type(event))
        if status is not None:
            version = getattr(event, "version")  # noqa: B009 - both events carry it
            changes.append(
                Update(
                    VERSIONS, where={"model": model, "version": version}, values={"status": status}
                )
            )
        return changes
