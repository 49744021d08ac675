"""Files replaced whole: a crash at any moment leaves the old content or the new, never half."""

from __future__ import annotations

import os
import threading
from pathlib import Path


def write_atomically(path: Path, content: bytes, *, mode: int = 0o644) -> None:
    """Write `content` to a temporary file beside `path` (named for this process), flush it to
    disk, rename it over `path`, and flush the folder, so the rename itself survives a crash."""
    temporary = _written_beside(path, content, mode)
    os.replace(temporary, path)
    _sync_folder(path)


def create_once(path: Path, content: bytes, *, mode: int = 0o600) -> bool:
    """Create `path` holding `content` unless it exists; False when it did. Whole or not at all:
    the file appears with its content (a hard link to a finished temporary file), so processes
    starting at once on a new store (workers, two `serve`s) never read a half-written key, and
    one of them wins while the others read what it wrote."""
    temporary = _written_beside(path, content, mode)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        temporary.unlink()
    _sync_folder(path)
    return True


def _written_beside(path: Path, content: bytes, mode: int) -> Path:
    """A temporary file beside `path` (named for this process and thread), flushed to disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())
    return temporary


def _sync_folder(path: Path) -> None:
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
