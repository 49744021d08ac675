"""One page style for every list of the API, and one refusal of unknown query parameters.

A list takes `limit` and `cursor` (absent for the first page) and answers
`{"items": [...], "next_cursor": "..." | null}`; null means the end. The cursor is opaque: the
base64url text of the list's name and the sort key of the page's last item, so a cursor given
by one list and sent to another, or edited, is refused 422 `invalid_cursor`, never read as an
empty page. Each list states its key's type; a decoded key is checked against it.

(No `from __future__ import annotations` here: FastAPI reads the dependency's signature at run time.)
"""

import base64
import binascii
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi._compat import ModelField
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import Field, TypeAdapter, ValidationError

from infrastructure.errors import InvalidCursorError, UnknownParameterError

MAX_CURSOR = 4000  # characters: a key is a few numbers and names, or a webhook URL (up to 2,000)
_CURSOR = re.compile(r"^[A-Za-z0-9_-]+$")  # base64url without padding, as `cursor_for` writes
Position = Annotated[int, Field(ge=0, le=2**62)]  # a key that counts from zero
# Keys that are text: no NUL (PostgreSQL text cannot hold one: a crafted cursor would fail there).
Name = Annotated[str, Field(max_length=200, pattern=r"^[^\x00]*$")]  # a name
Url = Annotated[str, Field(max_length=2000, pattern=r"^[^\x00]*$")]  # a webhook's URL


@dataclass(frozen=True)
class PageRequest:
    """A list's `limit`, and the key of the last item the previous page gave (None: the first)."""

    kind: str
    limit: int
    after: Any

    def page(self, rows: Sequence[Any], *, key: Callable[[Any], Any]) -> dict[str, Any]:
        """The answer, from up to `limit + 1` rows in key order after `after` (one more tells
        that another page follows)."""
        items = list(rows[: self.limit])
        more = len(rows) > self.limit and bool(items)
        return self.answer(items, next_key=key(items[-1]) if more else None)

    def answer(self, items: list[Any], *, next_key: Any) -> dict[str, Any]:
        """The answer: `items`, and the cursor of the page after the key `next_key` (None: the end)."""
        return {"items": items, "next_cursor": self.cursor(next_key)}

    def cursor(self, key: Any) -> str | None:
        return None if key is None else cursor_for(self.kind, key)


def cursor_for(kind: str, key: Any) -> str:
    """The opaque cursor that continues list `kind` after the item with sort key `key`."""
    text = json.dumps([kind, key], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _key_from(kind: str, cursor: str, keys: TypeAdapter[Any]) -> Any:
    refused = InvalidCursorError(
        f"cursor {cursor[:40]!r} was not given by this list; send the `next_cursor` of its "
        "last page, or no cursor for the first page"
    )
    if len(cursor) > MAX_CURSOR or not _CURSOR.match(cursor):
        raise refused
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        found_kind, key = json.loads(text)
        if found_kind != kind:
            raise refused
        # Strictly: a number is not a name, nor "7" a number; JSON has lists for tuples.
        return keys.validate_python(tuple(key) if isinstance(key, list) else key, strict=True)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, ValidationError):
        raise refused from None


def paging(
    kind: str, *, key: Any, default: int, maximum: int
) -> Callable[..., Awaitable[PageRequest]]:
    """Dependency of list `kind`: its `limit` (1..maximum) and its `cursor`, whose key must be a
    `key` (a type, e.g. `Name` or `tuple[str, int]`)."""
    keys: TypeAdapter[Any] = TypeAdapter(key)

    async def page_request(  # no I/O: on the event loop, no thread hop
        limit: Annotated[
            int, Query(ge=1, le=maximum, description=f"Items per page (at most {maximum}).")
        ] = default,
        cursor: Annotated[
            str | None,
            Query(
                description="The `next_cursor` of the previous page (opaque); absent for the "
                "first page. One this list did not give is 422 `invalid_cursor`.",
            ),
        ] = None,
    ) -> PageRequest:
        after = None if cursor is None else _key_from(kind, cursor, keys)
        return PageRequest(kind=kind, limit=limit, after=after)

    return page_request


async def refuse_unknown_parameters(request: Request) -> None:
    """Dependency of every route: 422 `unknown_parameter` for a query parameter the route does not
    declare (a misspelt filter would otherwise be ignored, and the answer look filtered). Async,
    as it does no I/O: no thread hop on every request."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    unknown = sorted(set(request.query_params) - _declared(route))
    if unknown:
        raise UnknownParameterError(
            f"unknown query parameter {unknown[0]!r}"
            + (f" (and {', '.join(map(repr, unknown[1:]))})" if unknown[1:] else "")
            + f"; this route takes: {', '.join(sorted(_declared(route))) or 'none'}"
        )


def _declared(route: APIRoute) -> frozenset[str]:
    found: frozenset[str] | None = getattr(route, "modelgov_query_parameters", None)
    if found is None:  # once per route: its dependencies do not change after start
        found = frozenset(field.alias for field in query_fields(route.dependant))
        route.modelgov_query_parameters = found  # type: ignore[attr-defined]
    return found


def query_fields(dependant: Dependant) -> list[ModelField]:
    """Every query parameter of a route, its dependencies' (e.g. `paging`'s) included, once each."""
    found: dict[str, ModelField] = {}
    pending = [dependant]
    while pending:
        current = pending.pop(0)
        for field in current.query_params:
            found.setdefault(field.alias, field)
        pending += current.dependencies
    return list(found.values())
