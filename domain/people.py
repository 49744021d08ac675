"""People whose data was erased (GDPR Art. 17, by crypto-shredding): who forgot whom, when, on
which ground, recorded in the ledger beside the models' events.

A person is named here only by pseudonymous ids (keyed hashes the application computes from the
person's e-mail address and other identifiers), never by the identifiers themselves: the record
of an erasure must not hold the data it erased. One aggregate per store, with a fixed id; its
events are not model events (the model views, projections, reports and event feed skip them).
"""

from __future__ import annotations

import re
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import rules
from domain.commands import Action
from domain.errors import InvalidValueError
from domain.events.base import Attributed
from domain.values import Attribution, require_choice

PEOPLE_ID: UUID = uuid5(NAMESPACE_URL, "https://modelgov.dev/people")
# What a person's erased data reads as, in events, read models, reports and the API.
ERASED = "[erased]"
# The grounds of GDPR Art. 17(1), (a) to (f): the reason an erasure records, as a category only.
ERASURE_GROUNDS = (
    "no_longer_necessary",
    "consent_withdrawn",
    "objection",
    "unlawful_processing",
    "legal_obligation",
    "child_information_society",
)
_PSEUDONYM = re.compile(r"^[0-9a-f]{32}$")


class PeopleEvent(Attributed):
    """An event of the log of erasures: who did it, in which role, why, effective when (as on model events)."""


class People(Aggregate):
    """The log of erasures."""

    TOPIC = "modelgov/People"
    Event = PeopleEvent

    class Created(PeopleEvent, Aggregate.Created):
        TOPIC = "modelgov/People.Created"

    class Started(Created):
        """The log begins (with the first erasure)."""

        TOPIC = "modelgov/People.Started"

    class PersonForgotten(PeopleEvent):
        """A person's keys were destroyed: `person` is the pseudonymous id of their e-mail
        address, `identifiers` those of every identifier forgotten with it (e-mail first),
        `ground` the Art. 17(1) ground. The event's reason is the ground too: no free text."""

        TOPIC = "modelgov/People.PersonForgotten"
        person: str
        identifiers: list[str]
        ground: str

    @classmethod
    def start(cls, *, by: Attribution) -> People:
        return cls._create(cls.Started, id=PEOPLE_ID, timestamp=by.recorded_at, **by.event_fields())

    def forget_person(self, *, identifiers: list[str], ground: str, by: Attribution) -> None:
        rules.check_may(by, Action.FORGET_PERSON)
        require_choice("ground", ground, ERASURE_GROUNDS)
        if not identifiers or not all(_PSEUDONYM.match(i) for i in identifiers):
            raise InvalidValueError("identifiers", "must be pseudonymous ids (32 hex digits)")
        self.trigger_event(
            self.PersonForgotten,
            person=identifiers[0],
            identifiers=list(identifiers),
            ground=ground,
            timestamp=by.recorded_at,
            **{**by.event_fields(), "reason": ground},
        )
