"""Diffs between two points of a model's history, with the events that made the difference."""

from __future__ import annotations

from application.governance import Governance
from domain.commands import Activate, ApproveRelease, RegisterVersion, SetTarget
from tests.factories import by, card, seed_app_model


def test_a_diff_names_what_changed_and_the_events_that_changed_it(app: Governance) -> None:
    seed_app_model(app)  # versions 1-3
    app.handle(Activate(name="churn", version=1, environment="production"), by=by("ops"))
    before = app.get_model("churn").version  # 4
    second = app.handle(RegisterVersion(name="churn", card=card()), by=by("eng")).value
    app.handle(ApproveRelease(name="churn", version=second), by=by("ds"))
    app.handle(Activate(name="churn", version=second, environment="production"), by=by("ops"))
    app.handle(
        SetTarget(name="churn", dimension="cost", metric="eur", comparator="<=", threshold=9.0),
        by=by("bo"),
    )
    diff = app.diff("churn", from_revision=before)
    assert diff["from_revision"] == 4 and diff["to_revision"] == 9
    assert (diff["from_version"], diff["to_version"]) == (4, 9)  # the old names, for one release
    assert list(diff["versions"]["added"]) == ["2"]
    assert diff["active"]["changed"] == {"production": {"from": 1, "to": 2}}
    assert list(diff["targets"]["added"]) == ["cost:eur"]
    assert [e["event"] for e in diff["events"]] == [
        "VersionRegistered",
        "ReleaseApproved",
        "VersionDeactivated",
        "VersionActivated",
        "TargetSet",
    ]


def test_a_diff_from_before_registration_shows_everything_added(app: Governance) -> None:
    seed_app_model(app)
    diff = app.diff("churn", from_revision=0, to_revision=3)
    assert diff["risk_tier"] == {"from": None, "to": "low"}
    assert diff["versions"]["added"]["1"]["approvals"] == ["ds"]
    assert len(diff["events"]) == 3
