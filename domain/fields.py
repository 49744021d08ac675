"""Constraints on a command's fields, written once beside the field as `Annotated` metadata.

Plain markers (the standard library only): the domain's commands and the documents they carry
(a policy: domain/policy.py's `PolicySpec`) declare them, and the HTTP layer translates them
into its request schemas (infrastructure/api/command_schemas.py), so a length, a pattern or a
range is written in one place. The domain's own checks stay in the aggregate's rules, which
every caller goes through, whether or not it came over HTTP; where such a check holds a value to
a declared bound (a policy's numbers), it reads the marker rather than repeating the bound.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Length:
    """A length of `min` to `max`: a text's characters (`Text`), a list's or a mapping's entries
    (`Entries`)."""

    max: int
    min: int = 0


@dataclass(frozen=True)
class Text(Length):
    """A text of `min` to `max` characters."""

    max: int = 500
    min: int = 1


@dataclass(frozen=True)
class Pattern:
    """A text that matches the regular expression `regex` (anchored by the expression itself)."""

    regex: str


@dataclass(frozen=True)
class Range:
    """A number within the bounds given (both inclusive); a float within them is also finite."""

    ge: float | None = None
    le: float | None = None

    def holds(self, number: float) -> bool:
        """Whether `number` is within the bounds."""
        return (self.ge is None or self.ge <= number) and (self.le is None or number <= self.le)


@dataclass(frozen=True)
class Finite:
    """A number that is neither infinite nor NaN."""


@dataclass(frozen=True)
class OneOf:
    """One of a fixed list of texts."""

    choices: tuple[str, ...]


@dataclass(frozen=True)
class Entries(Length):
    """A list or mapping of at most `max` (and at least `min`) entries."""


@dataclass(frozen=True)
class Money:
    """A decimal amount of at most `digits` digits, `places` of them after the point."""

    digits: int = 18
    places: int = 2


@dataclass(frozen=True)
class Doc:
    """What a field means, for the people who read the API's documentation, with examples."""

    description: str = ""
    examples: tuple[object, ...] = ()
