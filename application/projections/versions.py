"""Version cards and the approvals matrix: each version's card and status, and every decision on it."""

from __future__ import annotations

from collections.abc import Sequence

from application.projections.base import Projection, Statement
from application.projections.personal import Personal
from domain.events import Event as ModelEvent
from domain.instants import sortable_utc_text
from domain.model import Model

_DECISIONS: dict[type, str] = {
    Model.ReleaseApproved: "release_approval",
    Model.ReleaseRejected: "release_rejection",
    Model.ComplianceSignedOff: "compliance_signoff",
}


class VersionCards(Projection):
    name = "version_cards"
    tables: Sequence[str] = ("modelgov_versions", "modelgov_approvals")

    def schema(self) -> Sequence[str]:
        return [
            """CREATE TABLE IF NOT EXISTS modelgov_versions (
                model TEXT NOT NULL,
                version INTEGER NOT NULL,
                status TEXT NOT NULL,
                artifact_uri TEXT NOT NULL,
                artifact_sha256 TEXT NOT NULL,
                git_commit TEXT NOT NULL,
                pull_request TEXT NOT NULL,
                pipeline_run TEXT NOT NULL,
                documentation_url TEXT NOT NULL,
                registered_by TEXT NOT NULL,
                registered_at TEXT NOT NULL,
                PRIMARY KEY (model, version))""",
            """CREATE TABLE IF NOT EXISTS modelgov_approvals (
                model TEXT NOT NULL,
                version INTEGER,
                decision TEXT NOT NULL,
                principal TEXT NOT NULL,
                role TEXT NOT NULL,
                comment TEXT NOT NULL,
                effective_at TEXT NOT NULL,
                recorded_at TEXT NOT NULL,
                position BIGINT NOT NULL PRIMARY KEY)""",
        ]

    def statements(self, *, event: ModelEvent, model: str, position: int) -> list[Statement]:
        if isinstance(event, Model.VersionRegistered):
            card, provenance = event.card, event.card["provenance"]
            return [(
                "INSERT INTO modelgov_versions (model, version, status, artifact_uri, artifact_sha256, "
                "git_commit, pull_request, pipeline_run, documentation_url, registered_by, registered_at) "
                "VALUES (?, ?, 'registered', ?, ?, ?, ?, ?, ?, ?, ?)",
                (model, event.version, card["artifact_uri"], card["artifact_sha256"],
                 provenance["git_commit"], provenance["pull_request"], provenance["pipeline_run"],
                 card["documentation_url"], Personal(event.actor),
                 sortable_utc_text(event.effective_at)),
            )]  # fmt: skip
        statements: list[Statement] = []
        decision = _DECISIONS.get(type(event))
        if decision is not None or isinstance(event, Model.TargetsApproved):
            version = getattr(event, "version", None)
            statements.append((
                "INSERT INTO modelgov_approvals (model, version, decision, principal, role, comment, "
                "effective_at, recorded_at, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (model, version, decision or "targets_approval", Personal(event.actor), event.role,
                 Personal(event.reason), sortable_utc_text(event.effective_at),
                 sortable_utc_text(event.timestamp),
                 position),
            ))  # fmt: skip
        status = {Model.ReleaseRejected: "rejected", Model.VersionRetired: "retired"}.get(
            type(event)
        )
        if status is not None:
            statements.append((
                "UPDATE modelgov_versions SET status = ? WHERE model = ? AND version = ?",
                (status, model, getattr(event, "version")),  # noqa: B009 - both events carry it
            ))  # fmt: skip
        return statements
