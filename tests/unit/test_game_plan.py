"""The game plan: what a client may write, where an event is routed, which response applies."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidValueError
from domain.game_plan import checked_game_plan, response_for, routes_for, severity_of
from domain.values import SEVERITIES

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


def test_routes_follow_event_names_and_severities() -> None:
    both = ["https://ops.example/all", "https://ml.example/hook"]
    assert routes_for(PLAN, event_name="BreachOpened", severity="critical") == both
    assert routes_for(PLAN, event_name="BreachOpened", severity="info") == both[1:]
    assert routes_for(PLAN, event_name="VersionActivated", severity="info") == []


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


@given(st.sampled_from(SEVERITIES), st.sampled_from(SEVERITIES))
def test_a_route_takes_every_severity_at_or_above_its_minimum(minimum: str, severity: str) -> None:
    plan = checked_game_plan(
        {"notifications": [{"url": "https://x.example", "min_severity": minimum}]},
        event_names=NAMES,
    )
    routed = routes_for(plan, event_name="BreachOpened", severity=severity) != []
    assert routed == (SEVERITIES.index(severity) >= SEVERITIES.index(minimum))


def test_severities_for_routing() -> None:
    assert severity_of("BreachOpened", role="policy", target_severity="critical") == "critical"
    assert severity_of("OnCallPaged", role="policy") == "critical"
    assert severity_of("RolledBack", role="policy") == "warning"
    assert severity_of("RolledBack", role="ml_engineer") == "info"
