"""The game plan: what a client may write, where an event is routed, which response applies."""

from __future__ import annotations

import pytest

from domain.errors import InvalidValueError
from domain.game_plan import checked_game_plan, response_for, severity_of

NAMES = ("BreachOpened", "VersionActivated", "OnCallPaged")
PLAN = checked_game_plan(
    {
        "notifications": [
            {"url": "https://ops.example/all", "events": ["*"], "min_severity": "warning"},
            {"url": "https://ml.example/hook", "events": ["BreachOpened"]},
        ],
        "responses": [
            {"dimension": "accuracy", "environment": "production", "action": "roll_back"},
            {"dimension": "*", "environment": "production", "min_severity": "warning",
             "action": "deactivate"},
        ],
    },
    event_names=NAMES,
)  # fmt: skip


def test_the_first_matching_response_applies() -> None:
    assert response_for(PLAN, dimension="accuracy", environment="production",
                        severity="critical") == "roll_back"  # fmt: skip
    assert response_for(PLAN, dimension="cost", environment="production",
                        severity="warning") == "deactivate"  # fmt: skip
    assert response_for(PLAN, dimension="cost", environment="staging", severity="critical") is None
    assert response_for(PLAN, dimension="cost", environment="production", severity="info") is None


@pytest.mark.parametrize(
    ("plan", "field"),
    [
        ({"notifications": [{"url": "ftp://x"}]}, "game_plan.notifications[0].url"),
        ({"notifications": [{"url": "https://[fe80::1/x"}]}, "game_plan.notifications[0].url"),
        ({"notifications": [{"url": "https://x:99999/"}]}, "game_plan.notifications[0].url"),
        ({"notifications": [{"url": "https://x", "events": ["Nope"]}]},
         "game_plan.notifications[0].events[0]"),
        ({"responses": [{"dimension": "accuracy", "environment": "production",
                         "action": "reboot"}]}, "game_plan.responses[0].action"),
        ({"responses": [{"environment": "production", "action": "deactivate"}]},
         "game_plan.responses[0].dimension"),
        ({"pager": []}, "game_plan"),
        ({"notifications": [{"url": "https://x"}] * 21}, "game_plan.notifications"),
    ],
)  # fmt: skip
def test_a_bad_plan_is_refused_naming_the_field(plan: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValueError) as refused:
        checked_game_plan(plan, event_names=NAMES)
    assert refused.value.field == field


def test_severities_for_routing() -> None:
    assert severity_of("BreachOpened", role="policy", target_severity="critical") == "critical"
    assert severity_of("OnCallPaged", role="policy") == "critical"
    assert severity_of("RolledBack", role="policy") == "warning"
    assert severity_of("RolledBack", role="ml_engineer") == "info"
