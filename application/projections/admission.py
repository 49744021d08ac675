"""Admission: for each artifact active somewhere, whether it may serve there now, and why not.

A model server asks "may the artifact with this SHA-256 serve in this environment?" before it
starts (GET /v1/admission). The answer must be quick, so it is kept here, one row per model and
environment it is active in, keyed by the artifact's digest: allowed while the version is active
there, approved under the model's current policy (its approval gates met), not retired or
rejected, and without an open bias flag. Rows are written again whenever one of these can change.
"""

from __future__ import annotations

from collections.abc import Sequence

from application.projections.changes import Delete, Insert, RowChange
from application.projections.folds import Folded, ModelFolds
from application.projections.projection import Projection
from domain.events import Event as ModelEvent
from domain.gates import serving_shortfalls
from domain.model import Model

ADMISSION = "modelgov_admission"
# The events after which a model's rows are written again (activation, approval, flags, policy):
# no other event changes what the rows are made of (`refusal`: the active versions, their cards,
# decisions, retirement and open bias flags, the policy).
_CHANGES_ADMISSION = (
    Model.VersionActivated, Model.VersionDeactivated, Model.RolledBack, Model.ReleaseApproved,
    Model.ReleaseRejected, Model.ComplianceSignedOff, Model.PolicyChanged, Model.BiasFlagRaised,
    Model.BiasFlagResolved, Model.VersionRetired,
)  # fmt: skip


def refusal(model: Model, number: int, environment: str) -> str:
    """Why the active version `number` may not serve in `environment` now ("" when it may)."""
    if environment not in model.policy.environments:  # a policy changed since the activation
        allowed = ", ".join(model.policy.environments)
        return (
            f"the policy of model {model.name!r} no longer allows {environment} (only: {allowed})"
        )
    lacking = serving_shortfalls(model, number)
    if lacking:
        return f"version {number} of model {model.name!r} is not approved now: {'; '.join(lacking)}"
    return ""


def admission_rows(name: str, model: Model) -> list[RowChange]:
    """The model's rows, written again: one per environment it is active in."""
    changes: list[RowChange] = [Delete(ADMISSION, where={"model": name})]
    for environment, number in sorted(model.active.items()):
        refused = refusal(model, number, environment)
        changes.append(Insert(ADMISSION, {
            "artifact_sha256": model.version_by_number(number).card["artifact_sha256"],
            "environment": environment, "model": name, "version": number,
            "allowed": 0 if refused else 1, "reason": refused,
        }))  # fmt: skip
    return changes


class Admission(Projection):
    """Rows written again for each model with an event of the batch that can change them, at the
    batch's end: from the model as the batch left it, in the runner's folds (folds.py), the same
    rows as after the last such event (the events after it do not change them), made once."""

    name = "admission"
    tables: Sequence[str] = (ADMISSION,)

    def __init__(self) -> None:
        self._folds = ModelFolds()  # the runner's, once attached
        # The model id's number (in the ids' order): the model, folded up to the batch's end.
        self._changed: dict[int, Folded] = {}

    def attach(self, folds: ModelFolds) -> None:
        self._folds = folds

    def changes(self, *, event: ModelEvent, model: str, position: int) -> list[RowChange]:
        # Every event folded (the model stays current), so that the batch's end finds it there.
        folded = self._folds.after(event, model)
        key = event.originator_id.int
        if isinstance(event, _CHANGES_ADMISSION) or key in self._changed:
            self._changed[key] = folded
        return []

    def batch_end(self) -> list[RowChange]:
        changes = [
            change
            for _, folded in sorted(self._changed.items())
            for change in admission_rows(folded.name, folded.model)
        ]
        self._changed.clear()
        self._folds.trim()
        return changes

    def reset(self) -> None:
        self._folds.clear()
        self._changed.clear()
