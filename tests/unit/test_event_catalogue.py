"""Every event class the domain defines is in the catalogue `Model` reads events back with."""

from __future__ import annotations

import inspect

from domain.events import (
    EVENT_CLASSES,
    Created,
    Event,
    external,
    holds,
    incidents,
    lifecycle,
    monitoring,
)
from domain.model import Model


def test_every_concrete_event_class_is_catalogued_and_exposed_on_the_model() -> None:
    every = [
        cls
        for module in (lifecycle, monitoring, external, incidents, holds)
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Event) and cls.__module__ == module.__name__ and cls is not Created
    ]
    # A module's private bases (lifecycle._DecidedOnVersion) share fields and `apply` among
    # events; they have no topic of their own, so nothing is ever stored as one of them.
    bases = [cls for cls in every if cls.__name__.startswith("_")]
    assert all("TOPIC" not in vars(cls) for cls in bases)
    defined = [cls for cls in every if cls not in bases]
    assert defined and set(defined) == set(EVENT_CLASSES)
    assert len(EVENT_CLASSES) == len(set(EVENT_CLASSES))
    for cls in EVENT_CLASSES:
        assert getattr(Model, cls.__name__) is cls
        assert f"modelgov/Model.{cls.__name__}" == cls.TOPIC
