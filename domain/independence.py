"""Independent validation (US SR 26-2 / OCC 2026-13): validation evidence counts as independent
only when a validator recorded it who neither registered nor developed the version.

`counts_as_independent` is the rule, a pure function over plain values: the activation gate
(domain/gates.py) applies it to a version, the inventory (application/inventory.py) to a projected
version document.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from domain.entities import Validation, Version

VALIDATOR_ROLE = "validator"
# Where a card names the people who developed the version: its `extras` (as a Hugging Face or
# MLflow card carries them) and the provenance's `author` (an MLflow version's user).
DEVELOPER_KEYS = ("developers", "authors", "developer", "author")


def same_principal(first: str, second: str) -> bool:
    """Principal ids are compared without regard to case: `Ann` and `ann` are one person."""
    return first.casefold() == second.casefold()


def developers_of(card: Mapping[str, Any], *, registrant: str) -> list[str]:
    """Who developed a version: the people its card names, else the principal who registered it."""
    extras = card.get("extras") or {}
    named: list[str] = []
    for key in DEVELOPER_KEYS:
        value = extras.get(key) if isinstance(extras, Mapping) else None
        named += [value] if isinstance(value, str) else []
        named += [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
    provenance = card.get("provenance") or {}
    author = provenance.get("author") if isinstance(provenance, Mapping) else None
    if isinstance(author, str):
        named.append(author)
    people = [person.strip() for person in named if person.strip()]
    return list(dict.fromkeys(people)) or [registrant]


def counts_as_independent(
    *, validator: str, role: str, registrant: str, developers: Iterable[str]
) -> bool:
    """Whether evidence recorded by `validator` in `role` is an independent validation of a
    version `registrant` registered and `developers` developed: never by either of them; by
    anyone else holding the validator role."""
    if role != VALIDATOR_ROLE or same_principal(validator, registrant):
        return False
    return not any(same_principal(validator, developer) for developer in developers)


def independent_validations(version: Version) -> list[Validation]:
    """A version's passed independent validations, oldest first (one recorded before validations
    kept their role has none, and does not count)."""
    developers = developers_of(version.card, registrant=version.registered_by)
    return [
        validation
        for validation in version.validations
        if validation.passed
        and counts_as_independent(
            validator=validation.recorded_by,
            role=validation.role,
            registrant=version.registered_by,
            developers=developers,
        )
    ]
