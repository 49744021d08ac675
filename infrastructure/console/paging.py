"""Pages of the console's long lists: "showing 51-100 of 812", with links to the previous and
next pages that keep the page's filters and the other lists' places (plain links: no script)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

PAGE_SIZE = 50
MAX_PAGE = 100_000  # a bound on the query parameter; past the end shows the last items' count


@dataclass(frozen=True)
class Paging:
    """One list's page: which (1-based), of how many items, and the links around it."""

    parameter: str  # the query parameter holding this list's page number
    number: int
    total: int
    path: str
    kept: Mapping[str, str]  # the page's other query parameters (filters, other lists' pages)
    anchor: str = ""
    size: int = PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first_shown(self) -> int:
        return min(self.offset + 1, self.total)

    @property
    def last_shown(self) -> int:
        return min(self.offset + self.size, self.total)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def previous(self) -> str | None:
        return self.link(self.number - 1) if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self.link(self.number + 1) if self.number < self.pages else None

    def link(self, number: int) -> str:
        query = {key: value for key, value in self.kept.items() if value and key != self.parameter}
        if number > 1:
            query[self.parameter] = str(number)
        encoded = urlencode(sorted(query.items()))
        return f"{self.path}{'?' + encoded if encoded else ''}{'#' + self.anchor if self.anchor else ''}"


def pagings(
    path: str,
    *,
    numbers: Mapping[str, int],
    totals: Mapping[str, int],
    filters: Mapping[str, str],
    anchors: Mapping[str, str],
) -> dict[str, Paging]:
    """A Paging per list (keyed by its page parameter), each link keeping the filters and the
    other lists' page numbers."""
    last = {name: Paging(name, 1, totals[name], path, {}).pages for name in numbers}
    numbers = {name: min(number, last[name]) for name, number in numbers.items()}  # past the end
    kept = {**filters, **{name: str(n) for name, n in numbers.items() if n > 1}}
    return {
        name: Paging(name, number, totals[name], path, kept, anchor=anchors.get(name, ""))
        for name, number in numbers.items()
    }
