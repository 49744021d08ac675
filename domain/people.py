"""People whose data was erased (GDPR Art. 17, by crypto-shredding): who forgot whom, when, on
which ground, recorded in the ledger beside the models' events (a log of the store's own:
domain/logs.py).

A person is named here only by pseudonymous ids (keyed hashes the application computes from the
person's e-mail address and other identifiers), never by the identifiers themselves: the record
of an erasure must not hold the data it erased.
"""

from __future__ import annotations

import re
from uuid import NAMESPACE_URL, UUID, uuid5

from domain import rules
from domain.commands import Action
from domain.errors import InvalidValueError
from domain.logs import StoreLog
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


class People(StoreLog):
    """The log of erasures (`Started` with the first)."""

    TOPIC = "modelgov/People"
    ID = PEOPLE_ID

    class PersonForgotten(StoreLog.Event):
        """A person's keys were destroyed: `person` is the pseudonymous id of their e-mail
        address, `identifiers` those of every identifier forgotten with it (e-mail first),
        `ground` the Art. 17(1) ground. The event's reason is the ground too: no free text."""

        TOPIC = "modelgov/People.PersonForgotten"
        person: str
        identifiers: list[str]
        ground: str

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
