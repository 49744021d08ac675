"""The demo portfolio's seven stories, one per model, on a calendar of about four months.

What every model lives through (its registration, targets, versions and their releases) is data in
portfolio.toml; what is particular to each story (incidents, refusals, breaches) is written here.
Every step goes through the same commands people and pipelines use, so every rule is exercised.
Two entries are deliberately backdated: an approval given in a meeting and entered days later, and a
cost report for the previous month.
"""

from __future__ import annotations

from collections.abc import Callable

from application.demo.seeder import Seeder
from domain.commands import (
    Activate,
    ChangeGamePlan,
    ChangePolicy,
    CloseBreach,
    Deactivate,
    OpenBreach,
    RaiseBiasFlag,
    RejectRelease,
    ResolveBiasFlag,
    RetireVersion,
    RollBack,
    SetTarget,
)
from domain.policy import GATES_BY_TIER, INDEPENDENT_VALIDATION

# Days of simulated history before "now"; every story happens within them.
HISTORY_DAYS = 120


def credit_risk_scorer(s: Seeder, name: str) -> None:
    """Regulated: two distinct approvers, a sign-off and an independent validation of each release
    (which its policy then requires); a breach, a rollback, a rejected v3."""
    s.moment(57, "credit-risk-scorer v2 serving in production")
    s.do(70, OpenBreach(name=name, version=2, environment="production",
        dimension="accuracy", metric="auc", observed_value=0.74), by="ops-pipeline")  # fmt: skip
    s.do(70.1, RollBack(name=name, environment="production", to_version=1),
        by="dana.okafor", reason="critical accuracy breach B-1: AUC 0.74 below 0.78")  # fmt: skip
    s.do(72, CloseBreach(name=name, breach_id="B-1", observed_value=0.8), by="ops-pipeline")
    s.moment(73, "credit-risk-scorer after the rollback")
    s.do(93, RejectRelease(name=name, version=3), by="sofia.alvarez",
        reason="postcode is a proxy for ethnicity")  # fmt: skip
    s.do(95, SetTarget(name=name, dimension="accuracy", metric="auc", comparator=">=",
        threshold=0.8, window="moving_average:500", severity="critical"),
        by="priya.raman", reason="tightened after the v2 incident")  # fmt: skip
    s.approve_targets(96, name)
    s.do(98, ChangePolicy(name=name, risk_tier="regulated", policy={
        "required_gates": [*GATES_BY_TIER["regulated"], INDEPENDENT_VALIDATION]}),
        by="sofia.alvarez", reason="SR 26-2: independent validation before any release")  # fmt: skip


def fraud_detector(s: Seeder, name: str) -> None:
    """High: a bias flag on the challenger blocks its activation in production."""
    s.do(100, RaiseBiasFlag(name=name, version=2, attribute="age_band",
        metric="false_positive_rate_ratio", value=1.62, threshold=1.25),
        by="priya.raman", reason="older customers flagged more often")  # fmt: skip
    s.do(105, Activate(name=name, version=2, environment="production"),
        by="dana.okafor", expect_refusal=True)  # fmt: skip


def churn_predictor(s: Seeder, name: str) -> None:
    """Medium: a bias flag resolved by retraining; the retrained version replaces the flagged one;
    the accuracy floor loosened four days before a breach."""
    s.do(40, RaiseBiasFlag(name=name, version=1, attribute="age",
        metric="demographic_parity_difference", value=0.14, threshold=0.1),
        by="tom.becker")  # fmt: skip
    s.do(47, ResolveBiasFlag(name=name, flag_id="BF-1", resolution="retrain"),
        by="priya.raman", reason="retrain without age; v2 replaces v1")  # fmt: skip
    s.do(80, SetTarget(name=name, dimension="accuracy", metric="auc", comparator=">=",
        threshold=0.7, window="moving_average:500", severity="critical"),
        by="priya.raman", reason="holiday season lowers accuracy")  # fmt: skip
    s.do(84, OpenBreach(name=name, version=2, environment="production",
        dimension="accuracy", metric="auc", observed_value=0.66), by="ops-pipeline")  # fmt: skip
    s.do(85, CloseBreach(name=name, breach_id="B-1", observed_value=0.73), by="ops-pipeline")
    s.do(100, ChangeGamePlan(name=name,
        game_plan={"responses": [{"dimension": "accuracy", "environment": "production",
                                  "min_severity": "critical", "action": "roll_back"}]}),
        by="sofia.alvarez",
        reason="roll back on a critical accuracy breach in production; page if there is no way back")  # fmt: skip


