"""The demo portfolio: six models across every risk tier with a realistic lifecycle history.

Everything goes through the same commands people and pipelines use, so every rule is exercised.
Two entries are deliberately backdated (an approval given in a meeting, a cost report for last month).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from application.governance import Governance
from domain.errors import ActivationRefusedError
from domain.values import Attribution

PEOPLE = {
    "priya.raman": "data_scientist",
    "tom.becker": "data_scientist",
    "marco.bianchi": "ml_engineer",
    "dana.okafor": "devops_engineer",
    "ops-pipeline": "itops_engineer",
    "jonas.berg": "data_engineer",
    "li.wei": "business_owner",
    "sofia.alvarez": "compliance_officer",
    "governance-admin": "admin",
}


@dataclass
class DemoSummary:
    """What the seeding did, for the CLI to tell the newcomer."""

    models: list[str] = field(default_factory=list)
    events: int = 0
    refusals: list[str] = field(default_factory=list)
    moments: dict[str, datetime] = field(default_factory=dict)


class _Seeder:
    def __init__(self, app: Governance, clock: Callable[[], datetime]) -> None:
        self.app = app
        self.clock = clock
        self.summary = DemoSummary()
        self._request = 0

    def by(
        self, principal: str, reason: str = "", *, effective_at: datetime | None = None
    ) -> Attribution:
        self._request += 1
        return Attribution(
            principal=principal,
            role=PEOPLE[principal],
            correlation_id=f"demo-{self._request:04d}",
            effective_at=effective_at or self.clock(),
            reason=reason,
        )

    def model(self, name: str, tier: str, description: str, objective: str, owner: str) -> None:
        self.app.register_model(
            name=name,
            description=description,
            owner=owner,
            business_objective=objective,
            risk_tier=tier,
            stakeholders=[
                {
                    "name": "Li Wei",
                    "email": "li.wei@northwind-bank.example",
                    "role": "business_owner",
                },
                {
                    "name": "Sofia Alvarez",
                    "email": "sofia.alvarez@northwind-bank.example",
                    "role": "compliance_officer",
                },
            ],
            by=self.by("marco.bianchi", "new model for the portfolio"),
        )
        self.summary.models.append(name)

    def version(self, name: str, *, commit: str, features: list[str], note: str) -> int:
        number = self.app.get_model(name).version  # only to vary the digest per registration
        digest = hashlib.sha256(f"{name}:{commit}:{number}".encode()).hexdigest()
        return self.app.register_version(
            name,
            card={
                "artifact_uri": f"s3://northwind-models/{name}/{commit}/model.onnx",
                "artifact_sha256": digest,
                "features": features,
                "labels": ["outcome"],
                "training_data": [f"warehouse://features/{name}/snapshot-{commit}"],
                "assumptions": ["training population resembles current applicants", note],
                "documentation_url": f"https://wiki.northwind-bank.example/models/{name}",
                "provenance": {
                    "git_commit": commit,
                    "pull_request": f"https://git.northwind-bank.example/ml/{name}/pull/{number + 40}",
                    "pipeline_run": f"ci-{number + 9000}",
                },
            },
            by=self.by("marco.bianchi"),
        ).value

    def full_targets(self, name: str, *, accuracy_floor: float) -> None:
        targets: list[dict[str, Any]] = [
            {
                "dimension": "performance",
                "metric": "latency_p99_ms",
                "comparator": "<=",
                "threshold": 250.0,
                "window": "moving_average_minutes:15",
                "severity": "warning",
                "unit": "ms",
            },
            {
                "dimension": "accuracy",
                "metric": "auc",
                "comparator": ">=",
                "threshold": accuracy_floor,
                "window": "moving_average:500",
                "severity": "critical",
                "unit": "",
            },
            {
                "dimension": "governance",
                "metric": "disparate_impact_ratio",
                "comparator": ">=",
                "threshold": 0.8,
                "window": "moving_average:1000",
                "severity": "critical",
                "unit": "",
            },
            {
                "dimension": "cost",
                "metric": "monthly_cost_eur",
                "comparator": "<=",
                "threshold": 12000.0,
                "window": "last",
                "severity": "warning",
                "unit": "EUR",
            },
        ]
        for target in targets:
            self.app.set_target(name, **target, by=self.by("priya.raman", "production targets"))
        self.approve_targets(name)

    def approve_targets(self, name: str) -> None:
        revision = self.app.get_model(name).targets_revision
        self.app.approve_targets(
            name, revision=revision, by=self.by("priya.raman", "targets reviewed")
        )
        self.app.approve_targets(name, revision=revision, by=self.by("li.wei", "value case holds"))

    def ab_test(
        self, name: str, version: int, *, against: int | None, auc: float, passed: bool
    ) -> None:
        self.app.record_validation(
            name,
            version=version,
            kind="ab_test",
            dataset="holdout-2026-q3",
            metrics={"auc": auc, "uplift_pct": round((auc - 0.8) * 100, 2)},
            passed=passed,
            compared_to=against,
            by=self.by("marco.bianchi"),
        )

    def approve(self, name: str, version: int, *approvers: str) -> None:
        for person in approvers:
            self.app.approve_release(name, version=version, by=self.by(person, "evidence reviewed"))

    def activate(self, name: str, version: int, environment: str) -> None:
        self.app.activate(name, version=version, environment=environment, by=self.by("dana.okafor"))

    def try_activate(self, name: str, version: int, environment: str) -> None:
        try:
            self.activate(name, version, environment)
        except ActivationRefusedError as refusal:
            self.summary.refusals.append(f"{name}: {refusal}")


def seed_demo_portfolio(app: Governance, *, clock: Callable[[], datetime]) -> DemoSummary:
    """Record the demo portfolio through the application's commands; returns what it did."""
    s = _Seeder(app, clock)

    # 1. Regulated: credit decisions. Two distinct approvers, sign-off, a rollback after a breach.
    name = "credit-risk-scorer"
    s.model(
        name,
        "regulated",
        "Scores retail credit applications for probability of default.",
        "Cut credit losses by 8% while keeping approval rates stable.",
        "Retail Credit",
    )
    s.full_targets(name, accuracy_floor=0.78)
    v1 = s.version(
        name,
        commit="3f9a1c2",
        features=["income", "debt_to_income", "credit_history_months"],
        note="no protected attributes used as features",
    )
    s.ab_test(name, v1, against=None, auc=0.81, passed=True)
    s.approve(name, v1, "priya.raman", "li.wei")
    app.sign_off(name, version=v1, by=s.by("sofia.alvarez", "model risk review MR-2026-114 passed"))
    s.activate(name, v1, "staging")
    s.activate(name, v1, "production")
    v2 = s.version(
        name,
        commit="8b20e77",
        features=["income", "debt_to_income", "credit_history_months", "utilisation_ratio"],
        note="utilisation adds signal",
    )
    s.ab_test(name, v2, against=v1, auc=0.84, passed=True)
    s.approve(name, v2, "priya.raman", "tom.becker")
    app.sign_off(name, version=v2, by=s.by("sofia.alvarez", "model risk review MR-2026-131 passed"))
    s.activate(name, v2, "production")
    s.summary.moments["credit-risk-scorer v2 live"] = clock()
    breach = app.open_breach(
        name,
        version=v2,
        environment="production",
        dimension="accuracy",
        metric="auc",
        observed_value=0.74,
        by=s.by("ops-pipeline"),
    ).value
    app.roll_back(
        name,
        environment="production",
        to_version=v1,
        by=s.by("dana.okafor", f"critical accuracy breach {breach}: AUC 0.74 below 0.78"),
    )
    app.close_breach(name, breach_id=breach, observed_value=0.80, by=s.by("ops-pipeline"))
    v3 = s.version(
        name,
        commit="c41d0a9",
        features=["income", "postcode", "credit_history_months"],
        note="postcode improves calibration",
    )
    app.reject_release(
        name, version=v3, by=s.by("sofia.alvarez", "postcode is a proxy for ethnicity")
    )
    app.set_target(
        name,
        dimension="accuracy",
        metric="auc",
        comparator=">=",
        threshold=0.8,
        window="moving_average:500",
        severity="critical",
        by=s.by("priya.raman", "tightened after the v2 incident"),
    )
    s.approve_targets(name)

    # 2. High: fraud detection. A bias flag on the challenger blocks its activation.
    name = "fraud-detector"
    s.model(
        name,
        "high",
        "Flags card transactions for manual fraud review.",
        "Catch 90% of fraud value with under 2% of transactions reviewed.",
        "Payments Risk",
    )
    s.full_targets(name, accuracy_floor=0.9)
    v1 = s.version(
        name,
        commit="a11e5b0",
        features=["amount", "merchant_category", "velocity_1h"],
        note="label delay of 30 days accepted",
    )
    s.ab_test(name, v1, against=None, auc=0.93, passed=True)
    s.approve(name, v1, "tom.becker")
    app.sign_off(name, version=v1, by=s.by("sofia.alvarez"))
    s.activate(name, v1, "staging")
    s.activate(name, v1, "production")
    v2 = s.version(
        name,
        commit="d7c3f18",
        features=["amount", "merchant_category", "velocity_1h", "device_age_days"],
        note="device age helps",
    )
    s.ab_test(name, v2, against=v1, auc=0.95, passed=True)
    s.approve(name, v2, "tom.becker")
    app.sign_off(name, version=v2, by=s.by("sofia.alvarez"))
    s.activate(name, v2, "staging")
    app.raise_bias_flag(
        name,
        version=v2,
        attribute="age_band",
        metric="false_positive_rate_ratio",
        value=1.62,
        threshold=1.25,
        by=s.by("priya.raman", "older customers flagged more"),
    )
    s.try_activate(name, v2, "production")
    app.report_cost(
        name,
        period="2026-10",
        amount="8450.00",
        currency="EUR",
        business_unit="Payments Risk",
        version=v1,
        by=s.by("li.wei", effective_at=clock() - timedelta(days=27)),
    )

    # 3. Medium: churn. A bias flag resolved by retraining; the retrained version goes live.
    name = "churn-predictor"
    s.model(
        name,
        "medium",
        "Predicts which current-account customers will leave within 90 days.",
        "Retain 5,000 more customers a year through targeted offers.",
        "Retail Marketing",
    )
    s.full_targets(name, accuracy_floor=0.72)
    v1 = s.version(
        name,
        commit="5e6f7a8",
        features=["tenure_months", "balance_trend", "age"],
        note="monthly refresh",
    )
    s.ab_test(name, v1, against=None, auc=0.76, passed=True)
    s.approve(name, v1, "priya.raman")
    s.activate(name, v1, "production")
    flag = app.raise_bias_flag(
        name,
        version=v1,
        attribute="age",
        metric="demographic_parity_difference",
        value=0.14,
        threshold=0.1,
        by=s.by("tom.becker"),
    ).value
    app.resolve_bias_flag(
        name,
        flag_id=flag,
        resolution="retrain",
        by=s.by("priya.raman", "retrain without age; v2 replaces v1"),
    )
    v2 = s.version(
        name,
        commit="9a0b1c2",
        features=["tenure_months", "balance_trend", "product_count"],
        note="age removed after bias flag",
    )
    s.ab_test(name, v2, against=v1, auc=0.75, passed=True)
    s.approve(name, v2, "tom.becker")
    s.activate(name, v2, "production")
    for period, amount in (("2026-09", "3100.00"), ("2026-10", "2950.00")):
        app.report_cost(
            name,
            period=period,
            amount=amount,
            currency="EUR",
            business_unit="Retail Marketing",
            version=v2,
            by=s.by("jonas.berg"),
        )

    # 4. Low: ticket routing. A latency breach that recovered.
    name = "support-ticket-router"
    s.model(
        name,
        "low",
        "Routes incoming support tickets to the right queue.",
        "Halve time-to-first-response.",
        "Customer Service",
    )
    v1 = s.version(
        name,
        commit="0c0ffee",
        features=["ticket_text_embedding", "channel"],
        note="English and German tickets only",
    )
    app.set_target(
        name,
        dimension="performance",
        metric="latency_p99_ms",
        comparator="<=",
        threshold=120.0,
        window="moving_average_minutes:5",
        severity="warning",
        unit="ms",
        by=s.by("priya.raman"),
    )
    app.approve_release(
        name,
        version=v1,
        by=s.by(
            "priya.raman", "fine for a low-risk router", effective_at=clock() - timedelta(days=3)
        ),
    )
    s.activate(name, v1, "production")
    breach = app.open_breach(
        name,
        version=v1,
        environment="production",
        dimension="performance",
        metric="latency_p99_ms",
        observed_value=310.0,
        by=s.by("ops-pipeline"),
    ).value
    app.close_breach(name, breach_id=breach, observed_value=95.0, by=s.by("ops-pipeline"))

    # 5. Medium, then reclassified high: the policy got stricter after activation.
    name = "demand-forecaster"
    s.model(
        name,
        "medium",
        "Forecasts daily cash demand per branch and ATM.",
        "Reduce idle cash by 15%.",
        "Treasury Operations",
    )
    s.full_targets(name, accuracy_floor=0.85)
    v1 = s.version(
        name,
        commit="f00dbab",
        features=["weekday", "holiday", "payday", "branch_id"],
        note="holiday calendar maintained by Treasury",
    )
    s.ab_test(name, v1, against=None, auc=0.88, passed=True)
    s.approve(name, v1, "tom.becker")
    s.activate(name, v1, "production")
    v2 = s.version(
        name,
        commit="beefcaf",
        features=["weekday", "holiday", "payday", "branch_id", "weather"],
        note="weather feed from vendor",
    )
    s.ab_test(name, v2, against=v1, auc=0.83, passed=False)
    app.retire_version(name, version=v2, by=s.by("marco.bianchi", "failed A/B against v1"))
    app.change_policy(
        name,
        risk_tier="high",
        policy=None,
        by=s.by("sofia.alvarez", "cash forecasts now feed regulatory liquidity reports"),
    )

    # 6. Regulated, not yet live: CV screening waits for sign-off after a rejection.
    name = "resume-screener"
    s.model(
        name,
        "regulated",
        "Ranks job applications for recruiter review.",
        "Cut screening time per vacancy from 6 hours to 1.",
        "People & Talent",
    )
    s.full_targets(name, accuracy_floor=0.7)
    v1 = s.version(
        name,
        commit="1234abc",
        features=["skills_match", "years_experience", "gap_months"],
        note="career gaps used as a feature",
    )
    app.reject_release(name, version=v1, by=s.by("sofia.alvarez", "career gaps penalise carers"))
    v2 = s.version(
        name,
        commit="5678def",
        features=["skills_match", "years_experience"],
        note="career gaps removed",
    )
    s.ab_test(name, v2, against=v1, auc=0.74, passed=True)
    s.approve(name, v2, "priya.raman")
    s.try_activate(name, v2, "staging")

    s.summary.events = sum(app.get_model(model).version for model in s.summary.models)
    return s.summary
