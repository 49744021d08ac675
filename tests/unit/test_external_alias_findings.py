"""An MLflow alias is judged as admission judges a version (domain/gates.py serving_shortfalls);
the author a card names (an MLflow version's user) may not approve it."""

from __future__ import annotations

import pytest

from application.portfolio import standing_findings
from domain.commands import ApproveRelease, RaiseBiasFlag, RegisterVersion
from domain.errors import FourEyesError
from domain.external_commands import RecordExternalAlias
from domain.model import Model
from tests.factories import by, card, new_model, ready_version


def aliased_to(model: Model, version: int) -> None:
    model.record_external_alias(
        RecordExternalAlias(
            name=model.name, source="mlflow", alias="champion", version=version,
            external_version=str(version), environment="production",
        ),
        by("mlflow-bridge", role="integration"),
    )  # fmt: skip


def unapproved(model: Model) -> list[dict[str, object]]:
    return [f for f in standing_findings(model) if f["finding"] == "external_alias_unapproved"]


def test_a_regulated_version_approved_only_by_a_business_owner_aliased_to_production_is_critical() -> (
    None
):
    model = new_model("regulated")
    version = model.register_version(RegisterVersion(name=model.name, card=card()), by("eng"))
    model.approve_release(ApproveRelease(name=model.name, version=version), by("bo", "value"))
    aliased_to(model, version)
    findings = unapproved(model)
    assert [(f["severity"], f["version"]) for f in findings] == [("critical", version)]


def test_a_fully_approved_version_is_no_finding_until_a_bias_flag_opens_on_it() -> None:
    model = new_model("regulated")
    version = ready_version(model)
    aliased_to(model, version)
    assert unapproved(model) == []
    model.raise_bias_flag(
        RaiseBiasFlag(
            name=model.name, version=version, attribute="age", metric="dpd",
            value=0.3, threshold=0.1,
        ),
        by("ds"),
    )  # fmt: skip
    assert [f["severity"] for f in unapproved(model)] == ["critical"]


def test_the_author_a_card_names_may_not_approve_the_release_of_their_version() -> None:
    model = new_model("regulated")
    made = card(provenance={"git_commit": "abc1234", "author": "ds"})
    version = model.register_version(
        RegisterVersion(name=model.name, card=made), by("mlflow-bridge", role="integration")
    )
    assert model.version_by_number(version).card["provenance"]["author"] == "ds"
    with pytest.raises(FourEyesError, match=r"provenance\.author"):
        model.approve_release(
            ApproveRelease(name=model.name, version=version), by("DS", role="data_scientist")
        )
    model.approve_release(ApproveRelease(name=model.name, version=version), by("ds2"))
    plain = model.register_version(RegisterVersion(name=model.name, card=card()), by("eng"))
    assert "author" not in model.version_by_number(plain).card["provenance"]
