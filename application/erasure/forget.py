"""Forgetting a person: their erasure keys destroyed and `PersonForgotten` recorded, in one
transaction (both or neither); and the application that seals with erasure keys (`Erasable`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, Cache, LRUCache
from eventsourcing.persistence import EventStore, IntegrityError, Mapper, Recorder

from application.erasure.keys import ErasureKeyStore, KeyRing, normalised
from application.erasure.mapper import ErasableMapper, ShreddableSnapshots
from application.errors import ConcurrencyConflictError, NothingToForgetError
from domain import rules
from domain.commands import Action
from domain.maintenance import Maintenance
from domain.people import PEOPLE_ID, People
from domain.values import Attribution, require_email

# A log a store keeps one of, under a fixed id.
Log = TypeVar("Log", People, Maintenance)


class Erasable(Application[UUID]):
    """An application whose events keep people's values under erasure keys (mapper.py), kept in
    the recorder's database when it can keep them (ErasureKeyStore)."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        # Called when this process drops what it decrypted (a person was forgotten): other
        # holders of decoded events (the console's recent events) drop theirs.
        self.on_forgotten: list[Callable[[], None]] = []
        super().__init__(env)

    def construct_mapper(self) -> Mapper[UUID]:
        mapper = self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=ErasableMapper
        )
        assert isinstance(mapper, ErasableMapper)
        if self.env.get("CIPHER_KEY"):
            mapper.keyring = KeyRing(self.env["CIPHER_KEY"])
        return mapper

    def construct_recorder(self) -> Any:
        recorder = super().construct_recorder()
        if isinstance(recorder, ErasureKeyStore) and isinstance(self.mapper, ErasableMapper):
            self.mapper.attach(recorder)
        return recorder

    def construct_snapshot_store(self) -> EventStore[UUID]:
        recorder: Recorder = self.factory.aggregate_recorder(purpose="snapshots")
        return ShreddableSnapshots(mapper=self.mapper, recorder=recorder)  # type: ignore[arg-type]

    @property
    def keyring(self) -> KeyRing | None:
        """The erasure keys, when this store keeps them."""
        ring = getattr(self.mapper, "keyring", None)
        return ring if isinstance(ring, KeyRing) and ring.store is not None else None

    def drop_decrypted_copies(self) -> None:
        """Forget the keys and models held in memory: what a forgotten person's key opened must
        not outlive it here (another process drops its own on seeing PersonForgotten)."""
        if self.keyring is not None:
            self.keyring.forget_cached()
        cache = self.repository.cache
        if isinstance(cache, LRUCache):
            self.repository.cache = LRUCache(maxsize=cache.maxsize)
        elif isinstance(cache, Cache):
            self.repository.cache = Cache()
        for drop in self.on_forgotten:
            drop()

    def store_log(self, kind: type[Log], log_id: UUID, *, by: Attribution) -> Log:
        """The store's one `kind` log as recorded, or one begun by `by` when it has none yet."""
        try:
            log: Log = self.repository.get(log_id)
        except AggregateNotFoundError:
            log = kind.start(by=by)
        return log


@dataclass(frozen=True)
class Forgotten:
    """What `forget_person` recorded: the person's pseudonymous id and all those forgotten."""

    person: str
    identifiers: list[str]


def forget_person(
    app: Erasable, *, email: str, aliases: Sequence[str] = (), ground: str, by: Attribution
) -> Forgotten:
    """Destroy the erasure keys of a person's e-mail address and `aliases` (their principal id,
    an owner text naming them) and record PersonForgotten, in one transaction.

    NothingToForgetError (nothing recorded) when none of them has a key; ConcurrencyConflictError
    when another erasure was recorded at the same moment (nothing recorded: run it again).
    """
    rules.check_may(by, Action.FORGET_PERSON)  # who may, before anything is looked up
    ring = app.keyring
    if ring is None or ring.store is None:
        raise NothingToForgetError("this store keeps no erasure keys (it has no database)")
    require_email("email", email)
    identifiers = [normalised(i) for i in (email, *aliases) if i.strip()]
    refs = list(dict.fromkeys(ring.person_ref(i) for i in identifiers))
    if all(ring.store.erasure_key(ref) is None for ref in refs):
        raise NothingToForgetError(
            "no data of this person is sealed under a key of their own: nothing recorded of "
            "them by this release of modelgov, or they were forgotten already"
        )
    people = app.store_log(People, PEOPLE_ID, by=by)
    people.forget_person(identifiers=refs, ground=ground, by=by)
    try:
        app.save(people, shred=refs, scrub=identifiers)
    except IntegrityError:
        raise ConcurrencyConflictError(
            "another erasure was recorded at the same moment; nothing was recorded: run it again"
        ) from None
    finally:
        app.drop_decrypted_copies()
    return Forgotten(person=refs[0], identifiers=refs)
