"""What a batch of events writes to the read models: each projection's row changes as SQL, its
personal values sealed. The runner writes them with its tracking positions in one transaction;
a rebuild's helper processes (shares.py) make them for their share of the models."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from application.as_of import loaded_with_record
from application.governance import Governance
from application.projections.changes import RowChange
from application.projections.folds import ModelFolds
from application.projections.projection import Projection
from domain.events import Event as ModelEvent
from domain.model import Model
from domain.record import MonitoringRecord
from infrastructure.db.personal_data import PersonalDataCipher
from infrastructure.projections.row_sql import Statement, statement_for
from infrastructure.projections.set_writes import in_runs

PROJECTION_TRACKING = "modelgov_projection_tracking"  # created in infrastructure/db/schema.py
# A projection's position, whether it has a row yet or not. A projection emptied to be applied
# again from the first event keeps its row, at 0: a runner applying its first batch meanwhile
# waits for the row's lock (ProjectionRunner.write_batch) instead of writing the same first rows,
# which on PostgreSQL it did when it found no row to lock.
SET_POSITION = (
    f"INSERT INTO {PROJECTION_TRACKING} (projection, position) VALUES (?, ?) "
    "ON CONFLICT (projection) DO UPDATE SET position = excluded.position"
)


class BatchStatements:
    """Makes the statements of a batch for `projections`, which it attaches to one set of
    folds (a model folded once for all of them: folds.py). Personal values are sealed by
    `cipher`, under the store's data key; readers open them with the same cipher."""

    def __init__(self, governance: Governance, projections: Sequence[Projection]) -> None:
        self.governance = governance
        folds = ModelFolds(self._load_model)
        for projection in projections:
            projection.attach(folds)
        self.cipher = PersonalDataCipher.of_store(governance)

    def _load_model(self, model_id: UUID, version: int) -> tuple[Model, MonitoringRecord]:
        return loaded_with_record(self.governance, model_id, version)

    def of(self, group: Sequence[Projection], notifications: Sequence[Any]) -> list[Statement]:
        """Every row change `notifications` make in `group`, as SQL: projection by projection
        (their tables are disjoint) and event by event. The projections take each event in turn,
        so that the models they fold are folded once."""
        seal = self.cipher.seal_parameters
        events = []
        for notification in notifications:
            event = self.governance.mapper.to_domain_event(notification)
            if not isinstance(event, ModelEvent):  # the store's own maintenance: no model's
                continue
            events.append((event, self.governance.name_of(event.originator_id), notification.id))
        changes: list[list[RowChange]] = [[] for _ in group]
        for event, model, position in events:
            for projection, its_changes in zip(group, changes, strict=True):
                its_changes += projection.changes(event=event, model=model, position=position)
        return [
            statement_for(change, seal=seal)
            for projection, its_changes in zip(group, changes, strict=True)
            for change in in_runs([*its_changes, *projection.batch_end()])
        ]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a batch is applied, and on again after (if it
    was on). A batch holds its events, the models they fold and its row changes until it ends:
    the collector's full passes walked them (and the whole process) again and again, finding no
    garbage (they go by reference counting when the batch ends), about a sixth of a rebuild's
    CPU. Process-wide: the cyclic garbage of other threads waits for the batch's end."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def tracking(group: Sequence[Projection], last: int) -> list[Statement]:
    """The statements that move `group`'s tracking positions to `last`."""
    return [(SET_POSITION, (projection.name, last)) for projection in group]
