"""What the generated methods are made of: a route's description, and what a write answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Parameter:
    """One field a route takes: `name` in Python, `wire` in the request, `kind` for the CLI."""

    name: str
    wire: str
    annotation: str
    kind: str
    required: bool
    choices: tuple[str, ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class Operation:
    """One route of the API: its method, path template and the fields of its path, query and body."""

    name: str
    method: str
    path: str
    doc: str
    path_parameters: tuple[Parameter, ...]
    query: tuple[Parameter, ...]
    body: tuple[Parameter, ...]

    @property
    def paged(self) -> bool:
        """A list: it takes `cursor` and `limit` and answers `items` and `next_cursor`."""
        return {"cursor", "limit"} <= {p.name for p in self.query}


@dataclass(frozen=True)
class Written:
    """What a command recorded.

    `model_revision` is the model's revision after it (its ETag, for `if_match`); `result` the new
    version number, breach or flag id, when the command makes one; `position` the store position
    to read one's own write at (sent as `Modelgov-After-Position`); `replayed` is true when the
    server answered a retry with the answer it had already recorded for the same idempotency key.
    """

    model: str | None
    model_revision: int | None
    result: Any
    position: int | None
    idempotency_key: str
    replayed: bool
    document: Any
