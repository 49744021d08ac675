"""Idempotency-Key: a retried POST gets the original answer and records nothing new.

A success's answer is saved with the command's events, in the same transaction (the command's
receipt, application/receipts.py); a refusal, which records nothing, in a statement of its own.
So a key is never "in flight": it is answered, or it is free and the request runs. Two requests
with one key racing each other both run, one commits, and the other gets the first one's answer.
Answer bodies can hold personal data (e-mails, comments): they are stored sealed with the data key.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Cipher

from application.governance import Governance
from application.receipts import IdempotentRequest, Receipt, ReceiptStore
from application.results import Answer, AnsweredRequest, Recorded
from infrastructure.db.personal_data import PersonalDataCipher
from infrastructure.errors import IdempotencyKeyReusedError, SettingsError


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: str
    etag: str | None


class IdempotencyStore:
    """Answers per principal and Idempotency-Key, kept as receipts in the event store."""

    def __init__(
        self, receipts: ReceiptStore, cipher: Cipher, *, pseudonym: Callable[[str], str]
    ) -> None:
        self.receipts = receipts
        self.cipher = cipher
        # Principals are kept sealed (deterministically, so that a lookup finds them): an id can
        # be a person's e-mail address.
        self.pseudonym = pseudonym

    def request(
        self,
        *,
        principal: str,
        key: str,
        request_hash: str,
        answer: Callable[[Recorded[Any]], StoredResponse],
    ) -> IdempotentRequest:
        """The request as its command's receipt carries it; `answer` gives a success's response."""
        return IdempotentRequest(
            principal=self.pseudonym(principal),
            key=key,
            request_hash=request_hash,
            answer=lambda recorded: self._sealed(answer(recorded)),
        )

    def answered(self, request: IdempotentRequest) -> AnsweredRequest | None:
        """The answer stored for the request's key (to open), or None: the request is to run."""
        return self.receipts.answered_request(principal=request.principal, key=request.key)

    def opened(self, found: AnsweredRequest, request: IdempotentRequest) -> StoredResponse:
        """The stored answer, for this request; IdempotencyKeyReusedError if it answered another."""
        if found.request_hash != request.request_hash:
            raise IdempotencyKeyReusedError(
                f"Idempotency-Key {request.key!r} was already used for a different request; "
                "use a new key for a new request"
            )
        answer = found.answer
        body = self.cipher.decrypt(answer.body).decode()
        return StoredResponse(status=answer.status, body=body, etag=answer.etag)

    def answer_refusal(
        self, request: IdempotentRequest, response: StoredResponse
    ) -> AnsweredRequest | None:
        """Store a refusal as the key's answer: None when stored, else the answer stored first."""
        receipt = Receipt(
            command_id=uuid.uuid4().hex,
            principal=request.principal,
            key=request.key,
            request_hash=request.request_hash,
            answer=self._sealed(response),
        )
        if self.receipts.insert_receipt(receipt):
            return None
        found = self.answered(request)
        assert found is not None, "a receipt for the key conflicted, so one is stored"
        return found

    def _sealed(self, response: StoredResponse) -> Answer:
        return Answer(
            status=response.status,
            body=self.cipher.encrypt(response.body.encode()),
            etag=response.etag,
        )


def open_idempotency(governance: Governance) -> IdempotencyStore:
    """The store of answers over the governance application's receipts and data key."""
    cipher = governance.mapper.cipher
    if governance.receipts is None or cipher is None:
        raise SettingsError(
            "Idempotency-Key answers need modelgov's event store (receipts, a data key): "
            "open the application with infrastructure.db.store.open_governance"
        )
    return IdempotencyStore(
        governance.receipts, cipher, pseudonym=PersonalDataCipher.of_store(governance).seal
    )
