"""Stored cards, validations and snapshots from before card extras, parameters and MLflow aliases
still load (VersionRegistered v1, ValidationRecorded v1, the model's state v3)."""

from __future__ import annotations

from eventsourcing.domain import Snapshot

from application.governance import Governance
from domain.commands import RegisterVersion
from domain.external_commands import RecordExternalAlias, RecordExternalTag
from domain.model import Model
from infrastructure.settings import Settings
from tests.factories import by, card, registration
from tests.integration.test_upcasting import _insert, _read_afresh, _v1_fields


def test_a_version_1_card_and_validation_read_with_no_extras_a_file_digest_and_no_parameters(
    app: Governance,
) -> None:
    app.handle(registration("legacy", "low"), by=by("eng"))
    old_card = {key: value for key, value in card().items() if key not in ("extras",)}
    old_card.pop("artifact_sha256_of", None)
    _insert(app, "legacy", 2, Model.VersionRegistered.TOPIC,
            {**_v1_fields(), "version": 1, "card": old_card})  # fmt: skip
    validation = {"version": 1, "kind": "ab_test", "dataset": "holdout", "metrics": {"auc": 0.8},
                  "passed": True, "compared_to": None}  # fmt: skip
    _insert(app, "legacy", 3, Model.ValidationRecorded.TOPIC, {**_v1_fields(), **validation})

    model = app.get_model("legacy")
    version = model.version_by_number(1)
    assert version.card["extras"] == {} and version.card["artifact_sha256_of"] == "file"
    assert version.validations[0].parameters == {}


def test_a_state_version_3_snapshot_loads_with_card_defaults_and_no_external_aliases(
    app: Governance, backend: Settings
) -> None:
    app.handle(registration("legacy", "low"), by=by("eng"))
    app.handle(RegisterVersion(name="legacy", card=card()), by=by("eng"))
    stored = app.mapper.to_stored_event(Snapshot.take(app.get_model("legacy")))
    snapshot = app.mapper.to_domain_event(stored)
    del snapshot.state["external_aliases"], snapshot.state["external_tags"]
    for version in snapshot.state["versions"]:
        del version.card["extras"], version.card["artifact_sha256_of"]
    snapshot.state["class_version"] = 3
    app.snapshots.recorder.insert_events([app.mapper.to_stored_event(snapshot)])  # type: ignore[union-attr]

    model = _read_afresh(backend, "legacy")
    assert model.external_aliases == {} and model.external_tags == {}
    assert model.versions[0].card["extras"] == {}
    assert model.versions[0].card["artifact_sha256_of"] == "file"
    alias = RecordExternalAlias(
        name="legacy", source="mlflow", alias="champion", version=1, external_version="1",
        environment="production",
    )  # fmt: skip
    model.record_external_alias(alias, by("mlflow-bridge", role="integration"))
    assert model.unapproved_external_aliases()[0][0] == "production"


def test_a_snapshot_with_mlflow_aliases_and_tags_reads_back_as_it_was(
    app: Governance, backend: Settings
) -> None:
    app.handle(registration("legacy", "low"), by=by("eng"))
    app.handle(RegisterVersion(name="legacy", card=card()), by=by("eng"))
    bridge = by("mlflow-bridge", role="integration")
    app.handle(
        RecordExternalAlias(
            name="legacy", source="mlflow", alias="champion", version=1, external_version="7",
            environment="production",
        ),
        by=bridge,
    )  # fmt: skip
    app.handle(
        RecordExternalTag(name="legacy", source="mlflow", key="team", value="risk"), by=bridge
    )
    snapshot = Snapshot.take(app.get_model("legacy"))
    app.snapshots.recorder.insert_events([app.mapper.to_stored_event(snapshot)])  # type: ignore[union-attr]

    model = _read_afresh(backend, "legacy")
    assert model.external_aliases["mlflow:champion"].external_version == "7"
    assert model.external_tags == {"mlflow:model:team": "risk"}
