"""What modelgov reads of an MLflow model registry, as plain values: the only module that imports
MLflow (lazily, inside `open_registry`), so that modelgov runs without the `mlflow` extra.

MLflow keeps a registered model's current aliases, not their history: an import records the
aliases as they are now; the webhook receiver records each change as MLflow announces it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from infrastructure.db.faults import one_line
from infrastructure.errors import CommandFailedError

GIT_COMMIT_TAG = "mlflow.source.git.commit"


@dataclass(frozen=True)
class RegisteredModelFacts:
    name: str
    description: str
    created_at: datetime
    tags: dict[str, str]
    aliases: dict[str, str]  # alias -> MLflow version


@dataclass(frozen=True)
class VersionFacts:
    name: str
    version: str
    created_at: datetime
    source: str
    run_id: str
    description: str
    user_id: str
    tags: dict[str, str]


@dataclass(frozen=True)
class RunFacts:
    run_id: str
    metrics: dict[str, float]
    params: dict[str, str]
    tags: dict[str, str]
    datasets: list[str] = field(default_factory=list)  # "name@digest (source)"


class MlflowRegistry:
    """An MLflow tracking server or store (`--tracking-uri`), read through MlflowClient."""

    def __init__(self, client: Any, tracking_uri: str) -> None:
        self.client = client
        self.tracking_uri = tracking_uri

    def registered_models(self, name: str | None = None) -> list[RegisteredModelFacts]:
        if name is not None:
            return [self.registered_model(name)]
        found, token = [], None
        while True:
            page = self.client.search_registered_models(max_results=200, page_token=token)
            found += [self.registered_model(model.name) for model in page]
            token = page.token
            if not token:
                return sorted(found, key=lambda model: model.name)

    def registered_model(self, name: str) -> RegisteredModelFacts:
        try:
            model = self.client.get_registered_model(name)
        except Exception as error:
            raise CommandFailedError(
                f"MLflow at {self.tracking_uri} has no registered model {name!r} ({one_line(error)})"
            ) from None
        return RegisteredModelFacts(
            name=model.name,
            description=model.description or "",
            created_at=_instant(model.creation_timestamp),
            tags=dict(model.tags or {}),
            aliases={alias: str(version) for alias, version in (model.aliases or {}).items()},
        )

    def versions(self, name: str) -> list[VersionFacts]:
        """The model's versions that are ready, in MLflow's order (1, 2, 3 ...)."""
        found, token = [], None
        quoted = name.replace("'", "\\'")
        while True:
            page = self.client.search_model_versions(
                filter_string=f"name = '{quoted}'", max_results=200, page_token=token
            )
            found += [self.version(name, str(v.version)) for v in page if v.status == "READY"]
            token = page.token
            if not token:
                return sorted(found, key=lambda v: int(v.version))

    def version(self, name: str, version: str) -> VersionFacts:
        found = self.client.get_model_version(name, version)
        return VersionFacts(
            name=name,
            version=str(found.version),
            created_at=_instant(found.creation_timestamp),
            source=found.source or "",
            run_id=found.run_id or "",
            description=found.description or "",
            user_id=found.user_id or "",
            tags=dict(found.tags or {}),
        )

    def run(self, run_id: str) -> RunFacts | None:
        if not run_id:
            return None
        run = self.client.get_run(run_id)
        datasets = [
            f"{given.dataset.name}@{given.dataset.digest} ({given.dataset.source})"
            for given in (run.inputs.dataset_inputs if run.inputs else [])
        ]
        return RunFacts(
            run_id=run_id,
            metrics={key: float(value) for key, value in run.data.metrics.items()},
            params={key: str(value) for key, value in run.data.params.items()},
            tags=dict(run.data.tags),
            datasets=datasets,
        )

    @contextmanager
    def downloaded(self, version: VersionFacts) -> Iterator[Path]:
        """The version's artifact (a file or a folder) downloaded to a temporary place."""
        import mlflow.artifacts

        uri = self.client.get_model_version_download_uri(version.name, version.version)
        with tempfile.TemporaryDirectory(prefix="modelgov-mlflow-") as place:
            path = mlflow.artifacts.download_artifacts(
                artifact_uri=uri, dst_path=place, tracking_uri=self.tracking_uri
            )
            yield Path(path)

    def documentation_url(self, version: VersionFacts) -> str:
        if self.tracking_uri.startswith(("http://", "https://")):
            base = self.tracking_uri.rstrip("/")
            return f"{base}/#/models/{version.name}/versions/{version.version}"
        return f"models:/{version.name}/{version.version}"


def signature_columns(artifact: Path) -> tuple[list[str], list[str]]:
    """The input and output column names of an MLflow model's signature (its MLmodel file)."""
    mlmodel = artifact / "MLmodel"
    if not mlmodel.is_file():
        return [], []
    signature = (yaml.safe_load(mlmodel.read_text()) or {}).get("signature") or {}

    def names(part: str) -> list[str]:
        try:
            columns = json.loads(signature.get(part) or "[]")
        except (TypeError, ValueError):
            return []
        return [str(c["name"]) for c in columns if isinstance(c, dict) and c.get("name")]

    return names("inputs"), names("outputs")


def open_registry(tracking_uri: str) -> MlflowRegistry:
    """MLflow at `tracking_uri`, checked to answer; CommandFailedError saying why not."""
    try:
        from mlflow import MlflowClient
    except ImportError:
        raise CommandFailedError(
            "the MLflow bridge needs MLflow: pip install 'modelgov[mlflow]'"
        ) from None
    if tracking_uri.startswith("sqlite:///"):
        path = Path(tracking_uri.removeprefix("sqlite:///"))
        if not path.is_file():  # MLflow would create an empty store there
            raise CommandFailedError(
                f"no MLflow store at {path} (from --tracking-uri {tracking_uri})"
            )
    elif not tracking_uri.startswith(("http://", "https://", "postgresql", "mysql", "databricks")):
        raise CommandFailedError(
            f"--tracking-uri {tracking_uri!r} is not an MLflow tracking URI: give "
            "http(s)://host:port of an MLflow server, or sqlite:///path/to/mlflow.db"
        )
    # A server that does not answer is said so in seconds, not after MLflow's minutes of retries.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    try:
        client.search_registered_models(max_results=1)
    except Exception as error:
        raise CommandFailedError(
            f"cannot read the MLflow model registry at {tracking_uri}: {one_line(error)}"
        ) from None
    return MlflowRegistry(client, tracking_uri)


def _instant(milliseconds: int | None) -> datetime:
    return datetime.fromtimestamp((milliseconds or 0) / 1000, tz=UTC)
