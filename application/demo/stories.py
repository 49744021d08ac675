"""The demo portfolio's seven stories, one per model, on a calendar of about four months.

Every step goes through the same commands people and pipelines use, so every rule is exercised.
Two entries are deliberately backdated: an approval given in a meeting and entered days later, and a
cost report for the previous month.
"""

from __future__ import annotations

from decimal import Decimal

from application.demo.seeder import ABTest, Seeder
from domain.commands import (
    Activate,
    ApproveRelease,
    ChangeGamePlan,
    ChangePolicy,
    CloseBreach,
    Deactivate,
    OpenBreach,
    RaiseBiasFlag,
    RejectRelease,
    ReportCost,
    ResolveBiasFlag,
    RetireVersion,
    RollBack,
    SetTarget,
)
from domain.policy import GATES_BY_TIER, INDEPENDENT_VALIDATION

# Days of simulated history before "now"; every story happens within them.
HISTORY_DAYS = 120

# The models the stories register; `modelgov demo --reset` deletes a store holding only these.
DEMO_MODEL_NAMES = (
    "credit-risk-scorer",
    "fraud-detector",
    "churn-predictor",
    "support-ticket-router",
    "demand-forecaster",
    "resume-screener",
    "branch-staffing-planner",
)


def credit_risk_scorer(s: Seeder) -> None:
    """Regulated: two distinct approvers, a sign-off and an independent validation of each release
    (which its policy then requires); a breach, a rollback, a rejected v3."""
    name = "credit-risk-scorer"
    method = "gradient-boosted trees (XGBoost), monotone constraints"
    s.register_model(
        0, name, tier="regulated", owner="Retail Credit",
        description="Scores retail credit applications for probability of default.",
        objective="Cut credit losses by 8% while keeping approval rates stable.",
    )  # fmt: skip
    s.targets(1, name, accuracy_floor=0.78)
    s.register_version(
        3, name, number=1, commit="3f9a1c2",
        features=["income", "debt_to_income", "credit_history_months"],
        note="no protected attributes used as features", ab_test=ABTest(6, auc=0.81), method=method,
    )  # fmt: skip
    s.validate_independently(11, name, 1, auc=0.80, report="MRM-VR-2026-031")
    s.release(
        name, 1,
        approvals=[(8, "priya.raman", "evidence reviewed"), (9, "li.wei", "value case holds")],
        sign_off=(12, "model risk review MR-2026-114"),
        activations=[(13, "staging"), (16, "production")],
    )  # fmt: skip
    s.register_version(
        45, name, number=2, commit="8b20e77",
        features=["income", "debt_to_income", "credit_history_months", "utilisation_ratio"],
        note="utilisation ratio adds signal", ab_test=ABTest(50, auc=0.84, against=1),
        method=method,
    )  # fmt: skip
    s.validate_independently(54, name, 2, auc=0.83, report="MRM-VR-2026-058")
    s.release(
        name, 2,
        approvals=[(52, "priya.raman", "A/B uplift holds"), (52.2, "tom.becker", "second review")],
        sign_off=(55, "model risk review MR-2026-131"),
        activations=[(56, "production")],
    )  # fmt: skip
    s.moment(57, "credit-risk-scorer v2 serving in production")
    s.do(70, OpenBreach(name=name, version=2, environment="production",
        dimension="accuracy", metric="auc", observed_value=0.74), by="ops-pipeline")  # fmt: skip
    s.do(70.1, RollBack(name=name, environment="production", to_version=1),
        by="dana.okafor", reason="critical accuracy breach B-1: AUC 0.74 below 0.78")  # fmt: skip
    s.do(72, CloseBreach(name=name, breach_id="B-1", observed_value=0.8), by="ops-pipeline")
    s.moment(73, "credit-risk-scorer after the rollback")
    s.register_version(
        90, name, number=3, commit="c41d0a9",
        features=["income", "postcode", "credit_history_months"],
        note="postcode improves calibration", method=method,
    )  # fmt: skip
    s.do(93, RejectRelease(name=name, version=3), by="sofia.alvarez",
        reason="postcode is a proxy for ethnicity")  # fmt: skip
    s.do(95, SetTarget(name=name, dimension="accuracy", metric="auc", comparator=">=",
        threshold=0.8, window="moving_average:500", severity="critical"),
        by="priya.raman", reason="tightened after the v2 incident")  # fmt: skip
    s.approve_targets(96, name)
    s.do(98, ChangePolicy(name=name, risk_tier="regulated", policy={
        "required_gates": [*GATES_BY_TIER["regulated"], INDEPENDENT_VALIDATION]}),
        by="sofia.alvarez", reason="SR 26-2: independent validation before any release")  # fmt: skip


