"""How the model's state objects are written into snapshots: each dataclass as a dict of its fields."""

from __future__ import annotations

import dataclasses
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain.entities import STATE_TYPES
from domain.policy import Policy


class DataclassAsDict(Transcoding):
    """Encodes a dataclass as its fields (nested values are encoded in turn) and rebuilds it."""

    def __init__(self, cls: type) -> None:
        self.type = cls
        self.name = f"modelgov.{cls.__name__}"

    def encode(self, obj: Any) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type(**data)


def register_state_transcodings(transcoder: JSONTranscoder) -> None:
    for cls in (*STATE_TYPES, Policy):
        transcoder.register(DataclassAsDict(cls))
