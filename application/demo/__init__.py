"""The demo portfolio: seven models across every risk tier, one retired, with about four months of lifecycle history."""

from __future__ import annotations

from datetime import datetime, timedelta

from application.demo.portfolio import common_lives
from application.demo.seeder import DemoSummary, Seeder
from application.demo.stories import HISTORY_DAYS, STORIES
from application.governance import Governance

__all__ = ["DemoSummary", "seed_demo_portfolio"]


def seed_demo_portfolio(app: Governance, *, now: datetime) -> DemoSummary:
    """Record the demo portfolio as if modelgov had been in use for the last HISTORY_DAYS days."""
    seeder = Seeder(app, start=now - timedelta(days=HISTORY_DAYS))
    lives = common_lives()
    for name, story in STORIES.items():
        seeder.plan_life(lives[name])
        story(seeder, name)
    return seeder.run()