def fraud_detector(s: Seeder) -> None:
    """High: a bias flag on the challenger blocks its activation in production."""
    name = "fraud-detector"
    s.register_model(
        2, name, tier="high", owner="Payments Risk",
        description="Flags card transactions for manual fraud review.",
        objective="Catch 90% of fraud value with under 2% of transactions reviewed.",
    )  # fmt: skip
    s.targets(4, name, accuracy_floor=0.9)
    s.register_version(
        5, name, number=1, commit="a11e5b0", features=["amount", "merchant_category", "velocity_1h"],
        note="label delay of 30 days accepted", ab_test=ABTest(9, auc=0.93),
    )  # fmt: skip
    s.release(
        name, 1,
        approvals=[(10, "tom.becker", "precision at 2% review rate")],
        sign_off=(11, "fraud model standard FM-3"),
        activations=[(14, "staging"), (18, "production")],
    )  # fmt: skip
    s.register_version(
        80, name, number=2, commit="d7c3f18",
        features=["amount", "merchant_category", "velocity_1h", "device_age_days"],
        note="device age helps against account takeover", ab_test=ABTest(84, auc=0.95, against=1),
    )  # fmt: skip
    s.release(
        name, 2,
        approvals=[(85, "tom.becker", "A/B uplift holds")],
        sign_off=(86, "fraud model standard FM-3"),
        activations=[(87, "staging")],
    )  # fmt: skip
    s.do(100, RaiseBiasFlag(name=name, version=2, attribute="age_band",
        metric="false_positive_rate_ratio", value=1.62, threshold=1.25),
        by="priya.raman", reason="older customers flagged more often")  # fmt: skip
    s.do(105, Activate(name=name, version=2, environment="production"),
        by="dana.okafor", expect_refusal=True)  # fmt: skip
    s.do(92, ReportCost(name=name, period="2026-09", amount=Decimal("8450.00"), currency="EUR",
        business_unit="Payments Risk", version=1), by="li.wei", backdated_days=5)  # fmt: skip


def churn_predictor(s: Seeder) -> None:
    """Medium: a bias flag resolved by retraining; the retrained version replaces the flagged one;
    the accuracy floor loosened four days before a breach."""
    name = "churn-predictor"
    s.register_model(
        5, name, tier="medium", owner="Retail Marketing",
        description="Predicts which current-account customers will leave within 90 days.",
        objective="Retain 5,000 more customers a year through targeted offers.",
    )  # fmt: skip
    s.targets(6, name, accuracy_floor=0.72)
    s.register_version(
        8, name, number=1, commit="5e6f7a8", features=["tenure_months", "balance_trend", "age"],
        note="monthly refresh", ab_test=ABTest(12, auc=0.76),
    )  # fmt: skip
    s.release(
        name, 1,
        approvals=[(14, "priya.raman", "offer targeting pilot")],
        activations=[(15, "production")],
    )  # fmt: skip
    s.do(40, RaiseBiasFlag(name=name, version=1, attribute="age",
        metric="demographic_parity_difference", value=0.14, threshold=0.1),
        by="tom.becker")  # fmt: skip
    s.do(47, ResolveBiasFlag(name=name, flag_id="BF-1", resolution="retrain"),
        by="priya.raman", reason="retrain without age; v2 replaces v1")  # fmt: skip
    s.register_version(
        58, name, number=2, commit="9a0b1c2",
        features=["tenure_months", "balance_trend", "product_count"],
        note="age removed after bias flag BF-1", ab_test=ABTest(62, auc=0.75, against=1),
    )  # fmt: skip
    s.release(
        name, 2,
        approvals=[(63, "tom.becker", "parity within 0.03")],
        activations=[(64, "production")],
    )  # fmt: skip
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
    for day, period, amount in ((62, "2026-08", "3100.00"), (93, "2026-09", "2950.00")):
        s.do(day, ReportCost(name=name, period=period, amount=Decimal(amount), currency="EUR",
            business_unit="Retail Marketing", version=2 if day > 64 else 1),
            by="jonas.berg")  # fmt: skip


def support_ticket_router(s: Seeder) -> None:
    """Low: an approval given in a meeting and entered later; a latency breach that recovered; a bias
    flag accepted rather than retrained."""
    name = "support-ticket-router"
    s.register_model(
        10, name, tier="low", owner="Customer Service",
        description="Routes incoming support tickets to the right queue.",
        objective="Halve time-to-first-response.",
    )  # fmt: skip
    s.register_version(
        11, name, number=1, commit="0c0ffee", features=["ticket_text_embedding", "channel"],
        note="English and German tickets only",
    )  # fmt: skip
    s.do(12, SetTarget(name=name, dimension="performance", metric="latency_p99_ms",
        comparator="<=", threshold=120.0, window="moving_average_minutes:5",
        severity="warning", unit="ms"), by="priya.raman")  # fmt: skip
    s.do(18, ApproveRelease(name=name, version=1), by="priya.raman",
        reason="agreed in the 12th-day review", backdated_days=4)  # fmt: skip
    s.do(19, Activate(name=name, version=1, environment="production"), by="dana.okafor")
    s.do(66, OpenBreach(name=name, version=1, environment="production",
        dimension="performance", metric="latency_p99_ms", observed_value=310.0),
        by="ops-pipeline")  # fmt: skip
    s.do(66.5, CloseBreach(name=name, breach_id="B-1", observed_value=95.0), by="ops-pipeline")
    s.do(70, RaiseBiasFlag(name=name, version=1, attribute="language",
        metric="accuracy_gap", value=0.06, threshold=0.05), by="priya.raman",
        reason="German tickets misrouted more often")  # fmt: skip
    s.do(72, ResolveBiasFlag(name=name, flag_id="BF-1", resolution="accept_risk"),
        by="sofia.alvarez", reason="gap within tolerance; reviewed monthly")  # fmt: skip


