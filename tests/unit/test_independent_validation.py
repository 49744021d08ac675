"""Independent validation (SR 26-2 / OCC 2026-13): evidence counts only when a validator recorded
it who neither registered nor developed the version; a tier's policy may require it as a gate."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.commands import Activate, ChangePolicy, RecordValidation, RegisterVersion
from domain.errors import ActivationRefusedError, InvalidValueError
from domain.independence import VALIDATOR_ROLE, counts_as_independent, developers_of
from domain.model import Model
from domain.policy import (
    GATES_BY_TIER,
    INDEPENDENT_VALIDATION,
    REVALIDATION_MONTHS_BY_TIER,
    checked_policy,
    default_policy_for,
)
from domain.roles import ROLES
from domain.values import RISK_TIERS
from tests.factories import by, card, new_model

people = st.text(alphabet="abcdefgh.", min_size=1, max_size=8).filter(lambda p: p.strip("."))
roles = st.sampled_from(ROLES)


@given(registrant=people, developers=st.lists(people, max_size=3), role=roles, upper=st.booleans())
def test_a_validation_by_the_registrant_never_counts(
    registrant: str, developers: list[str], role: str, upper: bool
) -> None:
    validator = registrant.upper() if upper else registrant  # one person, whatever the case
    assert not counts_as_independent(
        validator=validator, role=role, registrant=registrant, developers=developers
    )


@given(registrant=people, developers=st.lists(people, min_size=1, max_size=3), data=st.data())
def test_a_validation_by_a_developer_never_counts(
    registrant: str, developers: list[str], data: st.DataObject
) -> None:
    developer = data.draw(st.sampled_from(developers))
    role = data.draw(roles)
    assert not counts_as_independent(
        validator=developer.swapcase(), role=role, registrant=registrant, developers=developers
    )


@given(validator=people, registrant=people, developers=st.lists(people, max_size=3), role=roles)
def test_anyone_else_counts_exactly_when_they_hold_the_validator_role(
    validator: str, registrant: str, developers: list[str], role: str
) -> None:
    involved = {person.casefold() for person in [registrant, *developers]}
    expected = role == VALIDATOR_ROLE and validator.casefold() not in involved
    assert (
        counts_as_independent(
            validator=validator, role=role, registrant=registrant, developers=developers
        )
        is expected
    )


def test_the_developers_are_those_the_card_names_else_the_registrant() -> None:
    assert developers_of(card(), registrant="eng") == ["eng"]
    named = card(extras={"developers": ["ann", "bob"], "authors": "cy"})
    assert developers_of(named, registrant="eng") == ["ann", "bob", "cy"]
    authored = card(provenance={"git_commit": "abc1234", "author": "dee"})
    assert developers_of(authored, registrant="eng") == ["dee"]


def _requiring_independent_validation(tier: str = "regulated") -> Model:
    model = new_model(tier)
    policy = {"required_gates": [*GATES_BY_TIER[tier], INDEPENDENT_VALIDATION]}
    model.change_policy(
        ChangePolicy(name=model.name, risk_tier=tier, policy=policy), by("co", "SR 26-2")
    )
    return model


def _validate(model: Model, version: int, principal: str, *, role: str | None = None) -> None:
    model.record_validation(
        RecordValidation(
            name=model.name, version=version, kind="independent_validation",
            dataset="holdout", metrics={"auc": 0.8}, passed=True,
        ),
        by(principal, role=role),
    )  # fmt: skip


def _gate(model: Model, version: int) -> str | None:
    unmet = [gate for gate in model.unmet_gates(version) if gate == INDEPENDENT_VALIDATION]
    return unmet[0] if unmet else None


def test_the_gate_is_met_only_by_a_validator_who_neither_registered_nor_developed_it() -> None:
    model = _requiring_independent_validation("low")
    extras = {"developers": ["val2"]}
    version = model.register_version(
        RegisterVersion(name=model.name, card=card(extras=extras)), by("eng")
    )
    _validate(model, version, "ds")  # not a validator
    _validate(model, version, "val2")  # a validator, but one who developed it
    _validate(model, version, "eng", role="validator")  # a validator, but who registered it
    assert _gate(model, version) == INDEPENDENT_VALIDATION
    with pytest.raises(ActivationRefusedError, match="independent validator"):
        model.activate(Activate(name=model.name, version=version, environment="staging"), by("ops"))
    _validate(model, version, "val")
    assert _gate(model, version) is None
    assert model.version_by_number(version).validations[-1].role == "validator"


def test_no_tier_requires_independent_validation_by_default_but_every_tier_may() -> None:
    for tier in RISK_TIERS:
        assert INDEPENDENT_VALIDATION not in default_policy_for(tier).required_gates
        required = [*GATES_BY_TIER[tier], INDEPENDENT_VALIDATION]
        assert (
            INDEPENDENT_VALIDATION
            in checked_policy({"required_gates": required}, risk_tier=tier).required_gates
        )


def test_the_revalidation_interval_is_the_tiers_unless_the_policy_says_otherwise() -> None:
    assert dict(REVALIDATION_MONTHS_BY_TIER) == {
        "low": 36, "medium": 24, "high": 12, "regulated": 12,
    }  # fmt: skip
    for tier in RISK_TIERS:
        assert (
            default_policy_for(tier).revalidation_interval_months
            == (REVALIDATION_MONTHS_BY_TIER[tier])
        )
    gates = list(GATES_BY_TIER["medium"])
    assert (
        checked_policy({"required_gates": gates}, risk_tier="medium").revalidation_interval_months
        == 24
    )
    six = checked_policy(
        {"required_gates": gates, "revalidation_interval_months": 6}, risk_tier="medium"
    )
    assert six.revalidation_interval_months == 6
    for bad in (0, 121, "12", True, 1.5):
        with pytest.raises(InvalidValueError, match="revalidation_interval_months"):
            checked_policy(
                {"required_gates": gates, "revalidation_interval_months": bad}, risk_tier="medium"
            )


def test_a_policy_change_sets_the_interval_and_a_tier_change_takes_the_new_tiers() -> None:
    model = new_model("low")
    assert model.policy.revalidation_interval_months == 36
    model.change_policy(ChangePolicy(name=model.name, risk_tier="high"), by("co", "wider use"))
    assert model.policy.revalidation_interval_months == 12
    policy = {"required_gates": list(GATES_BY_TIER["high"]), "revalidation_interval_months": 6}
    model.change_policy(
        ChangePolicy(name=model.name, risk_tier="high", policy=policy), by("co", "examiner's ask")
    )
    assert model.policy.revalidation_interval_months == 6
