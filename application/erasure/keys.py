"""The erasure keys: one random AES-256 key per person (and one per model's snapshots), kept in the
store's own database, each wrapped (AES-GCM) under a key derived from the data key.

Deleting a person's row is forgetting them: what was sealed under their key can no longer be
opened by anyone, the data key's holder included, while the sealed bytes stay where they are (so
the ledger's hashes over them still verify). A person is found by a pseudonymous id, an HMAC of
their normalised identifier (e-mail address, principal id, owner text) under another key derived
from the data key: the table holds no identifier, and without the data key nobody can tell whose
row is whose. The store (infrastructure/db/erasure_keys.py) keeps the rows; this module keeps the
keys' meaning and a short-lived cache, so a command looks each person's key up once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PERSON = "person"
SNAPSHOTS = "snapshots"
# How long a looked-up key (or its absence) is trusted in a process: another process's `forget`
# is seen within this time; this process's own at once (`forget_cached`).
CACHE_SECONDS = 5.0
_REF_INFO = b"modelgov erasure: pseudonymous ids of people, HMAC-SHA256, v1"
_WRAP_INFO = b"modelgov erasure: wrapping of erasure keys, AES-GCM-256, v1"


@runtime_checkable
class ErasureKeyStore(Protocol):
    """Where erasure keys are kept: the event recorder, in the events' database. It deletes the
    rows named by `Application.save(..., shred=[...])` in the transaction of the events saved."""

    def erasure_key(self, ref: str) -> bytes | None:
        """The wrapped key stored under `ref`, or None (never made, or forgotten)."""
        ...

    def add_erasure_key(self, ref: str, *, kind: str, wrapped: bytes) -> None:
        """Store a wrapped key under `ref` unless one is there already (then keep that one)."""
        ...


def _derived(data_key: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        base64.b64decode(data_key)
    )


def normalised(identifier: str) -> str:
    """The form an identifier is hashed in: `Ann.Lee@Bank.example ` and `ann.lee@bank.example`
    are one person."""
    return identifier.strip().casefold()


@dataclass
class KeyRing:
    """Erasure keys by pseudonymous id: made on first sealing, cached, forgotten on request."""

    data_key: str
    store: ErasureKeyStore | None = None
    _ref_key: bytes = field(init=False, repr=False)
    _wrap: AESGCM = field(init=False, repr=False)
    _cache: dict[str, tuple[AESGCM | None, float]] = field(default_factory=dict, repr=False)
    _refs: dict[str, str] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self._ref_key = _derived(self.data_key, _REF_INFO)
        self._wrap = AESGCM(_derived(self.data_key, _WRAP_INFO))

    def person_ref(self, identifier: str) -> str:
        """The pseudonymous id of a person's identifier (32 hex digits)."""
        ref = self._refs.get(identifier)
        if ref is None:
            digest = hmac.new(self._ref_key, normalised(identifier).encode(), hashlib.sha256)
            ref = digest.hexdigest()[:32]
            if len(self._refs) >= 10_000:  # the people of a store are few; bounded all the same
                self._refs.clear()
            self._refs[identifier] = ref
        return ref

    def snapshots_ref(self, model_id: UUID) -> str:
        digest = hmac.new(self._ref_key, b"snapshots:" + model_id.bytes, hashlib.sha256)
        return digest.hexdigest()[:32]

    def for_sealing(self, ref: str, *, kind: str = PERSON) -> AESGCM:
        """The key to seal under `ref`, made and stored if there is none (the store keeps the
        first one written when two processes make one at once, and both then use it)."""
        assert self.store is not None
        key = self.for_opening(ref)
        if key is not None:
            return key
        nonce = os.urandom(12)
        wrapped = nonce + self._wrap.encrypt(nonce, AESGCM.generate_key(256), ref.encode())
        self.store.add_erasure_key(ref, kind=kind, wrapped=wrapped)
        self.forget_cached([ref])
        key = self.for_opening(ref)
        assert key is not None, f"the erasure key {ref} was stored and is not found"
        return key

    def for_opening(self, ref: str) -> AESGCM | None:
        """The key sealed under `ref`, or None: forgotten, never made, or no store to ask."""
        now = time.monotonic()
        cached = self._cache.get(ref)
        if cached is not None and cached[1] > now:
            return cached[0]
        wrapped = self.store.erasure_key(ref) if self.store is not None else None
        key = None if wrapped is None else self._unwrapped(ref, wrapped)
        with self._lock:
            self._cache[ref] = (key, now + CACHE_SECONDS)
        return key

    def _unwrapped(self, ref: str, wrapped: bytes) -> AESGCM:
        try:
            return AESGCM(self._wrap.decrypt(wrapped[:12], wrapped[12:], ref.encode()))
        except (InvalidTag, ValueError):
            raise ValueError("an erasure key does not open with this data key") from None

    def forget_cached(self, refs: list[str] | None = None) -> None:
        """Drop cached keys (all, or those of `refs`): the next use asks the store again."""
        with self._lock:
            if refs is None:
                self._cache.clear()
            for ref in refs or ():
                self._cache.pop(ref, None)
