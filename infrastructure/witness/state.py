"""A witness's state: the last checkpoint it cosigned per log, in one small JSON file beside its
key, replaced atomically (written to a temporary file, flushed to disk, renamed over the old one,
the directory flushed too), so a witness killed at any moment finds either the old state or the
new one, never half of one; and a lock file, so two witness processes never share a state."""

from __future__ import annotations

import base64
import fcntl
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from application.ledger.witness import Cosigned
from infrastructure.errors import SettingsError
from infrastructure.files import write_atomically


def state_path_for(key_file: Path) -> Path:
    return key_file.with_name(key_file.name + ".state.json")


@dataclass
class WitnessState:
    """The state file of one witness key, read once when it starts and written after each
    cosignature, before the cosignature is answered (tlog-witness: persist, then respond)."""

    path: Path
    logs: dict[str, Cosigned] = field(default_factory=dict)
    _lock: IO[bytes] | None = None

    @classmethod
    def open(cls, path: Path) -> WitnessState:
        """Lock the state (another process holding it is refused) and read it."""
        lock = path.with_name(path.name + ".lock").open("ab")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise SettingsError(
                f"another witness process holds {path}: one witness key, one process"
            ) from None
        try:
            return cls(path, _read(path), lock)
        except SettingsError:
            lock.close()
            raise

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()  # releases the lock
            self._lock = None

    def last(self, origin: str) -> Cosigned | None:
        return self.logs.get(origin)

    def record(self, origin: str, cosigned: Cosigned) -> None:
        """Make `cosigned` the log's state, on disk first, then in memory."""
        logs = {**self.logs, origin: cosigned}
        write_atomically(self.path, _encode(logs), mode=0o600)
        self.logs = logs


def _read(path: Path) -> dict[str, Cosigned]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
        return {
            origin: Cosigned(int(log["size"]), base64.b64decode(log["root"]), str(log["note"]))
            for origin, log in data["logs"].items()
        }
    except (ValueError, KeyError, TypeError) as error:
        raise SettingsError(
            f"the witness state {path} cannot be read ({error}): it is only ever replaced whole, "
            "so it was changed by hand; restore it from a backup (never delete it: the witness "
            "would then cosign any history as if new)"
        ) from None


def _encode(logs: dict[str, Cosigned]) -> bytes:
    data = {
        "logs": {
            origin: {
                "size": log.size,
                "root": base64.b64encode(log.root).decode(),
                "note": log.note,
            }
            for origin, log in sorted(logs.items())
        }
    }
    return (json.dumps(data, indent=2) + "\n").encode()
