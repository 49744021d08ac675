"""Timeline details as sentences: every lifecycle event has its own, none falls back to its fields."""

from __future__ import annotations

from domain.events import EVENT_CLASSES
from reports.sentences import SENTENCES, sentence


def test_every_lifecycle_event_is_told_as_a_sentence() -> None:
    assert {cls.__name__ for cls in EVENT_CLASSES} <= set(SENTENCES)


def test_a_target_reads_as_a_bound_not_as_a_comparator() -> None:
    details = {
        "dimension": "accuracy", "metric": "auc", "comparator": ">=", "threshold": 0.9,
        "window": "moving_average:500", "severity": "critical", "unit": "", "previous": None,
        "revision": 3, "hysteresis": 0.0, "min_duration_seconds": 0,
    }  # fmt: skip
    assert sentence("TargetSet", details) == (
        "Target for accuracy (auc) set to at least 0.9 (moving average of the last 500 "
        "observations, critical); targets revision 3."
    )
