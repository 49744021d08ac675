"""The digest of an artifact on disk: a file's SHA-256, or a folder's file-manifest digest."""

from __future__ import annotations

import hashlib
from pathlib import Path

from domain.values import manifest_sha256
from infrastructure.errors import CommandFailedError


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def artifact_digest(path: Path) -> tuple[str, str]:
    """(`artifact_sha256`, `artifact_sha256_of`) for a file (`file`) or a folder (`file_manifest`:
    the digest of its sorted relative paths and their files' SHA-256, domain/values.py)."""
    if path.is_file():
        return file_sha256(path), "file"
    if not path.is_dir():
        raise CommandFailedError(f"no artifact at {path}: give a file or a folder")
    files = [
        (found.relative_to(path).as_posix(), file_sha256(found))
        for found in path.rglob("*")
        if found.is_file()
    ]
    if not files:
        raise CommandFailedError(f"the artifact folder {path} holds no file to digest")
    return manifest_sha256(files), "file_manifest"
