"""The what-if replay of a policy over a model's events: each past activation judged, as it stood
then, by the candidate policy's gates (every candidate a client could state)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from application.policy_what_if import CandidatePolicy, refused_activations
from domain.commands import Activate, ApproveRelease, RegisterVersion
from domain.events import Event as ModelEvent
from domain.policy import (
    DISTINCT_APPROVERS,
    INDEPENDENT_VALIDATION,
    POLICY_GATES,
    RELEASE_APPROVAL,
)
from tests.factories import by, card, new_model, satisfy_all_gates


def _history() -> list[ModelEvent]:
    """A low-tier model: v1 activated with a data scientist's approval and nothing else; then v2
    with everything the regulated tier asks (two approvers; no independent validation, which no
    tier asks by default), activated too."""
    model = new_model("low")
    model.register_version(RegisterVersion(name="churn", card=card()), by("eng"))
    model.approve_release(ApproveRelease(name="churn", version=1), by("ds"))
    model.activate(Activate(name="churn", version=1, environment="production"), by("ops"))
    model.register_version(RegisterVersion(name="churn", card=card()), by("eng"))
    satisfy_all_gates(model, 2)
    model.activate(Activate(name="churn", version=2, environment="production"), by("ops"))
    return list(model.collect_events())


EVENTS = _history()
EXTRA_GATES = [gate for gate in POLICY_GATES if gate != RELEASE_APPROVAL]


@given(
    gates=st.sets(st.sampled_from(EXTRA_GATES)), approvers=st.integers(min_value=1, max_value=10)
)
def test_each_activation_is_refused_for_exactly_the_candidate_gates_it_lacked_then(
    gates: set[str], approvers: int
) -> None:
    candidate = CandidatePolicy.stated(
        "low",
        {"required_gates": [RELEASE_APPROVAL, *gates], "min_distinct_approvers": approvers},
    )
    replayed, refused = refused_activations("churn", EVENTS, candidate)
    assert replayed == 2
    unmet = {entry["version"]: {g["gate"] for g in entry["unmet_gates"]} for entry in refused}
    lacked_by_v1 = {g for g in gates if g != DISTINCT_APPROVERS or approvers > 1}
    assert unmet.get(1, set()) == lacked_by_v1
    lacked_by_v2 = {DISTINCT_APPROVERS} if DISTINCT_APPROVERS in gates and approvers > 2 else set()
    lacked_by_v2 |= {INDEPENDENT_VALIDATION} & gates  # no validator reviewed it either
    assert unmet.get(2, set()) == lacked_by_v2


def test_each_refusal_says_what_was_checked_when_the_activation_was_recorded() -> None:
    candidate = CandidatePolicy.stated("regulated", None)
    _, refused = refused_activations("churn", EVENTS, candidate)
    assert [(e["version"], e["risk_tier_then"], e["gates_checked_then"]) for e in refused] == [
        (1, "low", ["data_scientist_release_approval", "no_open_bias_flag"])
    ]
