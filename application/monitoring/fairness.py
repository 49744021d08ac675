"""Fairness metrics from per-group figures, and the bias flags they raise beyond their target.

Per-group figures arrive as observations with a `group` ("sex=female"): either rates
(`selection_rate`, `true_positive_rate`, `false_positive_rate`) or confusion counts (`tp`, `fp`,
`tn`, `fn`), all groups of one attribute observed at the same time. From them:

- demographic parity difference: the largest minus the smallest selection rate;
- disparate impact ratio: the smallest selection rate over the largest;
- equalized odds difference: the larger of the spreads of true and of false positive rates.

A governance target on one of these metrics that the figure fails raises a bias flag on the
version, with the per-group figures as evidence, unless one is already open for the same
version, attribute and metric.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from application.monitoring.observations import Observation
from domain.instants import utc_text
from domain.model import Model
from domain.values import satisfies

DEMOGRAPHIC_PARITY_DIFFERENCE = "demographic_parity_difference"
DISPARATE_IMPACT_RATIO = "disparate_impact_ratio"
EQUALIZED_ODDS_DIFFERENCE = "equalized_odds_difference"
FAIRNESS_METRICS = (
    DEMOGRAPHIC_PARITY_DIFFERENCE,
    DISPARATE_IMPACT_RATIO,
    EQUALIZED_ODDS_DIFFERENCE,
)
RATES = ("selection_rate", "true_positive_rate", "false_positive_rate")
COUNTS = ("tp", "fp", "tn", "fn")


def group_rates(figures: Mapping[str, float]) -> dict[str, float]:
    """Selection, true- and false-positive rates of one group, from rates or confusion counts."""
    rates = {name: figures[name] for name in RATES if name in figures}
    if all(name in figures for name in COUNTS):
        tp, fp, tn, fn = (figures[name] for name in COUNTS)
        total = tp + fp + tn + fn
        if total > 0:
            rates.setdefault("selection_rate", (tp + fp) / total)
        if tp + fn > 0:
            rates.setdefault("true_positive_rate", tp / (tp + fn))
        if fp + tn > 0:
            rates.setdefault("false_positive_rate", fp / (fp + tn))
    return rates


def fairness_metrics(groups: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """The fairness metrics the groups' figures allow (at least two groups are needed for any)."""
    rates = {group: group_rates(figures) for group, figures in groups.items()}

    def spread(rate: str) -> float | None:
        values = [r[rate] for r in rates.values() if rate in r]
        return max(values) - min(values) if len(values) >= 2 and len(values) == len(rates) else None

    metrics: dict[str, float] = {}
    selection = [r["selection_rate"] for r in rates.values() if "selection_rate" in r]
    if len(selection) >= 2 and len(selection) == len(rates):
        metrics[DEMOGRAPHIC_PARITY_DIFFERENCE] = max(selection) - min(selection)
        if max(selection) > 0:
            metrics[DISPARATE_IMPACT_RATIO] = min(selection) / max(selection)
    tpr, fpr = spread("true_positive_rate"), spread("false_positive_rate")
    if tpr is not None and fpr is not None:
        metrics[EQUALIZED_ODDS_DIFFERENCE] = max(tpr, fpr)
    return metrics


@dataclass(frozen=True)
class FlagJudgement:
    """A bias flag to raise on a version, with the figures behind it."""

    version: int
    attribute: str
    metric: str
    value: float
    threshold: float
    at: datetime
    evidence: dict[str, Any]
    position: int


def judge_fairness(model: Model, observations: Sequence[Observation]) -> list[FlagJudgement]:
    """Bias flags raised by the batch's per-group figures, at most one per version/attribute/metric."""
    moments: dict[tuple[int, str, str, datetime], dict[str, dict[str, float]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    positions: dict[tuple[int, str, str, datetime], int] = {}
    for o in observations:
        if o.group is None or o.attribute is None:
            continue
        moment = (o.version, o.environment, o.attribute, o.observed_at)
        moments[moment][o.group.split("=", 1)[1]][o.metric] = o.value
        positions[moment] = max(positions.get(moment, 0), o.position)
    flagged = {(flag.version, flag.attribute, flag.metric) for flag in model.open_bias_flags()}
    judgements = []
    for moment in sorted(moments):
        version, environment, attribute, at = moment
        groups = moments[moment]
        for metric, value in sorted(fairness_metrics(groups).items()):
            target = model.target_in_force("governance", metric, at=at)
            if target is None or satisfies(value, target.comparator, target.threshold):
                continue
            if (version, attribute, metric) in flagged:
                continue
            flagged.add((version, attribute, metric))
            evidence = {
                "environment": environment,
                "observed_at": utc_text(at),
                "target": f"{metric} {target.comparator} {target.threshold:g}",
                "groups": {group: dict(sorted(f.items())) for group, f in sorted(groups.items())},
                "rates": {group: group_rates(f) for group, f in sorted(groups.items())},
            }
            judgements.append(
                FlagJudgement(
                    version=version, attribute=attribute, metric=metric, value=value,
                    threshold=target.threshold, at=at, evidence=evidence,
                    position=positions[moment],
                )
            )  # fmt: skip
    return judgements