def demand_forecaster(s: Seeder) -> None:
    """Medium, reclassified high after activation: the active version misses the new gates."""
    name = "demand-forecaster"
    s.register_model(
        20, name, tier="medium", owner="Treasury Operations",
        description="Forecasts daily cash demand per branch and ATM.",
        objective="Reduce idle cash by 15%.",
    )  # fmt: skip
    s.targets(21, name, accuracy_floor=0.85)
    s.register_version(
        22, name, number=1, commit="f00dbab", features=["weekday", "holiday", "payday", "branch_id"],
        note="holiday calendar maintained by Treasury", ab_test=ABTest(25, auc=0.88),
    )  # fmt: skip
    s.release(
        name, 1,
        approvals=[(26, "tom.becker", "backtest on 2025")],
        activations=[(27, "production")],
    )  # fmt: skip
    s.register_version(
        74, name, number=2, commit="beefcaf",
        features=["weekday", "holiday", "payday", "branch_id", "weather"],
        note="weather feed from a vendor",
        ab_test=ABTest(78, auc=0.83, passed=False, against=1),
    )  # fmt: skip
    s.do(79, RetireVersion(name=name, version=2), by="marco.bianchi",
        reason="failed A/B against v1")  # fmt: skip
    s.do(108, ChangePolicy(name=name, risk_tier="high", policy=None),
        by="sofia.alvarez",
        reason="cash forecasts now feed regulatory liquidity reports")  # fmt: skip


def resume_screener(s: Seeder) -> None:
    """Regulated, not yet live: a rejection, then a version waiting for a second approver and sign-off."""
    name = "resume-screener"
    s.register_model(
        30, name, tier="regulated", owner="People & Talent",
        description="Ranks job applications for recruiter review.",
        objective="Cut screening time per vacancy from 6 hours to 1.",
    )  # fmt: skip
    s.targets(31, name, accuracy_floor=0.7)
    s.register_version(
        33, name, number=1, commit="1234abc",
        features=["skills_match", "years_experience", "gap_months"],
        note="career gaps used as a feature",
    )  # fmt: skip
    s.do(37, RejectRelease(name=name, version=1), by="sofia.alvarez",
        reason="career gaps penalise carers")  # fmt: skip
    s.register_version(
        60, name, number=2, commit="5678def", features=["skills_match", "years_experience"],
        note="career gaps removed", ab_test=ABTest(65, auc=0.74, against=1),
    )  # fmt: skip
    s.release(name, 2, approvals=[(68, "priya.raman", "fairness review passed")])
    s.do(110, Activate(name=name, version=2, environment="staging"), by="dana.okafor",
        expect_refusal=True)  # fmt: skip


def branch_staffing_planner(s: Seeder) -> None:
    """Low, retired: served production for two months, then decommissioned; it stays in the
    inventory with its card, its usage and why it was retired."""
    name = "branch-staffing-planner"
    s.register_model(
        1, name, tier="low", owner="Branch Network",
        description="Planned branch counter staffing from expected footfall.",
        objective="Match counter staff to footfall within 10%.",
    )  # fmt: skip
    s.register_version(
        2, name, number=1, commit="b7a2c55", features=["weekday", "payday", "branch_id"],
        note="footfall counters in 40 branches", method="Poisson regression",
    )  # fmt: skip
    s.release(name, 1, approvals=[(3, "tom.becker", "staffing pilot")],
              activations=[(4, "production")])  # fmt: skip
    s.do(66, Deactivate(name=name, version=1, environment="production"), by="dana.okafor",
        reason="branch staffing now planned from demand-forecaster's branch forecasts")  # fmt: skip
    s.do(67, RetireVersion(name=name, version=1), by="marco.bianchi",
        reason="model decommissioned; kept in the inventory")  # fmt: skip


STORIES = (
    credit_risk_scorer,
    fraud_detector,
    churn_predictor,
    support_ticket_router,
    demand_forecaster,
    resume_screener,
    branch_staffing_planner,
)
