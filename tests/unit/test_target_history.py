"""The target in force at a moment, and how much target history a model keeps."""

from __future__ import annotations

from datetime import timedelta

from domain.commands import SetTarget
from domain.events import TARGET_HISTORY_KEPT
from tests.factories import T0, by, new_model


def test_the_target_in_force_is_the_latest_set_by_then_and_the_history_is_bounded() -> None:
    model = new_model("low")
    changes = TARGET_HISTORY_KEPT + 50
    for index in range(changes):
        model.set_target(
            SetTarget(
                name=model.name,
                dimension="accuracy",
                metric="auc",
                comparator=">=",
                threshold=index / 1000,
                severity="warning",
            ),
            by("ds", at=T0 + timedelta(hours=index)),
        )

    history = model.target_history["accuracy:auc"]
    assert len(history) == TARGET_HISTORY_KEPT
    for index in (changes - 1, changes - 7, 50):
        at = T0 + timedelta(hours=index, minutes=30)
        in_force = model.target_in_force("accuracy", "auc", at=at)
        assert in_force is not None and in_force.threshold == index / 1000
    assert model.target_in_force("accuracy", "auc", at=T0 + timedelta(hours=49)) is None
    assert model.target_in_force("performance", "latency", at=T0) is None
