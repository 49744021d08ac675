"""A registered model's state, as its events leave it, and the questions asked of it.

`ModelState` is the base of `Model` (domain/model.py) that the events apply to and the rules,
gates and monitoring read: declaring the state here, below them, keeps the domain's modules free
of import cycles. The state stays bounded however long the model lives (bench/README.md,
"Snapshot size"): monitoring keeps what its rules need (open breaches and bias flags, the latest
closed ones, counts, each month's cost totals), not every entry; the whole record of a model's
monitoring is folded from its events (domain/record.py). Serious incidents (domain/incidents.py)
are kept whole, each with its reports: they are few by nature (an incident the law makes
reportable, a handful in a model's life at most; a model with many would be withdrawn long
before its snapshot grew), and their deadlines are read from the state.

The state is copy-on-write: an entry in one of the model's containers (a version, a breach, a
month's costs, a kept list of targets...) is never changed in place once it is there; the event
that changes it puts a changed copy in its place (`owned`, `version_to_change`). So a copy of the
model (`copy.deepcopy`, which the library's model cache makes for each command) needs only its own
containers, sharing their entries: its cost does not grow with the model's history.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from domain.entities import (
    BiasFlag,
    Breach,
    CostMonth,
    Decision,
    ExternalAlias,
    LegalHold,
    Target,
    Version,
)
from domain.errors import (
    BiasFlagNotFoundError,
    BreachNotFoundError,
    UnknownEntityError,
    VersionNotFoundError,
)
from domain.incidents import SeriousIncident
from domain.values import target_key

if TYPE_CHECKING:  # the class that declares Policy imports nothing of the model's
    from domain.policy import Policy

# Closed breaches and resolved bias flags kept in full, the latest last: enough for what the rules
# and monitoring ask of recent ones (a breach a re-judged batch already recorded, who resolved a
# flag that is resolved again); every one stays in the events and in the monitoring record.
RECENTLY_CLOSED_KEPT = 20
# Targets kept per metric for judging values against the target in force at their own time (late
# observations, late cost reports, backdated breaches): six years of quarterly reviews, while a
# model's snapshots stay small however often a target is tuned (each kept target is ~330 bytes
# of a snapshot; 100 per metric made a third of the 200 KB budget: bench/README.md).
TARGET_HISTORY_KEPT = 25

E = TypeVar("E", Breach, BiasFlag)
T = TypeVar("T")


class ModelState:
    """What a model's events leave: declared for type checkers (the library would turn annotations
    on an aggregate into its __init__), set by `Model.Registered` and changed by each event."""

    if TYPE_CHECKING:
        name: str
        description: str
        owner: str
        business_objective: str
        risk_tier: str
        stakeholders: list[dict[str, str]]
        policy: Policy
        registered_at: datetime
        # A few per model: ML releases, each with its card and the decisions and evidence about it.
        versions: list[Version]
        targets: dict[str, Target]
        targets_revision: int
        targets_changed_at: datetime
        target_approvals: list[Decision]  # of the current revision: at most one per approver
        target_history: dict[str, list[Target]]  # per metric, the latest TARGET_HISTORY_KEPT
        active: dict[str, int]
        active_since: dict[str, datetime]
        game_plan: dict[str, Any]  # one at a time, at most MAX_ROUTES routes of each kind
        # At most one open per version, environment and target; then the latest closed.
        breaches_open: dict[str, Breach]
        breaches_recently_closed: list[Breach]
        breaches_opened: int
        # At most one open per version, attribute and metric (monitoring); then the latest resolved.
        bias_flags_open: dict[str, BiasFlag]
        bias_flags_recently_resolved: list[BiasFlag]
        bias_flags_raised: int
        cost_months: dict[str, CostMonth]  # by period (YYYY-MM): twelve a year
        # Another registry's aliases by "source:alias" (a few), and its tags by
        # "source:version:key" ("source:model:key" on the model): as last recorded.
        external_aliases: dict[str, ExternalAlias]
        external_tags: dict[str, str]
        # Every serious incident by id (SI-1, SI-2, ...), with its reports (state version 5).
        serious_incidents: dict[str, SeriousIncident]
        # The legal hold in force, if any (state version 5): one at a time.
        legal_hold: LegalHold | None

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        """A copy with its own containers, sharing their entries (the state is copy-on-write)."""
        return owned(self)

    def version_to_change(self, number: int) -> Version:
        """The version, to change in place: a copy of it, put where it was (copy-on-write)."""
        for place, version in enumerate(self.versions):
            if version.number == number:
                self.versions[place] = owned(version)
                return self.versions[place]
        return self.version_by_number(number)  # raises VersionNotFoundError

    def version_by_number(self, number: int) -> Version:
        for version in self.versions:
            if version.number == number:
                return version
        raise VersionNotFoundError(f"model {self.name!r} has no version {number}")

    def target_in_force(self, dimension: str, metric: str, *, at: datetime) -> Target | None:
        """The target on a metric that was in force at an effective time (the latest set by then)."""
        # (With more than TARGET_HISTORY_KEPT changes, a moment before the oldest kept has none.)
        # Of two set at the same moment, the first kept. Asked once per judged observation: a loop.
        in_force = None
        for target in self.target_history.get(target_key(dimension, metric), ()):
            if target.effective_at <= at and (
                in_force is None or target.effective_at > in_force.effective_at
            ):
                in_force = target
        return in_force

    def version_serving_at(
        self, environment: str, at: datetime, *, named: int | None = None
    ) -> int | None:
        """The version that served in `environment` at an effective time, as far as the state
        knows: the active one if it was active by then, or one whose last time there spans it.
        Earlier times a version served are not kept: then `named` (the version a cost report
        names), if it was registered by then and has served there. A version read from a
        snapshot taken before starts were kept: the one that stopped first after that time."""
        active = self.active.get(environment)
        if active is not None and self.active_since[environment] <= at:
            return active
        registered = [version for version in self.versions if version.registered_at <= at]
        for version in registered:
            since, until = (
                version.served_since.get(environment),
                version.served_until.get(environment),
            )
            if since is not None and until is not None and since <= at < until:
                return version.number
        if any(v.number == named and environment in v.environments_served for v in registered):
            return named
        stopped_after = [
            (version.served_until[environment], version.number)
            for version in registered
            if environment not in version.served_since
            and version.served_until.get(environment, at) > at
        ]
        return min(stopped_after)[1] if stopped_after else None

    def open_breaches(self) -> list[Breach]:
        return list(self.breaches_open.values())

    def open_bias_flags(self, version: int | None = None) -> list[BiasFlag]:
        return [
            flag
            for flag in self.bias_flags_open.values()
            if version is None or flag.version == version
        ]

    def recent_breaches(self) -> list[Breach]:
        """The open breaches and the latest closed ones (RECENTLY_CLOSED_KEPT)."""
        return [*self.breaches_recently_closed, *self.breaches_open.values()]

    def breach_is_open(self, breach_id: str) -> bool:
        """Whether a breach is open (False: closed); BreachNotFoundError if it was never opened."""
        return BREACHES.is_open(self, breach_id)

    def breach_by_id(self, breach_id: str) -> Breach:
        """An open breach or one of the latest closed (the record has every one: domain/record.py)."""
        return BREACHES.by_id(self, breach_id)

    def bias_flag_is_open(self, flag_id: str) -> bool:
        """Whether a bias flag is open (False: resolved); BiasFlagNotFoundError if never raised."""
        return BIAS_FLAGS.is_open(self, flag_id)

    def bias_flag_by_id(self, flag_id: str) -> BiasFlag:
        """An open bias flag or one of the latest resolved (the record has every one)."""
        return BIAS_FLAGS.by_id(self, flag_id)


@dataclass(frozen=True)
class Numbered(Generic[E]):
    """Breaches and bias flags: numbered `prefix`1, `prefix`2, ... as they are opened; the open
    ones kept by id, then the latest ended ones (the record has every one: domain/record.py).
    A model's state keeps each kind in three attributes: the open ones by id (`open_in`), the
    latest ended (`ended_in`, at most RECENTLY_CLOSED_KEPT) and how many were opened (`count_in`)."""

    prefix: str
    id_field: str
    noun: str
    ended: str
    unknown: type[UnknownEntityError]
    open_in: str
    ended_in: str
    count_in: str

    def next_id(self, model: ModelState) -> str:
        """The id of the next one to be opened."""
        return f"{self.prefix}{self._count(model) + 1}"

    def open(self, model: ModelState, entry: E) -> None:
        """Keep a newly opened one among the open ones, and count it."""
        self._open(model)[getattr(entry, self.id_field)] = entry
        setattr(model, self.count_in, self._count(model) + 1)

    def end(self, model: ModelState, entry_id: str, end: Callable[[E], None]) -> None:
        """Take an open one out, `end` it (close, resolve), and keep it among the latest ended
        (the oldest beyond RECENTLY_CLOSED_KEPT dropped)."""
        entry = owned(self._open(model).pop(entry_id))
        end(entry)
        kept = self._ended(model)
        kept.append(entry)
        del kept[:-RECENTLY_CLOSED_KEPT]

    def is_open(self, model: ModelState, entry_id: str) -> bool:
        """Whether the entry is open (False: ended); `unknown` if it never was opened."""
        if entry_id in self._open(model):
            return True
        if not _numbered(entry_id, prefix=self.prefix, count=self._count(model)):
            raise self.unknown(f"model {model.name!r} has no {self.noun} {entry_id!r}")
        return False

    def by_id(self, model: ModelState, entry_id: str) -> E:
        """An open entry or one of the latest ended; `unknown` if it is neither."""
        if entry_id in self._open(model):
            return self._open(model)[entry_id]
        for entry in reversed(self._ended(model)):
            if getattr(entry, self.id_field) == entry_id:
                return entry
        self.is_open(model, entry_id)  # raises if there never was one
        raise self.unknown(
            f"{self.noun} {entry_id!r} of model {model.name!r} was {self.ended} long ago; "
            "see the model's history"
        )

    def _open(self, model: ModelState) -> dict[str, E]:
        return cast(dict[str, E], getattr(model, self.open_in))

    def _ended(self, model: ModelState) -> list[E]:
        return cast(list[E], getattr(model, self.ended_in))

    def _count(self, model: ModelState) -> int:
        return cast(int, getattr(model, self.count_in))


BREACHES: Numbered[Breach] = Numbered(
    prefix="B-", id_field="breach_id", noun="breach", ended="closed", unknown=BreachNotFoundError,
    open_in="breaches_open", ended_in="breaches_recently_closed", count_in="breaches_opened",
)  # fmt: skip
BIAS_FLAGS: Numbered[BiasFlag] = Numbered(
    prefix="BF-", id_field="flag_id", noun="bias flag", ended="resolved",
    unknown=BiasFlagNotFoundError, open_in="bias_flags_open",
    ended_in="bias_flags_recently_resolved", count_in="bias_flags_raised",
)  # fmt: skip


# Kinds of values `unshared` gives as they are (immutable), told without calling it: most of an
# entry's fields.
SHARED_AS_THEY_ARE = frozenset({str, int, float, bool, type(None), datetime, Decimal})


def unshared(value: T) -> T:
    """A list or dict copied (its items shared), anything else as it is: what a copy of the
    state, of one of its entries, or an entry made from an event's fields, owns."""
    kind = type(value)
    if kind in SHARED_AS_THEY_ARE:  # most values: answered before the costlier checks
        return value
    if kind is list or kind is dict:  # most others: the plain kinds' own copy, without copy.copy
        return cast(T, value.copy())  # type: ignore[attr-defined]
    return copy.copy(value) if isinstance(value, list | dict) else value


def owned(entry: T) -> T:
    """A copy of an entry (or of the state itself) with its own lists and dicts (their items
    shared), to change; the entry itself may be shared by copies of the model (the state is
    copy-on-write). Entries and the state are plain classes (no slots, no `__copy__`): a new
    instance given their attributes is what `copy.copy` makes of them, without its pickling
    protocol's detour."""
    kind = type(entry)
    fresh = kind.__new__(kind)
    vars(fresh).update({name: unshared(value) for name, value in vars(entry).items()})
    return cast(T, fresh)


def _numbered(entry_id: str, *, prefix: str, count: int) -> bool:
    """Whether `entry_id` is one of `prefix`1 .. `prefix``count` (breach and flag ids)."""
    number = entry_id.removeprefix(prefix)
    return (
        entry_id.startswith(prefix)
        and number.isdigit()
        and not number.startswith("0")
        and int(number) <= count
    )
