"""`modelgov mlflow import`: an MLflow registry's models, versions, runs, tags and aliases as
modelgov events, each fact once however often (or however interrupted) the import runs.

Per registered model: the model (registered in modelgov if it is not), then each ready version in
MLflow's order (its card: the artifact's digest, computed from the downloaded artifact, of the file
or, for a folder, of its file manifest; the source as the artifact URI and `runs:/<run id>` as the
pipeline run in its provenance; MLflow's identity in `extras.mlflow`), the run's metrics and
parameters as validation evidence, the tags, and the aliases as they are now. A version that
cannot make a modelgov card (no git commit, no features) is skipped, saying what to tag.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from application.progress import Progress
from domain.commands import RecordValidation, RegisterModel, RegisterVersion
from domain.instants import utc_text
from domain.model import Model
from domain.values import RISK_TIERS
from infrastructure.errors import MlflowNameClashError
from infrastructure.integrations.artifacts import artifact_digest
from infrastructure.integrations.mlflow_bridge import SOURCE, Bridge, modelgov_name
from infrastructure.integrations.mlflow_registry import (
    GIT_COMMIT_TAG,
    MlflowRegistry,
    RegisteredModelFacts,
    RunFacts,
    VersionFacts,
    signature_columns,
)

# Tags a team may set in MLflow to fill in what an MLflow run does not say.
PASSED_TAG = "modelgov.validation_passed"  # "true": the pipeline judged the run's figures a pass
# MLflow's own tags, and the modelgov.* tags above (read into the card), are not recorded as tags.
OWN_TAGS = ("mlflow.", "modelgov.")


@dataclass
class ImportTotals:
    """What one import recorded (a re-run counts only what it recorded anew)."""

    models: int = 0  # registered in modelgov by this import
    versions: int = 0  # versions registered, each with its card
    validations: int = 0  # runs' metrics and parameters recorded as validation evidence
    tags: int = 0  # ExternalTagSet events
    aliases: int = 0  # ExternalAliasSet and ExternalAliasRemoved events
    skipped: list[str] = field(default_factory=list)  # what was not imported, and why

    def summary(self) -> str:
        return (
            f"imported {self.models} model(s), {self.versions} version(s), "
            f"{self.validations} validation(s), {self.tags} tag(s), {self.aliases} alias change(s); "
            f"skipped {len(self.skipped)}"
        )


class VersionSkippedError(Exception):
    """An MLflow version that cannot make a modelgov card; the message says what to tag."""


class MlflowImport(Bridge):
    """One run of the import over `registry`; `progress` hears a line per step, `counted` the
    MLflow models done so far of all those to import."""

    def __init__(
        self,
        governance: Any,
        registry: MlflowRegistry,
        *,
        risk_tier: str = "medium",
        owner: str = "unassigned (imported from MLflow)",
        alias_environments: dict[str, str] | None = None,
        progress: Callable[[str], None] = lambda line: None,
        counted: Progress | None = None,
    ) -> None:
        super().__init__(governance, alias_environments=alias_environments)
        self.registry = registry
        self.risk_tier = risk_tier
        self.owner = owner
        self.progress = progress
        self.counted = counted
        self.totals = ImportTotals()

    def run(self, name: str | None = None) -> ImportTotals:
        models = self.registry.registered_models(name)
        for index, facts in enumerate(models, start=1):
            if self.counted is not None:
                self.counted(index - 1, len(models))
            self.progress(f"[{index}/{len(models)}] MLflow model {facts.name}")
            try:
                self.import_model(facts)
            except MlflowNameClashError as clash:
                self.totals.skipped.append(str(clash))
                self.progress(f"  skipped: {clash}")
        if self.counted is not None:
            self.counted(len(models), len(models))
        return self.totals

    def import_model(self, facts: RegisteredModelFacts) -> None:
        """Import one MLflow model; MlflowNameClashError when its modelgov name is taken."""
        name = self._register_model(facts)
        versions = self.registry.versions(facts.name)
        for index, version in enumerate(versions, start=1):
            try:
                number = self._import_version(name, version)
            except VersionSkippedError as skipped:
                self.totals.skipped.append(f"{facts.name} version {version.version}: {skipped}")
                self.progress(
                    f"  version {version.version} ({index}/{len(versions)}): skipped: {skipped}"
                )
                continue
            self.progress(
                f"  version {version.version} ({index}/{len(versions)}): modelgov version {number}"
            )
            for key, value in sorted(version.tags.items()):
                if not key.startswith(OWN_TAGS):
                    self.totals.tags += self.record_tag(facts.name, version.version, key, value)
        for key, value in sorted(facts.tags.items()):
            if not key.startswith(OWN_TAGS):
                self.totals.tags += self.record_tag(facts.name, None, key, value)
        self._import_aliases(facts)

    def _register_model(self, facts: RegisteredModelFacts) -> str:
        """The modelgov name of the MLflow model, registered first if it is not."""
        name = modelgov_name(facts.name)
        if self.owned_model(facts.name) is not None:
            return name
        tier = facts.tags.get("modelgov.risk_tier", self.risk_tier)
        if tier not in RISK_TIERS:
            tier = self.risk_tier
        described = facts.description or f"Imported from the MLflow registered model {facts.name}"
        command = RegisterModel(
            name=name, description=described[:4000],
            owner=facts.tags.get("modelgov.owner", self.owner)[:200],
            business_objective=facts.tags.get("modelgov.business_objective", described)[:4000],
            risk_tier=tier,
        )  # fmt: skip
        by = self.attribution(f"{name}:registered", at=facts.created_at)
        if self.record_once(command, key=f"mlflow:{facts.name}:registered", by=by):
            self.totals.models += 1
            self.progress(f"  registered modelgov model {name} ({tier} risk)")
        if self.owned_model(facts.name) is None:  # registered in modelgov itself meanwhile
            raise MlflowNameClashError(
                f"MLflow model {facts.name!r} maps to the modelgov name {name!r}, which a model "
                "not imported from it holds already: rename one of them in MLflow"
            )
        return name

    def _import_version(self, name: str, version: VersionFacts) -> int:
        model = self.model(name)
        assert model is not None, "registered above"
        number = self.version_number(model, version.name, version.version)
        run = self.registry.run(version.run_id)
        at = max(version.created_at, model.registered_at)
        if number is None:
            card = self._card(version, run)
            fact = f"{version.name}:{version.version}:registered"
            by = self.attribution(fact, at=at)
            key = f"mlflow:{fact}"
            if self.record_once(RegisterVersion(name=name, card=card), key=key, by=by):
                self.totals.versions += 1
            model = self.model(name)
            assert model is not None
            number = self.version_number(model, version.name, version.version)
            assert number is not None, "the version's registration is recorded"
        if run is not None and run.metrics:
            self._record_run(name, number, version, run, model)
        return number

    def _record_run(
        self, name: str, number: int, version: VersionFacts, run: RunFacts, model: Model
    ) -> None:
        at = max(version.created_at, model.version_by_number(number).registered_at)
        passed = (version.tags.get(PASSED_TAG) or run.tags.get(PASSED_TAG, "")).lower() == "true"
        command = RecordValidation(
            name=name, version=number, kind="mlflow_run",
            dataset=("; ".join(run.datasets) or f"runs:/{run.run_id}")[:500],
            metrics=dict(sorted(run.metrics.items())[:100]), passed=passed,
            parameters=dict(sorted(run.params.items())[:200]),
        )  # fmt: skip
        fact = f"{version.name}:{version.version}:run:{run.run_id}"
        if self.record_once(command, key=f"mlflow:{fact}", by=self.attribution(fact, at=at)):
            self.totals.validations += 1

    def _card(self, version: VersionFacts, run: RunFacts | None) -> dict[str, Any]:
        tags = {**(run.tags if run else {}), **version.tags}
        commit = tags.get(GIT_COMMIT_TAG) or tags.get("modelgov.git_commit", "")
        if not commit:
            raise VersionSkippedError(
                f"its run records no git commit; tag the run or version {GIT_COMMIT_TAG}"
            )
        with self.registry.downloaded(version) as artifact:
            digest, digest_of = artifact_digest(artifact)
            inputs, outputs = signature_columns(artifact) if artifact.is_dir() else ([], [])
        features = inputs or _listed(tags.get("modelgov.features"))
        labels = outputs or _listed(tags.get("modelgov.labels"))
        training_data = (run.datasets if run else []) or _listed(tags.get("modelgov.training_data"))
        for what, found in (
            ("features", features),
            ("labels", labels),
            ("training_data", training_data),
        ):
            if not found:
                raise VersionSkippedError(
                    f"MLflow does not say its {what} (no model signature or logged dataset); "
                    f"tag the version modelgov.{what} (comma-separated)"
                )
        return {
            "artifact_uri": version.source, "artifact_sha256": digest,
            "artifact_sha256_of": digest_of, "features": features, "labels": labels,
            "training_data": training_data, "assumptions": [],
            "documentation_url": tags.get("modelgov.documentation_url")
            or self.registry.documentation_url(version),
            "provenance": {
                "git_commit": commit.lower(), "pull_request": tags.get("modelgov.pull_request", ""),
                "pipeline_run": tags.get("modelgov.pipeline_run")
                or (f"runs:/{version.run_id}" if version.run_id else ""),
                "author": version.user_id or "",  # may not approve it (four eyes)
            },
            "extras": {SOURCE: {
                "name": version.name, "version": version.version, "run_id": version.run_id,
                "source": version.source, "tracking_uri": self.registry.tracking_uri,
                "user_id": version.user_id, "description": version.description,
                "created_at": utc_text(version.created_at),
            }},
        }  # fmt: skip

    def _import_aliases(self, facts: RegisteredModelFacts) -> None:
        model = self.owned_model(facts.name)
        assert model is not None
        for alias, mlflow_version in sorted(facts.aliases.items()):
            if self.version_number(model, facts.name, mlflow_version) is None:
                self.totals.skipped.append(
                    f"{facts.name} alias {alias}: version {mlflow_version} was not imported"
                )
                continue
            self.totals.aliases += self.record_alias(facts.name, alias, mlflow_version)
        for held in list(model.external_aliases.values()):
            if held.source == SOURCE and held.alias not in facts.aliases:
                self.totals.aliases += self.record_alias(facts.name, held.alias, None)


def _listed(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]
