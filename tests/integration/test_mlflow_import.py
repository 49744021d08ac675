"""`modelgov mlflow import` against a real MLflow 3 registry (its SQLite store), on both stores."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from application.portfolio import compliance_findings
from domain.commands import ApproveRelease
from infrastructure.db.store import open_governance
from infrastructure.settings import get_settings
from tests.conftest import environ_for, free_port
from tests.factories import by, registration
from tests.integration.mlflow_registry import MlflowFixture, build_registry, manifest_digest
from tests.integration.test_cli import run
from tests.terminal import last_count, run_on_terminal

UNAPPROVED = "champion alias in MLflow set to version 2 without approval"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> MlflowFixture:
    return build_registry(tmp_path_factory.mktemp("mlflow"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The MODELGOV_* variables of a fresh store on each backend."""
    if request.param == "sqlite":
        return environ_for("sqlite", tmp_path)
    return environ_for("postgres", tmp_path, request.getfixturevalue("pg_schema"))


def mlflow_import(cwd: Path, env: dict[str, str], uri: str, *extra: str) -> Any:
    return run(cwd, "mlflow", "import", "--tracking-uri", uri, *extra, env=env)


def history(cwd: Path, env: dict[str, str], name: str) -> list[dict[str, Any]]:
    result = run(cwd, "history", name, "--json", env=env)
    assert result.returncode == 0, result.stderr
    entries: list[dict[str, Any]] = json.loads(result.stdout)
    return entries


def facts(cwd: Path, env: dict[str, str]) -> list[tuple[str, str, str]]:
    """Every event of the imported models as (model, event, correlation id)."""
    return [
        (name, entry["event"], entry["correlation_id"])
        for name in ("credit-scorer", "fraud-detector")
        for entry in history(cwd, env, name)
    ]


def imports_nothing_again(
    cwd: Path, env: dict[str, str], uri: str, entries: list[dict[str, Any]]
) -> None:
    """An import run again records nothing: credit-scorer still has `entries`."""
    again = mlflow_import(cwd, env, uri)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(
        "imported 0 model(s), 0 version(s), 0 validation(s), 0 tag(s), 0 alias change(s)"
    )
    assert len(history(cwd, env, "credit-scorer")) == len(entries)


def test_an_import_records_cards_evidence_tags_and_aliases_and_a_second_imports_nothing(
    registry: MlflowFixture, store: dict[str, str], tmp_path: Path
) -> None:
    first = mlflow_import(tmp_path, store, registry.uri)
    assert first.returncode == 0, first.stderr
    assert "MLflow model" not in first.stderr  # progress is for a terminal, not a pipe
    assert first.stdout.startswith(
        "imported 2 model(s), 3 version(s), 3 validation(s), 3 tag(s), 2 alias change(s); skipped 1"
    )
    assert "Credit Scorer version 3: its run records no git commit" in first.stdout

    entries = history(tmp_path, store, "credit-scorer")
    assert [e["event"] for e in entries] == [
        "Registered", "VersionRegistered", "ValidationRecorded", "ExternalTagSet",
        "VersionRegistered", "ValidationRecorded", "ExternalTagSet", "ExternalTagSet",
        "ExternalAliasSet", "ExternalAliasSet",
    ]  # fmt: skip
    assert {e["role"] for e in entries} == {"integration"}
    assert entries[0]["details"]["risk_tier"] == "low"  # the modelgov.risk_tier tag
    card = entries[1]["details"]["card"]
    mlflow_version = registry.client.get_model_version("Credit Scorer", "1")
    assert card["artifact_uri"] == mlflow_version.source
    assert card["provenance"]["pipeline_run"] == f"runs:/{mlflow_version.run_id}"
    assert card["provenance"]["git_commit"] == "4e1f2a9c0b7d"
    assert card["features"] == ["income", "loan_amount"] and card["labels"] == ["defaulted"]
    assert card["training_data"] == ["loans@d41d8cd9 (warehouse://loans/2026-10)"]
    assert card["extras"]["mlflow"]["run_id"] == mlflow_version.run_id
    validation = entries[2]["details"]
    assert validation["metrics"] == {"auc": 0.81, "accuracy": pytest.approx(0.76)}
    assert validation["parameters"] == {"max_depth": "6", "learning_rate": "0.1"}
    assert validation["passed"] is False  # evidence, judged by a person unless tagged passed
    aliases = {
        e["details"]["alias"]: e["details"] for e in entries if e["event"] == "ExternalAliasSet"
    }
    assert aliases["champion"]["environment"] == "production"
    assert aliases["challenger"]["environment"] == "staging"

    imports_nothing_again(tmp_path, store, registry.uri, entries)


