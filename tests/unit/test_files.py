"""Secret files created on first use by processes that start at once (workers on a new store):
one of them writes the file, whole, and every one reads the same secret."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from infrastructure.db.store import write_cipher_key
from infrastructure.files import create_once
from infrastructure.webhooks.payloads import load_secret

T = TypeVar("T")
STARTERS = 16


def all_at_once(start: Callable[[], T]) -> list[T]:
    """`start()` in STARTERS threads released together; their results (an error is raised)."""
    gate = threading.Barrier(STARTERS)

    def starter() -> T:
        gate.wait()
        return start()

    with ThreadPoolExecutor(STARTERS) as pool:
        return list(pool.map(lambda _: starter(), range(STARTERS)))


def test_one_creator_wins_and_the_file_is_whole_and_private(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "secret"
    contents = iter(range(STARTERS))
    won = all_at_once(lambda: create_once(path, f"secret {next(contents)}\n".encode() * 1000))
    assert won.count(True) == 1
    assert len(set(path.read_bytes().split(b"\n")[:-1])) == 1  # one writer's lines, all of them
    assert path.stat().st_mode & 0o777 == 0o600
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind
    assert create_once(path, b"another") is False and path.read_bytes().startswith(b"secret ")


def test_workers_starting_together_all_get_the_one_webhook_secret(tmp_path: Path) -> None:
    path = tmp_path / "modelgov.webhook.key"
    secrets = all_at_once(lambda: load_secret(None, path))
    assert len(set(secrets)) == 1 and len(secrets[0]) >= 32
    assert path.read_text().strip().encode() == secrets[0]


def test_workers_starting_together_all_get_the_one_cipher_key(tmp_path: Path) -> None:
    path = tmp_path / "modelgov.cipher.key"
    keys = all_at_once(lambda: write_cipher_key(path))
    assert len(set(keys)) == 1
    assert path.read_text().strip() == keys[0]
