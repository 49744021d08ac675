"""Serious incidents (EU AI Act Art. 73): the deadline each class sets, and the rules of declaring
one and recording the reports on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.commands import Activate, OpenBreach, RaiseBiasFlag
from domain.errors import (
    BiasFlagNotFoundError,
    BreachNotFoundError,
    EffectiveTimeOutOfOrderError,
    IncidentNotFoundError,
    IncidentReportOutOfOrderError,
    InvalidValueError,
    RoleNotAllowedError,
    VersionNotFoundError,
)
from domain.incident_commands import DeclareIncident, ReportIncident
from domain.incidents import DEATH, INCIDENT_CLASSES, OTHER_SERIOUS, WIDESPREAD, report_due_at
from domain.model import Model
from tests.factories import T0, by, later, new_model, ready_version

instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(aware_at=instants)
def test_widespread_or_critical_infrastructure_harm_is_reported_within_two_days(
    aware_at: datetime,
) -> None:
    assert report_due_at(WIDESPREAD, aware_at) - aware_at == timedelta(days=2)


@given(aware_at=instants)
def test_a_death_is_reported_within_ten_days(aware_at: datetime) -> None:
    assert report_due_at(DEATH, aware_at) - aware_at == timedelta(days=10)


@given(aware_at=instants)
def test_any_other_serious_incident_is_reported_within_fifteen_days(aware_at: datetime) -> None:
    assert report_due_at(OTHER_SERIOUS, aware_at) - aware_at == timedelta(days=15)


@given(aware_at=instants, severity_class=st.sampled_from(INCIDENT_CLASSES))
def test_the_deadline_is_in_utc_and_the_graver_class_never_later(
    aware_at: datetime, severity_class: str
) -> None:
    due = report_due_at(severity_class, aware_at)
    assert due.utcoffset() == timedelta(0)
    assert report_due_at(WIDESPREAD, aware_at) <= due <= report_due_at(OTHER_SERIOUS, aware_at)


DECLARED_AT = later(48)


def _declare(model: Model, at: datetime = DECLARED_AT, **fields: object) -> str:
    command = DeclareIncident(
        name=model.name, severity_class=fields.pop("severity_class", DEATH),  # type: ignore[arg-type]
        summary="a customer was refused care on the model's score", **fields,  # type: ignore[arg-type]
    )  # fmt: skip
    return model.declare_incident(command, by("ops", at=at))


def _report(model: Model, kind: str, at: datetime, incident_id: str = "SI-1") -> None:
    model.report_incident(
        ReportIncident(name=model.name, incident_id=incident_id, kind=kind,
                       authority="national market surveillance authority", reference=f"R-{kind}"),
        by("co", at=at),
    )  # fmt: skip


def test_a_declared_incident_is_known_since_its_declaration_unless_backdated() -> None:
    model = new_model("high")
    assert _declare(model) == "SI-1"
    assert _declare(model, aware_at=later(24), severity_class=WIDESPREAD) == "SI-2"
    first, second = model.serious_incidents.values()
    assert (first.aware_at, first.report_due_at) == (later(48), later(48 + 240))
    assert (second.aware_at, second.report_due_at) == (later(24), later(72))
    assert first.declared_by == "ops" and model.unreported_incidents() == [first, second]


def test_awareness_after_the_declaration_or_before_the_model_is_refused() -> None:
    model = new_model("high")
    with pytest.raises(InvalidValueError, match=r"aware_at: .* is after the declaration"):
        _declare(model, aware_at=later(49))
    with pytest.raises(EffectiveTimeOutOfOrderError, match="before the model's registration"):
        _declare(model, aware_at=T0 - timedelta(days=1))
    with pytest.raises(InvalidValueError, match=r"occurred_at: .* is after aware_at"):
        _declare(model, aware_at=later(10), occurred_at=later(11))
    with pytest.raises(InvalidValueError, match="aware_at: must carry a time zone"):
        _declare(model, aware_at=datetime(2026, 1, 5, 10))
    assert model.serious_incidents == {}


def test_links_name_breaches_and_flags_the_model_has() -> None:
    model = new_model("high")
    version = ready_version(model)
    model.activate(Activate(name=model.name, version=version, environment="production"), by("ops"))
    model.open_breach(
        OpenBreach(name=model.name, version=version, environment="production",
                   dimension="accuracy", metric="accuracy_metric", observed_value=2.0),
        by("policy"),
    )  # fmt: skip
    model.raise_bias_flag(
        RaiseBiasFlag(name=model.name, version=version, attribute="age", metric="dpd",
                      value=0.3, threshold=0.1),
        by("ds"),
    )  # fmt: skip
    with pytest.raises(BreachNotFoundError, match="breach_ids: model 'churn' has no breach 'B-2'"):
        _declare(model, breach_ids=["B-1", "B-2"])
    with pytest.raises(BiasFlagNotFoundError, match=r"flag_ids: .* no bias flag 'BF-9'"):
        _declare(model, flag_ids=["BF-9"])
    with pytest.raises(InvalidValueError, match="breach_ids: must be a list"):
        _declare(model, breach_ids="B-1")
    with pytest.raises(RoleNotAllowedError):
        model.declare_incident(
            DeclareIncident(name=model.name, severity_class=DEATH, summary="x"), by("auditor")
        )
    incident = _declare(model, breach_ids=["B-1", "B-1"], flag_ids=["BF-1"], version=version)
    assert model.serious_incidents[incident].breach_ids == ["B-1"]
    assert model.serious_incidents[incident].flag_ids == ["BF-1"]


def test_reports_go_initial_then_follow_ups_then_final_and_nothing_after() -> None:
    model = new_model("high")
    _declare(model)
    with pytest.raises(IncidentReportOutOfOrderError, match="no initial report yet"):
        _report(model, "follow_up", later(50))
    with pytest.raises(EffectiveTimeOutOfOrderError, match="before incident SI-1's awareness"):
        _report(model, "initial", later(47))
    with pytest.raises(IncidentNotFoundError, match="no serious incident 'SI-7'"):
        _report(model, "initial", later(50), incident_id="SI-7")
    _report(model, "initial", later(50))
    with pytest.raises(IncidentReportOutOfOrderError, match="already has its initial report"):
        _report(model, "initial", later(51))
    with pytest.raises(EffectiveTimeOutOfOrderError, match="latest report"):
        _report(model, "follow_up", later(49))
    _report(model, "follow_up", later(60))
    _report(model, "final", later(90))
    with pytest.raises(IncidentReportOutOfOrderError, match="final report is already recorded"):
        _report(model, "follow_up", later(91))
    incident = model.serious_incidents["SI-1"]
    assert [s.kind for s in incident.submissions] == ["initial", "follow_up", "final"]
    assert incident.closed and model.unreported_incidents() == []
    with pytest.raises(RoleNotAllowedError, match="allowed: compliance_officer"):
        model.report_incident(
            ReportIncident(name=model.name, incident_id="SI-1", kind="final", authority="a",
                           reference="r"),
            by("ops", at=later(92)),
        )  # fmt: skip


def test_the_clock_says_time_left_then_overdue_then_how_the_report_stood() -> None:
    model = new_model("high")
    _declare(model, severity_class=WIDESPREAD)  # due at later(96)
    incident = model.serious_incidents["SI-1"]
    assert incident.clock(later(95)) == {"status": "due", "seconds_left": 3600}
    assert incident.clock(later(97)) == {"status": "overdue", "seconds_left": -3600}
    _report(model, "initial", later(98))
    incident = model.serious_incidents["SI-1"]  # reported: a new entry (the state is copy-on-write)
    assert incident.clock(later(500)) == {"status": "reported_late", "seconds_left": -7200}


def test_a_final_report_may_come_first_and_counts_as_the_initial_one() -> None:
    model = new_model("high")
    _declare(model)
    _report(model, "final", later(50))
    assert model.serious_incidents["SI-1"].clock(later(1000))["status"] == "reported"


def test_a_snapshot_from_state_version_4_has_no_incidents_and_no_hold() -> None:
    model = new_model("high")
    state = dict(vars(model))
    del state["serious_incidents"], state["legal_hold"]  # as a version 4 snapshot holds it
    Model.upcast_v4_v5(state)
    assert state["serious_incidents"] == {} and state["legal_hold"] is None
    assert {k: v for k, v in state.items() if k not in ("serious_incidents", "legal_hold")} == {
        k: v for k, v in vars(model).items() if k not in ("serious_incidents", "legal_hold")
    }
    assert Model.class_version == 5


def test_the_version_involved_must_exist() -> None:
    model = new_model("high")
    with pytest.raises(VersionNotFoundError, match="has no version 9"):
        _declare(model, version=9)
