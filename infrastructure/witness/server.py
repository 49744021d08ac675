"""The witness as an HTTP service: tlog-witness's `POST /add-checkpoint` and the monitoring
`GET /<origin hash>/checkpoint`, a small Starlette app apart from the ledger's API.

Every refusal is tlog-witness's status with a plain-text line saying why (409 answers the size
it last cosigned, as `text/x.tlog.size`). A check and the state written after it are one step
under a lock, so two requests never both advance from the same size (the spec's rollback race).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from application.ledger.checkpoint import NoteKey, split_note
from application.ledger.sealer import Signer
from application.ledger.witness import (
    Cosigned,
    CosigningRefusedError,
    cosignature_line,
    cosigned_message,
    decide,
    parse_add_checkpoint,
    with_signatures,
)
from infrastructure.witness.state import WitnessState

log = logging.getLogger("modelgov.witness")
MAX_BODY_BYTES = 64 * 1024  # 63 proof lines and a checkpoint with its signatures fit many times
SIZE_TYPE = "text/x.tlog.size"


@dataclass
class Witness:
    """One witness key, the log keys it trusts, and its state."""

    name: str
    signer: Signer
    log_keys: Sequence[NoteKey]
    state: WitnessState
    clock: Callable[[], float] = time.time
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_checkpoint(self, body: bytes) -> str:
        """The cosignature line for the checkpoint in `body`, the state saved before it is
        returned; CosigningRefusedError for anything tlog-witness says to refuse."""
        request = parse_add_checkpoint(body)
        with self._lock:
            try:
                checkpoint = decide(request, state=self.state.logs, log_keys=self.log_keys)
            except CosigningRefusedError as refusal:
                if refusal.status == 422:  # validly signed by the log and inconsistent: keep it
                    log.warning("refused to cosign: %s; the checkpoint:\n%s", refusal, request.note)
                raise
            timestamp = max(1, int(self.clock()))
            # The whole note text, extension lines included (tlog-cosignature), not only the
            # three lines a checkpoint must have.
            text = split_note(request.note).text
            signature = self.signer.sign(cosigned_message(text, timestamp))
            line = cosignature_line(
                name=self.name,
                public_key=self.signer.public_key,
                timestamp=timestamp,
                signature=signature,
            )
            cosigned = Cosigned(
                checkpoint.tree_size, checkpoint.root, with_signatures(request.note, [line])
            )
            self.state.record(checkpoint.origin, cosigned)
        log.info("cosigned %s at size %d", checkpoint.origin, checkpoint.tree_size)
        return line

    def latest(self, origin_hash: str) -> str | None:
        """The last checkpoint cosigned for the log whose origin hashes (SHA-256, hex) so."""
        for origin, cosigned in self.state.logs.items():
            if hashlib.sha256(origin.encode()).hexdigest() == origin_hash:
                return cosigned.note
        return None


def witness_app(witness: Witness) -> Starlette:
    async def add_checkpoint(request: Request) -> Response:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return _plain(413, f"a request body is at most {MAX_BODY_BYTES} bytes")
        body = b""
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    return _plain(413, f"a request body is at most {MAX_BODY_BYTES} bytes")
        except ClientDisconnect:
            return _plain(400, "the request body did not arrive whole")
        try:
            line = await run_in_threadpool(witness.add_checkpoint, body)
        except CosigningRefusedError as refusal:
            if refusal.status == 409:
                return PlainTextResponse(f"{refusal.size}\n", 409, media_type=SIZE_TYPE)
            return _plain(refusal.status, str(refusal))
        return PlainTextResponse(line)

    async def checkpoint(request: Request) -> Response:
        note = witness.latest(request.path_params["origin_hash"])
        if note is None:
            return _plain(404, "this witness has cosigned no checkpoint of that log")
        return PlainTextResponse(note, headers={"Cache-Control": "no-cache, max-age=0"})

    return Starlette(
        routes=[
            Route("/add-checkpoint", add_checkpoint, methods=["POST"]),
            Route("/{origin_hash:str}/checkpoint", checkpoint, methods=["GET"]),
        ]
    )


def _plain(status: int, message: str) -> PlainTextResponse:
    return PlainTextResponse(message + "\n", status)
