"""The sealer's side of tlog-witness: each new checkpoint goes to every configured witness with
a consistency proof from the size that witness last cosigned; the cosignature it answers is
checked with its vkey and stored (modelgov_ledger_cosignatures).

A witness that is down, slow or refusing never stops sealing: the failure is logged and the
latest checkpoint is offered again after a backoff (up to MAX_BACKOFF_SECONDS), from the
sealer's loop. A 409 says which size the witness is at; the request is sent once more from it.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from application.ledger.checkpoint import CheckpointError
from application.ledger.merkle import consistency_proof
from application.ledger.witness import AddCheckpoint, cosigners, response_lines, with_signatures
from infrastructure.ledger.storage import SqlLedgerTables
from infrastructure.setting_values import WitnessEndpoint

log = logging.getLogger("modelgov.ledger.witnesses")
MAX_BACKOFF_SECONDS = 300.0
MAX_ANSWER_BYTES = 64 * 1024


class WitnessAnswerError(Exception):
    """A witness did not cosign: its status and what it said (or what was wrong with it)."""


@dataclass
class _Progress:
    cosigned: int  # the largest size this witness cosigned for this log, as stored
    witness_at: int  # the size it last said it is at (what `old` is sent as)
    failures: int = 0
    next_try: float = 0.0  # before this, do not try again: the witness was unreachable, or it
    failed_size: int = 0  # refused this very checkpoint (a newer one is offered at once)


@dataclass
class CheckpointWitnesses:
    """Asks each witness to cosign the latest checkpoint (the sealer calls `cosign` after every
    round); cosigned sizes start from what the table holds."""

    endpoints: Sequence[WitnessEndpoint]
    tables: SqlLedgerTables
    timeout_seconds: float = 5.0
    clock: Callable[[], float] = time.monotonic
    _progress: dict[WitnessEndpoint, _Progress] = field(default_factory=dict)

    def cosign(self, tree_size: int, note: str) -> None:
        for endpoint in self.endpoints:
            progress = self._progress.get(endpoint)
            if progress is None:
                cosigned = self.tables.cosigned_size(endpoint.key.text())
                progress = _Progress(cosigned, witness_at=cosigned)
                self._progress[endpoint] = progress
            if progress.cosigned >= tree_size or self._waiting(progress, tree_size):
                continue
            try:
                line = self._submit(endpoint, progress, tree_size, note)
            except Exception as error:  # a witness's failure is never the sealer's: log, retry
                unreachable = not isinstance(error, WitnessAnswerError)
                progress.failed_size = 0 if unreachable else tree_size
                progress.failures += 1
                backoff = min(2.0**progress.failures, MAX_BACKOFF_SECONDS)
                progress.next_try = self.clock() + backoff
                log.warning(
                    "witness %s did not cosign the checkpoint at size %d (%s); trying again in "
                    "%.0f s", endpoint.url, tree_size, error, backoff,
                )  # fmt: skip
                continue
            self.tables.append_cosignature(tree_size, endpoint.key.text(), line)
            progress.cosigned = progress.witness_at = tree_size
            progress.failures, progress.next_try = 0, 0.0
            log.info("witness %s cosigned the checkpoint at size %d", endpoint.url, tree_size)

    def _waiting(self, progress: _Progress, tree_size: int) -> bool:
        if self.clock() >= progress.next_try:
            return False
        return progress.failed_size in (0, tree_size)

    def _submit(
        self, endpoint: WitnessEndpoint, progress: _Progress, tree_size: int, note: str
    ) -> str:
        old = progress.witness_at
        for _ in range(2):
            status, answer = self._post(endpoint, self._request(old, tree_size, note))
            if status == 200:
                return self._checked(endpoint, note, answer)
            if status != 409:
                raise WitnessAnswerError(f"HTTP {status}: {answer.strip()[:200]}")
            try:
                old = int(answer.strip())
            except ValueError:
                raise WitnessAnswerError(f"HTTP 409 without a size: {answer[:80]!r}") from None
            if old > tree_size:
                raise WitnessAnswerError(
                    f"it has cosigned a larger tree (size {old}) than this log's latest "
                    f"checkpoint ({tree_size}): the log was rolled back or forked"
                )
            progress.witness_at = old
        raise WitnessAnswerError(f"HTTP 409 twice: it moved to size {old} meanwhile")

    def _request(self, old: int, tree_size: int, note: str) -> AddCheckpoint:
        proof = (
            consistency_proof(self.tables.leaf_hashes(0, tree_size), old)
            if 0 < old < tree_size
            else []
        )
        return AddCheckpoint(old, tuple(proof), note)

    def _post(self, endpoint: WitnessEndpoint, request: AddCheckpoint) -> tuple[int, str]:
        posted = urllib.request.Request(
            endpoint.url + "/add-checkpoint", data=request.body(), method="POST"
        )
        try:
            with urllib.request.urlopen(posted, timeout=self.timeout_seconds) as response:
                return int(response.status), response.read(MAX_ANSWER_BYTES).decode(
                    errors="replace"
                )
        except urllib.error.HTTPError as error:
            return int(error.code), error.read(MAX_ANSWER_BYTES).decode(errors="replace")

    @staticmethod
    def _checked(endpoint: WitnessEndpoint, note: str, answer: str) -> str:
        """The answer's line that is a valid cosignature by this witness's key on this note."""
        try:
            lines = response_lines(answer)
        except CheckpointError as error:
            raise WitnessAnswerError(f"HTTP 200 but {error}") from None
        for line in lines:
            if cosigners(with_signatures(note, [line]), [endpoint.key]):
                return line
        raise WitnessAnswerError(
            f"HTTP 200 without a valid cosignature by {endpoint.key.name} "
            f"({endpoint.key.key_id.hex()}) on this checkpoint"
        )