def support_ticket_router(s: Seeder, name: str) -> None:
    """Low: an approval given in a meeting and entered later; a latency breach that recovered; a bias
    flag accepted rather than retrained."""
    s.do(12, SetTarget(name=name, dimension="performance", metric="latency_p99_ms",
        comparator="<=", threshold=120.0, window="moving_average_minutes:5",
        severity="warning", unit="ms"), by="priya.raman")  # fmt: skip
    s.do(66, OpenBreach(name=name, version=1, environment="production",
        dimension="performance", metric="latency_p99_ms", observed_value=310.0),
        by="ops-pipeline")  # fmt: skip
    s.do(66.5, CloseBreach(name=name, breach_id="B-1", observed_value=95.0), by="ops-pipeline")
    s.do(70, RaiseBiasFlag(name=name, version=1, attribute="language",
        metric="accuracy_gap", value=0.06, threshold=0.05), by="priya.raman",
        reason="German tickets misrouted more often")  # fmt: skip
    s.do(72, ResolveBiasFlag(name=name, flag_id="BF-1", resolution="accept_risk"),
        by="sofia.alvarez", reason="gap within tolerance; reviewed monthly")  # fmt: skip


def demand_forecaster(s: Seeder, name: str) -> None:
    """Medium, reclassified high after activation: the active version misses the new gates."""
    s.do(79, RetireVersion(name=name, version=2), by="marco.bianchi",
        reason="failed A/B against v1")  # fmt: skip
    s.do(108, ChangePolicy(name=name, risk_tier="high", policy=None),
        by="sofia.alvarez",
        reason="cash forecasts now feed regulatory liquidity reports")  # fmt: skip


def resume_screener(s: Seeder, name: str) -> None:
    """Regulated, not yet live: a rejection, then a version waiting for a second approver and sign-off."""
    s.do(37, RejectRelease(name=name, version=1), by="sofia.alvarez",
        reason="career gaps penalise carers")  # fmt: skip
    s.do(110, Activate(name=name, version=2, environment="staging"), by="dana.okafor",
        expect_refusal=True)  # fmt: skip


def branch_staffing_planner(s: Seeder, name: str) -> None:
    """Low, retired: served production for two months, then decommissioned; it stays in the
    inventory with its card, its usage and why it was retired."""
    s.do(66, Deactivate(name=name, version=1, environment="production"), by="dana.okafor",
        reason="branch staffing now planned from demand-forecaster's branch forecasts")  # fmt: skip
    s.do(67, RetireVersion(name=name, version=1), by="marco.bianchi",
        reason="model decommissioned; kept in the inventory")  # fmt: skip


# Each model's story after its common life (portfolio.toml), in the order the models are seeded.
STORIES: dict[str, Callable[[Seeder, str], None]] = {
    "credit-risk-scorer": credit_risk_scorer,
    "fraud-detector": fraud_detector,
    "churn-predictor": churn_predictor,
    "support-ticket-router": support_ticket_router,
    "demand-forecaster": demand_forecaster,
    "resume-screener": resume_screener,
    "branch-staffing-planner": branch_staffing_planner,
}

# The models the stories register; `modelgov demo --reset` deletes a store holding only these.
DEMO_MODEL_NAMES = tuple(STORIES)
