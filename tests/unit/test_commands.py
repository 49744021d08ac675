"""Commands are values: frozen, each naming its action in the role matrix and its model's method."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from domain import commands, external_commands, hold_commands, incident_commands
from domain.commands import PERMISSIONS, Action, Activate, Command, RegisterModel
from domain.errors import RoleNotAllowedError
from domain.model import Model
from tests.factories import by, new_model, ready_version

COMMANDS = [
    cls
    for module in (commands, external_commands, incident_commands, hold_commands)
    for cls in vars(module).values()
    if inspect.isclass(cls)
    and issubclass(cls, Command)
    and hasattr(cls, "ACTION")
    and cls.__module__ == module.__name__
]
# The store's, a report's and a person's, not a model's: no command of the model carries them out.
NOT_A_MODELS = {Action.REINSTALL_APPEND_ONLY_TRIGGERS, Action.ISSUE_REPORT, Action.FORGET_PERSON}


def test_every_command_names_an_action_of_the_role_matrix() -> None:
    assert (
        {cls.ACTION for cls in COMMANDS}
        == set(PERMISSIONS) - NOT_A_MODELS
        == set(Action) - NOT_A_MODELS
    )
    assert len({cls.ACTION for cls in COMMANDS}) == len(COMMANDS)


@pytest.mark.parametrize("cls", [c for c in COMMANDS if c is not RegisterModel], ids=repr)
def test_a_model_carries_out_every_command_by_the_method_its_action_names(
    cls: type[Command[object]],
) -> None:
    method = getattr(Model, cls.ACTION.value)
    assert list(inspect.signature(method).parameters) == ["self", "command", "by"]


def test_a_command_is_a_frozen_value_whose_fields_are_keywords() -> None:
    command = Activate(name="churn", version=1, environment="production")
    assert command == Activate(name="churn", version=1, environment="production")
    with pytest.raises(dataclasses.FrozenInstanceError):
        command.version = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        Activate("churn", 1, "production")  # type: ignore[misc]


def test_handle_runs_the_command_on_the_model_and_returns_its_result() -> None:
    model = new_model()
    version = ready_version(model)
    outcome = model.handle(
        Activate(name="churn", version=version, environment="staging"), by("ops")
    )
    assert outcome is None
    assert model.active == {"staging": version}


def test_a_registered_model_does_not_handle_its_own_registration() -> None:
    model = new_model()
    registration = RegisterModel(
        name="churn", description="d", owner="o", business_objective="b", risk_tier="low"
    )
    with pytest.raises(TypeError, match="RegisterModel"):
        model.handle(registration, by("eng"))


def test_the_role_is_checked_once_per_command_whoever_sends_it() -> None:
    model = new_model()
    version = ready_version(model)
    model.collect_events()
    activation = Activate(name="churn", version=version, environment="staging")
    with pytest.raises(RoleNotAllowedError, match="may not activate"):
        model.handle(activation, by("auditor"))
    assert model.collect_events() == []
    assert Activate.ACTION is Action.ACTIVATE
