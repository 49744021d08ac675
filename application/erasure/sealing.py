"""Which values of an event are a person's, and sealing them under that person's erasure key.

| event field | whose key seals it |
| --- | --- |
| every event's `actor` | the actor's (a principal id) |
| every event's `reason` (comments, reasons, justifications) | its author's: the actor's |
| `Registered.owner` | the owner's (the owner text: a person or a team) |
| `Registered.stakeholders[].name`, `.email` | the stakeholder's e-mail address's |
| `VersionRegistered.card.provenance.author` | the author's |

Free text is erased with its author, not with the people it mentions. Nothing else is sealed
here (model names, versions, metrics, card fields, times): the events are encrypted whole under
the data key as before. A sealed value is `<pseudonymous id>:<base64 of nonce and ciphertext>`
(AES-GCM under the person's key, the id as associated data), and an event whose values are
sealed says so (`SEALED_MARK`): events stored before this release read as they always did.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidTag

from application.erasure.keys import KeyRing
from domain.people import ERASED

SEALED_MARK = "personal_data_sealed"
SEALED_VERSION = 1
# What a value sealed under a person's key reads as with the data key alone (no key store).
SEALED = "[sealed"
REGISTERED = "modelgov/Model.Registered"
VERSION_REGISTERED = "modelgov/Model.VersionRegistered"

# (value, identifier of the person whose value it is) -> the value as it is stored or read.
Change = Callable[[str, str], str]


def seal_state(state: dict[str, Any], *, topic: str, ring: KeyRing) -> dict[str, Any]:
    """A copy of an event's state with each person's values sealed under their key."""

    def seal(value: str, person: str) -> str:
        ref = ring.person_ref(person)
        nonce = os.urandom(12)
        sealed = ring.for_sealing(ref).encrypt(nonce, value.encode(), ref.encode())
        return f"{ref}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    sealed = _changed(state, topic=topic, change=seal)
    sealed[SEALED_MARK] = SEALED_VERSION
    return sealed


def open_state(state: dict[str, Any], *, topic: str, ring: KeyRing | None) -> dict[str, Any]:
    """An event's state as recorded, each person's values opened, or ERASED where their key
    was destroyed; a state stored before sealing existed is returned as it is."""
    if state.pop(SEALED_MARK, None) is None:
        return state

    def open_(token: str, _: str) -> str:
        ref, _, text = token.partition(":")
        key = ring.for_opening(ref) if ring is not None else None
        if key is None:
            # With no key store at all (a proof checked offline with the data key alone), each
            # person stays one distinct stand-in, so that redacted proofs still compare.
            return ERASED if ring is not None and ring.store is not None else f"{SEALED} {ref}]"
        raw = base64.b64decode(text)
        try:
            return key.decrypt(raw[:12], raw[12:], ref.encode()).decode()
        except InvalidTag:
            raise ValueError(f"a value sealed under the erasure key {ref} does not open") from None

    return _changed(state, topic=topic, change=open_)


def _changed(state: dict[str, Any], *, topic: str, change: Change) -> dict[str, Any]:
    """The state with every personal value changed (nested values copied, never altered: the
    state may share them with a live event)."""
    result = dict(state)
    actor = state.get("actor")
    if isinstance(actor, str) and actor:
        if state.get("reason"):
            result["reason"] = change(state["reason"], actor)
        result["actor"] = change(actor, actor)
    if topic == REGISTERED:
        if state.get("owner"):
            result["owner"] = change(state["owner"], state["owner"])
        result["stakeholders"] = [
            {**person, "name": change(person["name"], person["email"]),
             "email": change(person["email"], person["email"])}
            for person in state.get("stakeholders", ())
        ]  # fmt: skip
    if topic == VERSION_REGISTERED:
        provenance = state["card"].get("provenance") or {}
        author = provenance.get("author")
        if isinstance(author, str) and author:
            card = {**state["card"], "provenance": {**provenance, "author": change(author, author)}}
            result["card"] = card
    return result


def mask_sealed(opened: Any, given: Any) -> tuple[Any, Any, bool]:
    """`opened` (values read with the data key alone) and `given` (what a file says they are),
    with every value `opened` could not open replaced in both by one stand-in, so the rest
    compares; and whether there was any."""
    if isinstance(opened, str) and opened.startswith(SEALED):
        return SEALED, SEALED, True
    if isinstance(opened, dict) and isinstance(given, dict):
        pairs = {k: mask_sealed(v, given.get(k)) for k, v in opened.items()}
        masked = {**given, **{k: pair[1] for k, pair in pairs.items() if k in given}}
        return {k: pair[0] for k, pair in pairs.items()}, masked, any(p[2] for p in pairs.values())
    if isinstance(opened, list) and isinstance(given, list) and len(opened) == len(given):
        triples = [mask_sealed(o, g) for o, g in zip(opened, given, strict=True)]
        return [t[0] for t in triples], [t[1] for t in triples], any(t[2] for t in triples)
    return opened, given, False