def test_on_a_terminal_the_import_counts_the_models_and_says_each_step_and_with_json_nothing(
    registry: MlflowFixture, store: dict[str, str], tmp_path: Path
) -> None:
    shown = run_on_terminal(tmp_path, "mlflow", "import", "--tracking-uri", registry.uri, env=store)
    assert shown.returncode == 0, shown.stderr_text
    assert "[1/2] MLflow model Credit Scorer" in shown.stderr_text
    assert last_count(shown, "importing MLflow models") == (2, 2)
    assert shown.stdout.startswith("imported 2 model(s), 3 version(s)")

    again = run_on_terminal(
        tmp_path, "mlflow", "import", "--tracking-uri", registry.uri, "--json", env=store
    )
    assert again.returncode == 0, again.stderr_text
    assert again.stderr == ""
    assert json.loads(again.stdout)["versions"] == 0


def test_a_folder_artifact_is_digested_by_its_file_manifest_and_a_file_by_its_bytes(
    registry: MlflowFixture, tmp_path: Path
) -> None:
    env = environ_for("sqlite", tmp_path)
    assert mlflow_import(tmp_path, env, registry.uri).returncode == 0
    folder_card = history(tmp_path, env, "credit-scorer")[1]["details"]["card"]
    assert folder_card["artifact_sha256_of"] == "file_manifest"
    assert folder_card["artifact_sha256"] == manifest_digest(
        registry.artifacts[("Credit Scorer", "1")]
    )
    file_card = history(tmp_path, env, "fraud-detector")[1]["details"]["card"]
    assert file_card["artifact_sha256_of"] == "file"
    single = registry.artifacts[("fraud-detector", "1")]
    assert file_card["artifact_sha256"] == hashlib.sha256(single.read_bytes()).hexdigest()
    assert file_card["features"] == ["amount", "merchant"]  # from the modelgov.* tags


@pytest.mark.parametrize("point", ["after_commit", "before_commit"])
def test_an_import_killed_at_every_commit_records_every_fact_once(
    registry: MlflowFixture, store: dict[str, str], tmp_path: Path, point: str
) -> None:
    whole = tmp_path / "whole"
    whole.mkdir()
    clean_env = {**store, **environ_for("sqlite", whole)}
    assert mlflow_import(whole, clean_env, registry.uri).returncode == 0
    expected = facts(whole, clean_env)

    killed = {**store, "MODELGOV_FAULT_POINT": point}
    kills = 0
    for _ in range(3 * len(expected)):
        result = mlflow_import(tmp_path, killed, registry.uri)
        if result.returncode == 0:
            break
        assert result.returncode == -9, result.stderr  # SIGKILL, at a command's commit
        kills += 1
        if point == "before_commit":  # it dies before every commit: finish without the hook
            killed = store
    else:
        pytest.fail("the import never finished")
    assert kills >= 1
    recorded = facts(tmp_path, store)
    assert Counter(recorded) == Counter(expected)
    assert all(count == 1 for count in Counter(recorded).values())


def test_an_alias_removed_in_mlflow_is_recorded_as_removed_by_the_next_import(
    registry: MlflowFixture, tmp_path: Path
) -> None:
    copy = tmp_path / "mlflow-copy.db"
    shutil.copy(registry.uri.removeprefix("sqlite:///"), copy)
    uri = f"sqlite:///{copy}"
    env = environ_for("sqlite", tmp_path)
    assert mlflow_import(tmp_path, env, uri).returncode == 0
    from mlflow import MlflowClient

    MlflowClient(tracking_uri=uri, registry_uri=uri).delete_registered_model_alias(
        "Credit Scorer", "challenger"
    )
    again = mlflow_import(tmp_path, env, uri, "--model", "Credit Scorer")
    assert again.returncode == 0, again.stderr
    assert "1 alias change(s)" in again.stdout
    removed = history(tmp_path, env, "credit-scorer")[-1]
    assert removed["event"] == "ExternalAliasRemoved"
    assert removed["details"]["alias"] == "challenger" and removed["details"]["version"] == 1


def test_a_production_alias_on_an_unapproved_version_is_a_critical_finding_until_approved(
    registry: MlflowFixture, tmp_path: Path
) -> None:
    env = environ_for("sqlite", tmp_path)
    assert mlflow_import(tmp_path, env, registry.uri).returncode == 0
    assert run(tmp_path, "keys", "init", env=env).returncode == 0
    assert run(tmp_path, "ledger", "seal", env=env).returncode == 0
    report = run(tmp_path, "report", "model", "credit-scorer", "--format", "json", env=env)
    assert report.returncode == 0, report.stderr
    in_report = json.loads(report.stdout)["compliance_findings"]
    aliases = {
        f["environment"]: f for f in in_report if f["finding"] == "external_alias_unapproved"
    }
    assert aliases["production"]["severity"] == "critical"
    assert aliases["production"]["detail"].startswith(UNAPPROVED)
    assert aliases["staging"]["severity"] == "high"  # challenger, on version 1

    governance = open_governance(get_settings(env))
    try:
        now = governance.get_model("credit-scorer").registered_at.replace(year=2100)
        findings = compliance_findings(governance.get_model("credit-scorer"), now=now)
        assert any(f["detail"].startswith(UNAPPROVED) for f in findings)
        governance.handle(
            ApproveRelease(name="credit-scorer", version=2), by=by("ds", at=datetime.now(UTC))
        )
        findings = compliance_findings(governance.get_model("credit-scorer"), now=now)
        assert not any(f["finding"] == "external_alias_unapproved" and f["version"] == 2
                       for f in findings)  # fmt: skip
    finally:
        governance.close()


