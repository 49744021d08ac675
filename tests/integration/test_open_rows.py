"""A new target ends the one in force, and a deactivation closes its usage window, through an
index of the rows still open (schema version 10): the statement finds its row without reading
every earlier target or window of the model, so its cost does not grow with the model's history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from application.governance import Governance
from application.projections.changes import RowChange, Update
from application.projections.personal import Personal
from application.projections.projection import Projection
from application.projections.targets import TargetHistory
from application.projections.usage import UsageWindows
from domain.commands import Activate, Deactivate, SetTarget
from domain.model import Model
from infrastructure.db.sql import SqlRunner
from infrastructure.projections.row_sql import statement_for
from tests.factories import T0, by, new_model, ready_version

EARLIER = 300  # targets set, and windows opened and closed, before the one the plan is for


def _sealed(parameters: Any) -> Any:
    return tuple(v.text if isinstance(v, Personal) else v for v in parameters)


def _changes(projection: Projection, model: Model) -> list[RowChange]:
    changes: list[RowChange] = []
    for position, event in enumerate(model.collect_events(), start=1):
        changes += projection.changes(event=event, model=model.name, position=position)  # type: ignore[arg-type]
    return changes


def _plan_of_the_last(sql: SqlRunner, changes: list[RowChange], table: str) -> str:
    """Write the changes before the last one that closes an open row; how the store would run
    that one."""
    closing = max(i for i, change in enumerate(changes) if isinstance(change, Update))
    earlier, last = changes[:closing], changes[closing]
    assert isinstance(last, Update) and None in last.where.values()
    with sql.transaction() as transaction:
        transaction.execute_all(statement_for(change, seal=_sealed) for change in earlier)
    text, parameters = statement_for(last, seal=_sealed)
    sql.execute(f"ANALYZE {table}")
    if sql.database.kind == "sqlite":
        return " ".join(
            str(row[-1]) for row in sql.execute(f"EXPLAIN QUERY PLAN {text}", parameters)
        )
    return " ".join(str(row[0]) for row in sql.execute(f"EXPLAIN {text}", parameters))


def test_a_new_target_finds_the_one_in_force_by_the_open_rows_index(
    app: Governance, sql: SqlRunner
) -> None:
    """`app` made the store's tables as `db init` makes them."""
    model = new_model()
    target = {"name": model.name, "dimension": "accuracy", "metric": "auc", "comparator": ">="}
    for n in range(EARLIER + 1):
        model.set_target(SetTarget(**target, threshold=n / 1000), by("ds", f"change {n}"))
    changes = _changes(TargetHistory(), model)
    plan = _plan_of_the_last(sql, changes, "modelgov_target_history")
    assert "modelgov_target_history_in_force" in plan, plan
    rows = sql.execute("SELECT count(*) FROM modelgov_target_history WHERE in_force_until IS NULL")
    assert rows[0][0] == 1  # the replaced one is still open: the last change is not written


def test_a_deactivation_finds_its_open_window_by_the_open_rows_index(
    app: Governance, sql: SqlRunner
) -> None:
    model = new_model()
    version = ready_version(model)
    where = {"name": model.name, "version": version, "environment": "production"}
    for n in range(EARLIER + 1):
        hour = T0 + timedelta(hours=n)  # a window's start is part of its key
        model.activate(Activate(**where), by("ops", at=hour))
        model.deactivate(Deactivate(**where), by("ops", "done", at=hour + timedelta(minutes=30)))
    changes = _changes(UsageWindows(), model)
    plan = _plan_of_the_last(sql, changes, "modelgov_usage_windows")
    assert "modelgov_usage_windows_open" in plan, plan
