"""The simulated history the demo, the test factories and the benchmarks build from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from application.demo.simulation import (
    PEOPLE,
    Attributions,
    Clock,
    ModelLife,
    model_card,
    person_in,
    production_targets,
)
from domain.roles import ROLES

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def life(tier: str = "high", *, record_at_clock: bool = False) -> ModelLife:
    return ModelLife(
        "credit-scorer", tier=tier, clock=Clock(START), owner="Retail Credit",
        record_at_clock=record_at_clock,
    )  # fmt: skip


def release(model_life: ModelLife, *, passed: bool = True) -> int:
    number = len(model_life.model.versions) + 1
    card = model_card("credit-scorer", number=number, commit=f"{number:07x}", features=["income"])
    return model_life.release_version(card, dataset="holdout", metrics={"auc": 0.81}, passed=passed)


def test_attributions_take_the_principal_s_role_and_number_their_correlation_ids() -> None:
    attributions = Attributions(prefix="demo-", digits=4)
    first = attributions.by("li.wei", "value case holds", at=START)
    second = attributions.by("priya.raman", at=START, recorded_at=START + timedelta(days=2))
    assert (first.role, first.correlation_id, first.recorded_at) == (
        "business_owner",
        "demo-0001",
        None,
    )
    assert (second.role, second.correlation_id) == ("data_scientist", "demo-0002")
    assert second.recorded_at == START + timedelta(days=2)


def test_the_person_in_a_role_is_the_first_of_the_cast_who_holds_it() -> None:
    assert person_in("data_scientist") == "priya.raman"
    assert all(PEOPLE[person_in(role)] == role for role in set(PEOPLE.values()))


def test_production_targets_cover_every_dimension_and_take_a_window_and_severity_for_all() -> None:
    targets = production_targets(accuracy_floor=0.7, window="last", severity="critical")
    assert [t["dimension"] for t in targets] == ["performance", "accuracy", "governance", "cost"]
    assert targets[1]["threshold"] == 0.7
    assert {(t["window"], t["severity"]) for t in targets} == {("last", "critical")}


def test_a_model_life_takes_each_step_an_hour_after_the_previous_one() -> None:
    model_life = life(record_at_clock=True)
    model_life.set_targets(production_targets(), "production targets")
    events = model_life.model.pending_events
    assert [e.effective_at for e in events] == [START + timedelta(hours=h) for h in range(1, 6)]
    assert [e.actor for e in events] == ["marco.bianchi"] + ["priya.raman"] * 4


def test_a_released_version_is_signed_off_in_the_high_tier_and_serves_in_both_environments() -> (
    None
):
    model_life = life("high")
    model_life.set_targets(production_targets(), "production targets")
    number = release(model_life)
    model = model_life.model
    assert model.active == {"staging": number, "production": number}
    assert model.unmet_gates(number) == []


def test_a_failed_a_b_test_rejects_the_release_and_activates_nothing() -> None:
    model_life = life("low")
    number = release(model_life, passed=False)
    assert model_life.model.versions[number - 1].rejected
    assert model_life.model.active == {}


def test_the_cast_has_someone_in_every_role() -> None:
    """The demo hands out a token per role (modelgov demo): a role without a person broke it."""
    # but the auditor, an outsider, and the metrics scraper, a Prometheus server: not of the cast
    # (serve_commands.DEMO_AUDITOR, DEMO_SCRAPER)
    assert set(ROLES) - set(PEOPLE.values()) == {"auditor", "metrics_scraper"}
