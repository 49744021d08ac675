"""The store's mapper with erasure: each person's values sealed under their key before the
library's own encryption, opened on reading; snapshots sealed whole under a key of their model's.

A snapshot holds a model's whole state, so every person in it: it is sealed under its model's
snapshots key, and forgetting anyone destroys every model's snapshots key (snapshots are a cache:
a model whose snapshot cannot be opened is read from its events, until its next snapshot).
The ledger hashes the stored bytes, which neither sealing nor forgetting changes.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterator
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol, Snapshot
from eventsourcing.persistence import (
    EventStore,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    find_id_convertor,
)
from eventsourcing.utils import get_topic, resolve_topic

from application.erasure.keys import SNAPSHOTS, ErasureKeyStore, KeyRing
from application.erasure.sealing import open_state, seal_state

# A sealed snapshot's bytes (before the library's compression and encryption) start with this,
# then its key's pseudonymous id (32 ASCII hex digits), the nonce and the ciphertext. JSON, the
# form of every other stored state, never starts so.
SNAPSHOT_MAGIC = b"modelgov-sealed-snapshot-v1:"


class SnapshotShreddedError(Exception):
    """A snapshot's key was destroyed (someone was forgotten since it was taken)."""


class ErasableMapper(Mapper[UUID]):
    """The library's mapper, with people's values sealed once a key store is attached (until
    then, e.g. over no database, it writes as the library does and opens nothing)."""

    keyring: KeyRing | None = None  # set by Erasable.construct_mapper when there is a data key

    def attach(self, store: ErasureKeyStore) -> None:
        if self.keyring is not None:
            self.keyring.store = store

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        if self.keyring is None or self.keyring.store is None:
            return super().to_stored_event(domain_event)
        topic = get_topic(domain_event.__class__)
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        if isinstance(domain_event, Snapshot):
            stored = self._sealed_snapshot(originator_id, self.transcoder.encode(state))
        else:
            stored = self.transcoder.encode(seal_state(state, topic=topic, ring=self.keyring))
        if self.compressor:
            stored = self.compressor.compress(stored)
        if self.cipher:
            stored = self.cipher.encrypt(stored)
        return StoredEvent(originator_id, originator_version, topic, stored)

    def _sealed_snapshot(self, model_id: UUID, encoded: bytes) -> bytes:
        assert self.keyring is not None
        ref = self.keyring.snapshots_ref(model_id)
        key = self.keyring.for_sealing(ref, kind=SNAPSHOTS)
        nonce = os.urandom(12)
        return SNAPSHOT_MAGIC + ref.encode() + nonce + key.encrypt(nonce, encoded, ref.encode())

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        cls = resolve_topic(stored_event.topic)
        try:
            state = self._decoded(stored_event)
        except SnapshotShreddedError:
            raise
        except Exception as error:
            raise MapperDeserialisationError(
                f"Failed to deserialise state of stored event with topic "
                f"'{stored_event.topic}', originator_id '{stored_event.originator_id}' and "
                f"originator_version {stored_event.originator_version}: {error}"
            ) from error
        convert = find_id_convertor(cls, cast(Hashable, type(stored_event.originator_id)))
        state["originator_id"] = convert(stored_event.originator_id)
        state["originator_version"] = stored_event.originator_version
        from_version = state.pop("class_version", 1)
        while from_version < getattr(cls, "class_version", 1):
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        domain_event = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", state)
        return cast(DomainEventProtocol[UUID], domain_event)

    def _decoded(self, stored_event: StoredEvent) -> dict[str, Any]:
        stored = stored_event.state
        if self.cipher:
            stored = self.cipher.decrypt(stored)
        if self.compressor:
            stored = self.compressor.decompress(stored)
        if stored.startswith(SNAPSHOT_MAGIC):
            stored = self._opened_snapshot(stored[len(SNAPSHOT_MAGIC) :])
        state: dict[str, Any] = self.transcoder.decode(stored)
        return open_state(state, topic=stored_event.topic, ring=self.keyring)

    def _opened_snapshot(self, sealed: bytes) -> bytes:
        ref, nonce, ciphertext = sealed[:32].decode(), sealed[32:44], sealed[44:]
        key = self.keyring.for_opening(ref) if self.keyring is not None else None
        if key is None:
            raise SnapshotShreddedError(ref)
        return key.decrypt(nonce, ciphertext, ref.encode())


class ShreddableSnapshots(EventStore[UUID]):
    """The snapshot store: a snapshot whose key was destroyed is as if never taken."""

    def get(
        self,
        originator_id: UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Iterator[DomainEventProtocol[UUID]]:
        found = super().get(originator_id, gt=gt, lte=lte, desc=desc, limit=limit)
        try:
            return iter(list(found))
        except SnapshotShreddedError:
            return iter(())
