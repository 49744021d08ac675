"""Which version served in an environment at a past moment, as the model's state knows it: what a
cost entered late is judged against (application/monitoring/cost.py)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.commands import Activate, ApproveRelease, RegisterVersion, RollBack
from domain.model import Model
from tests.factories import at_hours, card, later, registration

# Each release: hours from the previous step to its registration, then to its activation.
releases = st.lists(st.tuples(st.integers(1, 30), st.integers(0, 30)), min_size=1, max_size=8)


def released(steps: list[tuple[int, int]]) -> tuple[Model, list[tuple[int, int, int]]]:
    """A model whose versions replace each other in production; (from hour, to hour, version)."""
    model = Model.register(registration("scorer", "low"), at_hours("eng", 0))
    served: list[tuple[int, int, int]] = []
    hour = 0
    for number, (to_registration, to_activation) in enumerate(steps, start=1):
        hour += to_registration
        model.register_version(RegisterVersion(name=model.name, card=card()), at_hours("eng", hour))
        model.approve_release(ApproveRelease(name=model.name, version=number), at_hours("ds", hour))
        hour += to_activation
        model.activate(
            Activate(name=model.name, version=number, environment="production"),
            at_hours("ops", hour),
        )
        if served and served[-1][0] == hour:
            served.pop()  # replaced within the same hour: it never served alone
        elif served:
            served[-1] = (served[-1][0], hour, served[-1][2])
        served.append((hour, 10**6, number))
    return model, served


@settings(max_examples=200, deadline=None)
@given(steps=releases, probes=st.lists(st.integers(0, 300), min_size=1, max_size=20))
def test_releases_that_replace_each_other_are_told_exactly(
    steps: list[tuple[int, int]], probes: list[int]
) -> None:
    model, served = released(steps)
    for hour in probes:
        truth = next((v for start, end, v in served if start <= hour < end), None)
        assert model.version_serving_at("production", later(hour)) == truth, (hour, served)
        assert model.version_serving_at("staging", later(hour)) is None


def test_a_named_version_is_taken_when_the_state_cannot_tell_after_a_rollback() -> None:
    """1 serves from hour 2, 2 from hour 10, 1 again from hour 20 (a rollback), 3 from hour 30:
    the state keeps version 1's last time there (20-30) only, so it cannot tell hour 5 alone."""
    model, _ = released([(1, 1), (5, 3)])
    model.roll_back(RollBack(name=model.name, environment="production", to_version=1),
                    at_hours("ops", 20, "v2 misroutes"))  # fmt: skip
    model.register_version(RegisterVersion(name=model.name, card=card()), at_hours("eng", 29))
    model.approve_release(ApproveRelease(name=model.name, version=3), at_hours("ds", 29))
    model.activate(Activate(name=model.name, version=3, environment="production"),
                   at_hours("ops", 30))  # fmt: skip
    assert model.version_serving_at("production", later(5), named=1) == 1
    assert model.version_serving_at("production", later(5)) is None
    assert model.version_serving_at("production", later(15), named=1) == 2  # known: 2 served
    assert model.version_serving_at("production", later(25)) == 1
    assert model.version_serving_at("production", later(35), named=1) == 3  # active by then
    assert model.version_serving_at("production", later(0.5), named=1) is None  # unregistered
