"""Tree heads as C2SP tlog-checkpoints: signed notes that code we did not write can check.

A checkpoint (https://c2sp.org/tlog-checkpoint) is the note text `origin`, tree size and base64
root, one line each; a signed note (https://c2sp.org/signed-note) adds, after a blank line, one
line per signature: an em dash, the key's name and base64(key ID || signature). For an Ed25519
key the key ID is the first four bytes of SHA-256(name || 0x0A || 0x01 || public key), and a
verifier knows the key by its vkey, `name+<key ID in hex>+base64(0x01 || public key)`. The tree
is the one the ledger already builds (RFC 6962 hashing), so only the format is new.

Pure functions and the Ed25519 check; signing itself is a `Signer`'s
(infrastructure/ledger/keys.py).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from hashlib import sha256

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from application.ledger.merkle import HASH_SIZE

ED25519 = 0x01  # the signed-note signature type of a plain Ed25519 signature
COSIGNATURE_V1 = 0x04  # a C2SP tlog-cosignature (Ed25519, timestamped): a witness's key
DASH = "\u2014"  # what a signature line begins with, then a space
_NAME = re.compile(r"[^\s+]+")  # a key name: no spaces, no plus
_SIZE = re.compile(r"0|[1-9][0-9]*")


class CheckpointError(ValueError):
    """A note that is not a well-formed checkpoint, or whose signature does not check."""


@dataclass(frozen=True)
class Checkpoint:
    """The three lines a checkpoint signs: which log, how many leaves, and their root."""

    origin: str
    tree_size: int
    root: bytes

    def text(self) -> str:
        """The note text, each line ended by a newline, as it is signed."""
        return f"{self.origin}\n{self.tree_size}\n{base64.b64encode(self.root).decode()}\n"


def check_name(name: str) -> str:
    """A key name or origin as the note format allows it (non-empty, no spaces, no `+`)."""
    if not _NAME.fullmatch(name):
        raise CheckpointError(
            f"{name!r} cannot name a note key or a log: it must be non-empty, with no spaces "
            "and no '+' (e.g. modelgov.example/ledger)"
        )
    return name


def key_id(name: str, public_key: bytes, kind: int = ED25519) -> bytes:
    """The four bytes that name an Ed25519 note key (signed-note: key ID) of signature type
    `kind` (0x01 a log's key, 0x04 a witness's cosignature key)."""
    return sha256(name.encode() + b"\n" + bytes([kind]) + public_key).digest()[:4]


def vkey(name: str, public_key: bytes, kind: int = ED25519) -> str:
    """The verifier key: what an auditor passes to a signed-note verifier (e.g. Go's sumdb/note)."""
    encoded = base64.b64encode(bytes([kind]) + public_key).decode()
    return f"{check_name(name)}+{key_id(name, public_key, kind).hex()}+{encoded}"


@dataclass(frozen=True)
class NoteKey:
    """A verifier key, parsed: its name, key ID, Ed25519 public key and signature type."""

    name: str
    key_id: bytes
    public_key: bytes
    kind: int = ED25519

    def text(self) -> str:
        """The vkey this was parsed from."""
        return vkey(self.name, self.public_key, self.kind)


_KINDS = {ED25519: "a log's Ed25519 key (type 0x01)", COSIGNATURE_V1: "a witness's key (type 0x04)"}


def parse_vkey(text: str, kind: int = ED25519) -> NoteKey:
    """A vkey of signature type `kind`; any other type is refused, saying what was expected."""
    parts = text.strip().split("+", 2)  # the key's base64 may hold '+' itself
    if len(parts) != 3:
        raise CheckpointError("a vkey is NAME+KEYID+KEY (three parts joined by '+')")
    name, hex_id, encoded = parts
    try:
        raw = base64.b64decode(encoded, validate=True)
        found = bytes.fromhex(hex_id)
    except (ValueError, binascii.Error):
        raise CheckpointError("a vkey's key ID is 8 hex digits and its key base64") from None
    if len(raw) != 33 or raw[0] != kind:
        raise CheckpointError(f"this vkey is not {_KINDS[kind]}, 32 bytes")
    if found != key_id(check_name(name), raw[1:], kind):
        raise CheckpointError("the vkey's key ID does not match its name and key")
    return NoteKey(name, found, raw[1:], kind)


def signature_line(name: str, payload: bytes) -> str:
    """One note signature line, with its newline: the key's name and base64(key ID || ...)."""
    return f"{DASH} {name} {base64.b64encode(payload).decode()}\n"


def signed_note(checkpoint: Checkpoint, name: str, public_key: bytes, signature: bytes) -> str:
    """The checkpoint as a signed note with one Ed25519 signature over its text."""
    return f"{checkpoint.text()}\n" + signature_line(name, key_id(name, public_key) + signature)


def ed25519_valid(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """Whether `signature` is `public_key`'s Ed25519 signature of `message` (False for a
    malformed key or signature, never an exception)."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class SignedNote:
    """A note split into its text and its signatures (name, key ID, signature bytes)."""

    text: str
    signatures: list[tuple[str, bytes, bytes]]

    def by(self, key: NoteKey) -> list[bytes]:
        """Every signature line of `key` (matched by name and key ID): a verifier requires each
        to verify, so a bad line of a known key is never hidden by a good one."""
        return [
            signature
            for name, found, signature in self.signatures
            if name == key.name and found == key.key_id
        ]


def split_note(note: str) -> SignedNote:
    """The note's text and signature lines; unknown signatures are kept (and ignored later)."""
    text, separator, lines = note.rpartition("\n\n")
    if not separator or not lines.endswith("\n"):
        raise CheckpointError("a signed note is its text, a blank line, then signature lines")
    signatures = []
    for line in lines[:-1].split("\n"):
        dash, _, rest = line.partition(" ")
        name, _, encoded = rest.partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raw = b""
        if dash != DASH or not name or len(raw) < 5:
            raise CheckpointError(f"not a signature line: {line[:80]!r}")
        signatures.append((name, raw[:4], raw[4:]))
    return SignedNote(text + "\n", signatures)


def parse_checkpoint(text: str) -> Checkpoint:
    """The origin, size and root of a checkpoint's note text (extension lines are allowed)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or not all(lines[:-1]):
        raise CheckpointError("a checkpoint's text is at least three non-empty lines")
    origin, size, encoded = lines[:3]
    if not _SIZE.fullmatch(size):
        raise CheckpointError(f"a checkpoint's second line is a tree size, not {size!r}")
    try:
        root = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        root = b""
    if len(root) != HASH_SIZE:
        raise CheckpointError("a checkpoint's third line is a base64 SHA-256 root hash")
    return Checkpoint(origin, int(size), root)
