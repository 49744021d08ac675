"""Whatever history the rules accept, with backdated entries anywhere, replays at every moment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from domain.commands import (
    Activate,
    ApproveRelease,
    ApproveTargets,
    CloseBreach,
    Command,
    Deactivate,
    OpenBreach,
    RaiseBiasFlag,
    RegisterVersion,
    ResolveBiasFlag,
    RetireVersion,
    RollBack,
    SetTarget,
)
from domain.errors import DomainError
from domain.history import replay_as_effective
from domain.model import Model
from domain.values import Attribution
from tests.factories import by, card, later, new_model

STEP = st.tuples(
    st.sampled_from(
        ["version", "approve", "activate", "deactivate", "roll_back", "flag", "resolve",
         "target", "approve_targets", "breach", "close", "retire"]
    ),
    st.integers(min_value=1, max_value=3),  # which version
    st.sampled_from(["staging", "production"]),
    st.floats(min_value=0, max_value=6),  # hours backdated
)  # fmt: skip


def _attempt(model: Model, step: tuple[str, int, str, float], hour: float) -> None:
    action, version, environment, backdated = step
    at = later(hour - backdated)
    name = model.name
    commands: dict[str, Callable[[], tuple[Command[Any], Attribution]]] = {
        "version": lambda: (RegisterVersion(name=name, card=card()), by("eng", at=at)),
        "approve": lambda: (ApproveRelease(name=name, version=version), by("ds", at=at)),
        "activate": lambda: (
            Activate(name=name, version=version, environment=environment), by("ops", at=at)
        ),
        "deactivate": lambda: (
            Deactivate(name=name, version=version, environment=environment),
            by("ops", "why", at=at),
        ),
        "roll_back": lambda: (
            RollBack(name=name, environment=environment, to_version=version),
            by("ops", "why", at=at),
        ),
        "flag": lambda: (
            RaiseBiasFlag(name=name, version=version, attribute="age", metric="dpd", value=0.3, threshold=0.1),
            by("ds", at=at),
        ),
        "resolve": lambda: (
            ResolveBiasFlag(name=name, flag_id=f"BF-{version}", resolution="retrain"),
            by("ds", "why", at=at),
        ),
        "target": lambda: (
            SetTarget(name=name, dimension="accuracy", metric="auc", comparator=">=",
                      threshold=0.8, severity="critical"),
            by("ds", at=at),
        ),
        "approve_targets": lambda: (
            ApproveTargets(name=name, revision=model.targets_revision), by("bo", at=at)
        ),
        "breach": lambda: (
            OpenBreach(name=name, version=version, environment=environment, dimension="accuracy",
                       metric="auc", observed_value=0.5),
            by("ops", at=at),
        ),
        "close": lambda: (
            CloseBreach(name=name, breach_id=f"B-{version}", observed_value=0.9), by("ops", at=at)
        ),
        "retire": lambda: (RetireVersion(name=name, version=version), by("eng", "why", at=at)),
    }  # fmt: skip
    pending = len(model.pending_events)
    try:
        model.handle(*commands[action]())
    except DomainError:
        assert len(model.pending_events) == pending  # a refusal records nothing


@settings(max_examples=150, deadline=None)
@given(steps=st.lists(STEP, min_size=1, max_size=40))
def test_every_accepted_history_replays_at_every_effective_moment(
    steps: list[tuple[str, int, str, float]],
) -> None:
    model = new_model("low")
    preamble = [("version", 1, "staging", 0.0)] * 3 + [
        ("approve", v, "staging", 0.0) for v in (1, 2, 3)
    ]
    preamble += [("target", 1, "staging", 0.0), ("activate", 1, "production", 0.0)]
    for index, step in enumerate([*preamble, *steps], start=1):
        _attempt(model, step, hour=float(index * 10))
    events = list(model.collect_events())
    event(f"accepted events: {len(events) // 10 * 10}+")
    for recorded in events:
        replayed = replay_as_effective(events, recorded.effective_at)
        assert replayed is not None
        assert replayed.version <= len(events)
    final = replay_as_effective(events, later(10_000))
    assert final is not None
    assert final.version == len(events)
    assert [v.number for v in final.versions] == [v.number for v in model.versions]
