"""Ed25519 signing keys for tree heads: a private key file (mode 0600, optionally passphrase-protected)
and its public key, identified by a key id that stays published after rotation."""

from __future__ import annotations

import errno
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from application.ledger.checkpoint import vkey
from application.ledger.records import SignedHead, TreeHead
from infrastructure.errors import SettingsError
from infrastructure.files import create_once


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    """The key's 32 raw bytes: what its key id hashes and a checkpoint's vkey carries."""
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_for(public_key: Ed25519PublicKey) -> str:
    return hashlib.sha256(raw_public_key(public_key)).hexdigest()[:16]


def public_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_pem(data: bytes, *, source: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise SettingsError(f"{source} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SettingsError(f"{source} is not an Ed25519 public key")
    return key


class Ed25519Signer:
    """Signs tree heads with the private key; `key_id` names its public key, and `public_key` holds
    its raw bytes (what a checkpoint's vkey carries). Both are worked out once, when it is made."""

    __slots__ = ("key_id", "private_key", "public_key")

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self.private_key = private_key
        public_key = private_key.public_key()
        self.public_key = raw_public_key(public_key)
        self.key_id = key_id_for(public_key)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


def write_key_pair(path: Path, *, passphrase: str | None) -> Ed25519Signer:
    """Write a new private key to `path` (0600) and its public key beside it (`.pub`)."""
    key = Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    if not create_once(path, pem):
        raise FileExistsError(errno.EEXIST, "a signing key exists already", str(path))
    public_path(path).write_bytes(public_pem(key.public_key()))
    return Ed25519Signer(key)


def public_path(private_path: Path) -> Path:
    return private_path.with_name(private_path.name + ".pub")


def load_signer(path: Path, *, passphrase: str | None) -> Ed25519Signer:
    if not path.exists():
        raise SettingsError(
            f"no signing key at {path}: run `modelgov keys init` (or set MODELGOV_SIGNING_KEY_FILE)"
        )
    try:
        key = serialization.load_pem_private_key(
            path.read_bytes(), password=passphrase.encode() if passphrase else None
        )
    except (TypeError, ValueError) as error:
        raise SettingsError(
            f"cannot load the signing key {path}: {error} (is MODELGOV_SIGNING_KEY_PASSPHRASE right?)"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SettingsError(f"{path} is not an Ed25519 private key")
    return Ed25519Signer(key)


def signature_checker(public_keys: dict[str, Ed25519PublicKey]) -> SignatureCheck:
    return SignatureCheck(public_keys)


@dataclass(frozen=True)
class SignatureCheck:
    """True when a head is signed by one of the trusted public keys, under its own key id."""

    public_keys: dict[str, Ed25519PublicKey]

    def __call__(self, signed: SignedHead) -> bool:
        key = self.public_keys.get(signed.head.key_id)
        if key is None:
            return False
        try:
            key.verify(signed.signature, signed.head.signed_bytes())
        except InvalidSignature:
            return False
        return True


def local_public_keys(private_path: Path) -> list[Path]:
    """The current public key and every retired one kept beside the signing key."""
    candidates = [
        public_path(private_path),
        *sorted(private_path.parent.glob(f"{private_path.name}.*.retired.pub")),
    ]
    return [path for path in candidates if path.exists()]


@dataclass(frozen=True)
class HeadFile:
    """The last signed head, kept as JSON beside the signing key, outside the database."""

    path: Path

    def load(self) -> SignedHead | None:
        if not self.path.exists():
            return None
        data = json.loads(self.path.read_text())
        head = TreeHead(
            int(data["tree_size"]), bytes.fromhex(data["root"]), data["timestamp"], data["key_id"]
        )
        return SignedHead(head, bytes.fromhex(data["signature"]))

    def save(self, signed: SignedHead) -> None:
        head = signed.head
        data = {"tree_size": head.tree_size, "root": head.root.hex(), "timestamp": head.timestamp,
                "key_id": head.key_id, "signature": signed.signature.hex()}  # fmt: skip
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(data) + "\n")
        temporary.replace(self.path)


def head_file_for(private_path: Path) -> HeadFile:
    return HeadFile(private_path.with_name(private_path.name + ".head"))


def trusted_keys(paths: list[Path]) -> SignatureCheck:
    """A signature check trusting exactly the public keys in these PEM files."""
    keys = {}
    for path in paths:
        key = load_public_pem(path.read_bytes(), source=str(path))
        keys[key_id_for(key)] = key
    return SignatureCheck(keys)


def rotate_key(path: Path, *, passphrase: str | None) -> tuple[Ed25519Signer, Path, Ed25519Signer]:
    """Retire the current key (kept beside it, with its public key) and write a new one.

    Returns the old signer, where it was kept, and the new signer.
    """
    old = load_signer(path, passphrase=passphrase)
    retired = path.with_name(f"{path.name}.{old.key_id}.retired")
    path.rename(retired)
    public_path(path).rename(public_path(retired))
    return old, retired, write_key_pair(path, passphrase=passphrase)


def public_key_summary(private_path: Path, *, origin: str) -> dict[str, object]:
    """The signing key's public half as `keys show` and the console show it: its key id, its
    SHA-256 fingerprint, the vkey that checks the C2SP checkpoints, and the retired keys' vkeys
    (checkpoints signed before a rotation check with those). Reads only the public key files."""
    path = public_path(private_path)
    if not path.exists():
        raise SettingsError(f"no public key at {path}: run `modelgov keys init` first")

    def load(public_key_file: Path) -> Ed25519PublicKey:
        return load_public_pem(public_key_file.read_bytes(), source=str(public_key_file))

    public_key = load(path)
    public = raw_public_key(public_key)
    retired = [raw_public_key(load(p)) for p in local_public_keys(private_path) if p != path]
    return {
        "key_id": key_id_for(public_key),
        "fingerprint": "SHA256:" + hashlib.sha256(public).hexdigest(),
        "public_key_file": str(path),
        "origin": origin,
        "vkey": vkey(origin, public),
        "retired_vkeys": [vkey(origin, raw) for raw in retired],
    }
