"""What a command (or a document it carries) declares on its fields, read once per class, and the
domain holding a field to it: a bound written beside the field (domain/fields.py markers) is the
one the HTTP schema states and the one the domain checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args, get_type_hints

from domain.errors import InvalidValueError
from domain.fields import Doc, OneOf, Text
from domain.values import require_choice, require_text


@dataclass(frozen=True)
class Declared:
    """What a command (or document) class declares on one field: its markers, and whether None
    is one of its values (`str | None`)."""

    markers: tuple[object, ...]
    optional: bool


def declared(owner: type, name: str) -> Declared:
    """What `owner` declares on its field `name` (read once per class and field)."""
    key = (owner, name)
    if key not in _DECLARED:
        hint = get_type_hints(owner, include_extras=True)[name]
        markers = tuple(getattr(hint, "__metadata__", ()))
        bare = get_args(hint)[0] if markers else hint
        _DECLARED[key] = Declared(markers, optional=type(None) in get_args(bare))
    return _DECLARED[key]


_DECLARED: dict[tuple[type, str], Declared] = {}  # classes do not change once defined


def require_declared(owner: object, *names: str) -> tuple[Any, ...]:
    """The fields `names` of a command, each held to the markers its class declares on it
    (domain/fields.py), so a bound is written once: a `OneOf` as `require_choice` holds it, a
    `Text` as `require_text` does (one whose `min` is 0 may be empty). None passes where the
    field's type allows it. A field with no marker, or with one not held here, is a TypeError:
    a programming error, never passed over in silence."""
    values: list[Any] = []
    for name in names:
        value = getattr(owner, name)
        field = declared(type(owner), name)
        bounds = [marker for marker in field.markers if not isinstance(marker, Doc)]
        if not bounds:
            raise TypeError(f"{type(owner).__name__}.{name} declares no bounds to hold it to")
        if value is None and field.optional:
            values.append(None)
            continue
        for marker in bounds:
            value = _held_to(marker, name, value)
        values.append(value)
    return tuple(values)


def _held_to(marker: object, name: str, value: Any) -> Any:
    if isinstance(marker, OneOf):
        return require_choice(name, value, marker.choices)
    if not isinstance(marker, Text):
        raise TypeError(f"{name}: require_declared does not hold a field to {marker!r}")
    if marker.min == 0:
        if not isinstance(value, str) or len(value) > marker.max:
            raise InvalidValueError(name, f"must be a text of at most {marker.max} characters")
        return value
    text = require_text(name, value, max_length=marker.max)
    if len(text) < marker.min:
        raise InvalidValueError(name, f"must be at least {marker.min} characters")
    return text
