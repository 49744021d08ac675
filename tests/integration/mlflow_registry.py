"""A real MLflow 3 registry for the bridge's tests: runs with metrics, parameters and artifacts,
registered models, versions, tags and aliases, made through MlflowClient (no doubles)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput, InputTag

COMMIT = "4e1f2a9c0b7d"
SIGNATURE = {
    "inputs": json.dumps(
        [{"name": "income", "type": "double"}, {"name": "loan_amount", "type": "double"}]
    ),
    "outputs": json.dumps([{"name": "defaulted", "type": "long"}]),
}


@dataclass
class MlflowFixture:
    """What the test registry holds: `uri`, and each version's artifact folder or file on disk."""

    uri: str
    client: MlflowClient
    artifacts: dict[tuple[str, str], Path]


def manifest_digest(folder: Path) -> str:
    """Independently of modelgov: sorted `<sha256> <relative path>` lines, hashed."""
    lines = sorted(
        (path.relative_to(folder).as_posix(), hashlib.sha256(path.read_bytes()).hexdigest())
        for path in folder.rglob("*")
        if path.is_file()
    )
    return hashlib.sha256("".join(f"{d} {p}\n" for p, d in lines).encode()).hexdigest()


def _model_folder(place: Path, seed: int) -> Path:
    folder = place / f"model-{seed}"
    (folder / "data").mkdir(parents=True)
    (folder / "MLmodel").write_text(
        "flavors: {python_function: {loader_module: mlflow.sklearn}}\n"
        f"signature:\n  inputs: '{SIGNATURE['inputs']}'\n  outputs: '{SIGNATURE['outputs']}'\n"
    )
    (folder / "data" / "model.pkl").write_bytes(bytes([seed]) * 2048)
    (folder / "requirements.txt").write_text(f"scikit-learn==1.{seed}\n")
    return folder


def _run(
    client: MlflowClient, experiment: str, *, auc: float, commit: str | None, folder: Path
) -> str:
    run = client.create_run(experiment)
    run_id = run.info.run_id
    client.log_metric(run_id, "auc", auc)
    client.log_metric(run_id, "accuracy", auc - 0.05)
    client.log_param(run_id, "max_depth", "6")
    client.log_param(run_id, "learning_rate", "0.1")
    if commit:
        client.set_tag(run_id, "mlflow.source.git.commit", commit)
    loans = Dataset("loans", "d41d8cd9", "delta", "warehouse://loans/2026-10")
    client.log_inputs(run_id, [DatasetInput(loans, [InputTag("mlflow.data.context", "training")])])
    client.log_artifacts(run_id, str(folder), "model")
    client.set_terminated(run_id)
    return run_id


def build_registry(place: Path) -> MlflowFixture:
    """Two models: `Credit Scorer` (versions 1 and 2 importable, 3 without a git commit; the
    `champion` alias on 2, `challenger` on 1) and `fraud-detector` (one single-file artifact)."""
    uri = f"sqlite:///{place / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment("credit", artifact_location=(place / "art").as_uri())
    artifacts: dict[tuple[str, str], Path] = {}
    client.create_registered_model(
        "Credit Scorer", tags={"modelgov.risk_tier": "low", "team": "risk"},
        description="Scores credit applications",
    )  # fmt: skip
    for seed, auc, commit in ((1, 0.81, COMMIT), (2, 0.84, "b7c9e01ff"), (3, 0.86, None)):
        folder = _model_folder(place, seed)
        run_id = _run(client, experiment, auc=auc, commit=commit, folder=folder)
        source = f"{client.get_run(run_id).info.artifact_uri}/model"
        version = client.create_model_version(
            "Credit Scorer", source, run_id=run_id, tags={"stage": f"candidate-{seed}"}
        )
        artifacts[("Credit Scorer", str(version.version))] = folder
    client.set_registered_model_alias("Credit Scorer", "champion", "2")
    client.set_registered_model_alias("Credit Scorer", "challenger", "1")

    client.create_registered_model("fraud-detector")
    single = place / "fraud.onnx"
    single.write_bytes(b"onnx" * 500)
    run = client.create_run(experiment)
    client.log_metric(run.info.run_id, "recall", 0.7)
    client.set_tag(run.info.run_id, "mlflow.source.git.commit", COMMIT)
    client.log_artifact(run.info.run_id, str(single), "onnx")
    client.create_model_version(
        "fraud-detector", f"{run.info.artifact_uri}/onnx/fraud.onnx", run_id=run.info.run_id,
        tags={"modelgov.features": "amount, merchant", "modelgov.labels": "fraud",
              "modelgov.training_data": "warehouse://payments/2026-10"},
    )  # fmt: skip
    artifacts[("fraud-detector", "1")] = single
    return MlflowFixture(uri=uri, client=client, artifacts=artifacts)
