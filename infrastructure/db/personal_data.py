"""Sealing personal data in read models (application/projections/personal.py lists what is personal).

Deterministic authenticated encryption (AES-SIV, RFC 5297) under a key derived with HKDF-SHA256
from the store's data key: the same value always seals to the same text, so a rebuild writes
byte-equal rows and an equality filter works by sealing the value looked for. The price, accepted:
whoever reads the tables sees which sealed values are equal (e.g. that two approvals share an
approver), and sealed columns cannot be sorted, compared by range or searched with LIKE in SQL.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from application.governance import Governance
from application.projections.personal import Personal
from infrastructure.errors import ReadModelUnreadableError

# Sealed values start with this, so that a value written otherwise (in plain text by a modelgov
# before read models were sealed) is recognised and reported instead of misread.
PREFIX = "sealed:v1:"
_KEY_INFO = b"modelgov read models: personal data, AES-SIV-256, v1"


class PersonalDataCipher:
    """Seals and opens personal values in read-model columns."""

    def __init__(self, data_key: str) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=_KEY_INFO).derive(
            base64.b64decode(data_key)
        )
        self._siv = AESSIV(derived)

    @classmethod
    def of_store(cls, governance: Governance) -> PersonalDataCipher:
        """The cipher under the data key the store's events are encrypted with."""
        return cls(governance.env["CIPHER_KEY"])

    def seal(self, text: str) -> str:
        sealed = self._siv.encrypt(text.encode(), None)
        return PREFIX + base64.b64encode(sealed).decode("ascii")

    def open(self, stored: str) -> str:
        """The value that was sealed; ReadModelUnreadableError if it was not sealed with this key."""
        if not stored.startswith(PREFIX):
            raise ReadModelUnreadableError(
                "the read models hold personal data in plain text (written by an older modelgov): "
                "run `modelgov projections rebuild`"
            )
        try:
            return self._siv.decrypt(base64.b64decode(stored[len(PREFIX) :]), None).decode()
        except (InvalidTag, binascii.Error, ValueError):
            raise ReadModelUnreadableError(
                "the read models' personal data was sealed under another data key: run "
                "`modelgov projections rebuild` with the store's key"
            ) from None

    def seal_parameters(self, parameters: Sequence[Any]) -> Sequence[Any]:
        """A statement's parameters with each `Personal` value sealed."""
        for value in parameters:  # (a loop: a generator's steps cost more than most statements')
            if isinstance(value, Personal):
                return tuple(
                    self.seal(value.text) if isinstance(value, Personal) else value
                    for value in parameters
                )
        return parameters
