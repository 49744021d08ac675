"""The demo portfolio's data (application/demo/portfolio.toml) and its stories tell of the same models."""

from __future__ import annotations

from decimal import Decimal

from application.demo.portfolio import common_lives
from application.demo.stories import DEMO_MODEL_NAMES, STORIES


def test_every_story_has_a_common_life_and_every_common_life_a_story() -> None:
    assert set(common_lives()) == set(STORIES) == set(DEMO_MODEL_NAMES)


def test_each_models_versions_are_numbered_in_the_order_they_are_registered() -> None:
    for life in common_lives().values():
        assert [version.number for version in life.versions] == list(
            range(1, len(life.versions) + 1)
        ), life.name
        days = [version.registered for version in life.versions]
        assert days == sorted(days), life.name


def test_costs_are_read_as_exact_amounts() -> None:
    (cost,) = common_lives()["fraud-detector"].costs
    assert cost.amount == Decimal("8450.00") and isinstance(cost.amount, Decimal)