def test_a_bad_tracking_uri_is_refused_in_one_line(tmp_path: Path) -> None:
    env = environ_for("sqlite", tmp_path)
    missing = mlflow_import(tmp_path, env, f"sqlite:///{tmp_path / 'nothing.db'}")
    assert missing.returncode == 2
    assert (
        missing.stderr.strip() == f"modelgov: no MLflow store at {tmp_path / 'nothing.db'} "
        f"(from --tracking-uri sqlite:///{tmp_path / 'nothing.db'})"
    )
    nobody = mlflow_import(tmp_path, env, f"http://127.0.0.1:{free_port()}")
    assert nobody.returncode == 2
    assert "cannot read the MLflow model registry at http://127.0.0.1:" in nobody.stderr
    assert "Traceback" not in nobody.stderr
    odd = mlflow_import(tmp_path, env, "ftp://models")
    assert odd.returncode == 2 and "is not an MLflow tracking URI" in odd.stderr


def test_modelgov_runs_without_mlflow_and_the_bridge_says_how_to_get_it(tmp_path: Path) -> None:
    blocked = (
        "import sys; sys.modules['mlflow'] = None\n"
        "import infrastructure.api.app, infrastructure.cli.main\n"
        "sys.argv = ['modelgov', 'mlflow', 'import', '--tracking-uri', 'http://127.0.0.1:9']\n"
        "infrastructure.cli.main.main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", blocked], cwd=tmp_path,
        env={**os.environ, **environ_for("sqlite", tmp_path)},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "needs MLflow: pip install 'modelgov[mlflow]'" in result.stderr


def test_two_mlflow_models_of_one_modelgov_name_are_not_mixed_and_a_rerun_records_nothing(
    registry: MlflowFixture, store: dict[str, str], tmp_path: Path
) -> None:
    from mlflow import MlflowClient

    from tests.integration.mlflow_registry import _model_folder, _run

    copy = tmp_path / "mlflow-clash.db"
    shutil.copy(registry.uri.removeprefix("sqlite:///"), copy)
    uri = f"sqlite:///{copy}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.get_experiment_by_name("credit")
    assert experiment is not None
    folder = _model_folder(tmp_path, 9)
    run_id = _run(client, experiment.experiment_id, auc=0.5, commit="0badc0de", folder=folder)
    client.create_registered_model("credit-scorer")
    source = f"{client.get_run(run_id).info.artifact_uri}/model"
    client.create_model_version("credit-scorer", source, run_id=run_id)
    client.set_registered_model_alias("credit-scorer", "production", "1")

    first = mlflow_import(tmp_path, store, uri)
    assert first.returncode == 0, first.stderr
    assert (
        "MLflow model 'credit-scorer' maps to the modelgov name 'credit-scorer', which the MLflow "
        "model 'Credit Scorer' holds already" in first.stdout
    )
    entries = history(tmp_path, store, "credit-scorer")
    cards = [e["details"]["card"] for e in entries if e["event"] == "VersionRegistered"]
    assert {card["extras"]["mlflow"]["name"] for card in cards} == {"Credit Scorer"}
    aliases = [e["details"]["alias"] for e in entries if e["event"].startswith("ExternalAlias")]
    assert sorted(aliases) == ["challenger", "champion"]  # none of the other's, none removed

    imports_nothing_again(tmp_path, store, uri, entries)


def test_an_mlflow_model_named_like_a_model_registered_in_modelgov_is_skipped(
    registry: MlflowFixture, tmp_path: Path
) -> None:
    env = environ_for("sqlite", tmp_path)
    governance = open_governance(get_settings(env))
    try:
        governance.handle(registration("fraud-detector", "low"), by=by("eng"))
    finally:
        governance.close()
    result = mlflow_import(tmp_path, env, registry.uri)
    assert result.returncode == 0, result.stderr
    assert (
        "MLflow model 'fraud-detector' maps to the modelgov name 'fraud-detector', which a model "
        "not imported from it holds already" in result.stdout
    )
    assert [e["event"] for e in history(tmp_path, env, "fraud-detector")] == ["Registered"]
