"""Fairness metrics against figures worked out by hand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.monitoring.fairness import fairness_metrics, group_rates

# Group a: 40 true positives, 10 false positives, 40 true negatives, 10 false negatives.
#   selection (40 + 10) / 100 = 0.5; TPR 40 / 50 = 0.8; FPR 10 / 50 = 0.2
# Group b: 20, 5, 60, 15.
#   selection 25 / 100 = 0.25; TPR 20 / 35 = 0.571428...; FPR 5 / 65 = 0.076923...
COUNTS = {
    "a": {"tp": 40, "fp": 10, "tn": 40, "fn": 10},
    "b": {"tp": 20, "fp": 5, "tn": 60, "fn": 15},
}


def test_rates_from_confusion_counts() -> None:
    assert group_rates(COUNTS["a"]) == {
        "selection_rate": 0.5,
        "true_positive_rate": 0.8,
        "false_positive_rate": 0.2,
    }


def test_metrics_from_confusion_counts_match_the_hand_worked_figures() -> None:
    metrics = fairness_metrics(COUNTS)
    assert metrics["demographic_parity_difference"] == pytest.approx(0.25)
    assert metrics["disparate_impact_ratio"] == pytest.approx(0.5)
    # TPR spread 0.8 - 4/7 = 0.228571..., FPR spread 0.2 - 1/13 = 0.123077...: the larger.
    assert metrics["equalized_odds_difference"] == pytest.approx(0.8 - 4 / 7)


def test_selection_rates_alone_give_parity_but_not_equalized_odds() -> None:
    metrics = fairness_metrics(
        {"x": {"selection_rate": 0.3}, "y": {"selection_rate": 0.6}, "z": {"selection_rate": 0.45}}
    )
    assert metrics == {
        "demographic_parity_difference": pytest.approx(0.3),
        "disparate_impact_ratio": pytest.approx(0.5),
    }


def test_one_group_or_missing_figures_give_no_metric() -> None:
    assert fairness_metrics({"a": COUNTS["a"]}) == {}
    assert fairness_metrics({"a": {"selection_rate": 0.5}, "b": {"tp": 3}}) == {}


rates = st.floats(min_value=0.01, max_value=1.0)


@given(st.lists(rates, min_size=2, max_size=8))
def test_parity_difference_and_impact_ratio_agree_on_equal_treatment(values: list[float]) -> None:
    metrics = fairness_metrics({f"g{i}": {"selection_rate": v} for i, v in enumerate(values)})
    assert 0 <= metrics["demographic_parity_difference"] <= 1
    assert 0 < metrics["disparate_impact_ratio"] <= 1
    equal = max(values) == min(values)
    assert (metrics["demographic_parity_difference"] == 0) == equal
    assert (metrics["disparate_impact_ratio"] == 1) == equal
