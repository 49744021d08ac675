"""Queries on the projection tables, for the API and the CLI (the runner keeps them up to date).

Personal values are stored sealed (infrastructure/db/personal_data.py): the queries that return or
filter on them take the runner's cipher.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from application.portfolio import Incident, UsageWindow, findings_as_of
from domain.instants import sortable_utc_text, utc_text
from infrastructure.db.personal_data import PersonalDataCipher
from infrastructure.db.sql import SqlRunner

_STATUS_OF = (
    "CASE WHEN EXISTS (SELECT 1 FROM modelgov_catalog_active a WHERE a.model = c.model) "
    "THEN 'active' WHEN c.versions > 0 THEN 'inactive' ELSE 'draft' END"
)


@dataclass(frozen=True, kw_only=True)
class CatalogFilter:
    """The models a catalog query keeps: of this risk tier, owner and status (None: any)."""

    risk_tier: str | None = None
    owner: str | None = None
    status: str | None = None

    def where(self, cipher: PersonalDataCipher) -> tuple[list[str], list[Any]]:
        """The WHERE clauses (on the catalog as `c`) and their parameters. The owner is sealed,
        deterministically: the filter compares sealed values (equality only)."""
        clauses: list[str] = []
        parameters: list[Any] = []
        sealed_owner = None if self.owner is None else cipher.seal(self.owner)
        for column, value in (
            ("c.risk_tier", self.risk_tier),
            ("c.owner", sealed_owner),
            (_STATUS_OF, self.status),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                parameters.append(value)
        return clauses, parameters


EVERY_MODEL = CatalogFilter()


def catalog_page(
    sql: SqlRunner,
    *,
    cipher: PersonalDataCipher,
    kept: CatalogFilter,
    after: str | None,
    limit: int,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Models from the catalog projection, in name order after `after` (and `offset` rows
    more), those `kept`."""
    clauses, parameters = kept.where(cipher)
    clauses, parameters = ["c.model > ?", *clauses], [after or "", *parameters]
    rows = sql.execute(
        f"SELECT c.model, c.risk_tier, c.owner, {_STATUS_OF}, c.versions, c.open_breaches, "
        f"c.open_bias_flags, c.model_version FROM modelgov_catalog c WHERE {' AND '.join(clauses)} "
        "ORDER BY c.model LIMIT ? OFFSET ?",
        (*parameters, limit, offset),
    )
    names = [row[0] for row in rows]
    active: dict[str, dict[str, int]] = {name: {} for name in names}
    if names:
        marks = ", ".join("?" for _ in names)
        for model, environment, version in sql.execute(
            f"SELECT model, environment, version FROM modelgov_catalog_active WHERE model IN ({marks})",
            names,
        ):
            active[model][environment] = version
    return [
        {"name": name, "risk_tier": tier, "owner": cipher.open(owner_), "status": state,
         "versions": versions, "active": dict(sorted(active[name].items())),
         "open_breaches": breaches, "open_bias_flags": flags, "model_revision": version,
         "model_version": version}
        for name, tier, owner_, state, versions, breaches, flags, version in rows
    ]  # fmt: skip


def catalog_names(
    sql: SqlRunner, *, cipher: PersonalDataCipher, kept: CatalogFilter = EVERY_MODEL
) -> list[str]:
    """The names of the models `kept` (every model's, by default), in name order (nothing
    decrypted)."""
    clauses, parameters = kept.where(cipher)
    where = f"WHERE {' AND '.join(clauses)} " if clauses else ""
    rows = sql.execute(
        f"SELECT c.model FROM modelgov_catalog c {where}ORDER BY c.model", parameters
    )
    return [name for (name,) in rows]


def queue_counts(sql: SqlRunner, *, models: Collection[str] | None = None) -> dict[str, int]:
    """How many items each kind of `queue_page` holds (of the models `models` holds, if given)."""
    if models is not None and not models:
        return {}
    chosen = "" if models is None else f"WHERE model IN ({', '.join('?' for _ in models)}) "
    rows = sql.execute(
        f"SELECT kind, count(*) FROM modelgov_queue_items {chosen}GROUP BY kind",
        () if models is None else tuple(models),
    )
    return {kind: int(count) for kind, count in rows}


def queue_page(
    sql: SqlRunner,
    *,
    cipher: PersonalDataCipher,
    kinds: Collection[str],
    offset: int,
    limit: int,
    models: Collection[str] | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """(kind, item) of the kinds `kinds`, by kind then in each kind's order (application/queues.py:
    queue_items), `limit` of them from `offset`; of the models `models` holds, if given."""
    if not kinds or (models is not None and not models):
        return []
    clauses = [f"kind IN ({', '.join('?' for _ in kinds)})"]
    parameters: list[Any] = list(kinds)
    if models is not None:
        clauses.append(f"model IN ({', '.join('?' for _ in models)})")
        parameters += list(models)
    rows = sql.execute(
        f"SELECT kind, item FROM modelgov_queue_items WHERE {' AND '.join(clauses)} "
        "ORDER BY kind, sort_key LIMIT ? OFFSET ?",
        (*parameters, limit, offset),
    )
    return [(kind, json.loads(cipher.open(item))) for kind, item in rows]


def usage_windows(
    sql: SqlRunner,
    model: str,
    *,
    cipher: PersonalDataCipher,
    after: tuple[str, str, int] | None = None,
    limit: int | None = None,
) -> list[UsageWindow]:
    """The model's usage windows in time order (the stored UTC text sorts as the times do), or
    up to `limit` of them after the one keyed `after` (`usage_key`)."""
    start, environment, version = after or ("", "", 0)
    rows = sql.execute(
        "SELECT version, environment, started_at, ended_at, started_by, ended_by, end_reason "
        "FROM modelgov_usage_windows WHERE model = ? AND (started_at > ? OR (started_at = ? AND "
        "(environment > ? OR (environment = ? AND version > ?)))) "
        f"ORDER BY started_at, environment, version{'' if limit is None else ' LIMIT ?'}",
        (model, start, start, environment, environment, version,
         *(() if limit is None else (limit,))),
    )  # fmt: skip
    return [
        UsageWindow(
            version=int(version), environment=environment,
            started_at=datetime.fromisoformat(started),
            ended_at=datetime.fromisoformat(ended) if ended else None,
            started_by=cipher.open(started_by),
            ended_by=cipher.open(ended_by) if ended_by else "",
            end_reason=cipher.open(end_reason) if end_reason else "",
        )
        for version, environment, started, ended, started_by, ended_by, end_reason in rows
    ]  # fmt: skip


def usage_key(window: UsageWindow) -> tuple[str, str, int]:
    """A usage window's place in `usage_windows`' order."""
    return sortable_utc_text(window.started_at), window.environment, window.version


def version_page(
    sql: SqlRunner, model: str, *, cipher: PersonalDataCipher, after: int | None, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` of the model's versions after number `after`: status, where each is
    active, and its card's summary (artifact, provenance, documentation)."""
    rows = sql.execute(
        "SELECT version, status, artifact_uri, artifact_sha256, git_commit, pull_request, "
        "pipeline_run, documentation_url, registered_by, registered_at FROM modelgov_versions "
        "WHERE model = ? AND version > ? ORDER BY version LIMIT ?",
        (model, after or 0, limit),
    )
    active: dict[int, list[str]] = {}
    for environment, number in sql.execute(
        "SELECT environment, version FROM modelgov_catalog_active WHERE model = ? "
        "ORDER BY environment",
        (model,),
    ):
        active.setdefault(int(number), []).append(environment)
    return [
        {"number": int(number), "status": status, "active_in": active.get(int(number), []),
         "artifact_uri": uri, "artifact_sha256": digest, "git_commit": commit,
         "pull_request": pull, "pipeline_run": run, "documentation_url": docs,
         "registered_by": cipher.open(by), "registered_at": utc_text(datetime.fromisoformat(at))}
        for number, status, uri, digest, commit, pull, run, docs, by, at in rows
    ]  # fmt: skip


def model_document(
    sql: SqlRunner, model: str, *, cipher: PersonalDataCipher
) -> tuple[str, int] | None:
    """The model's current state as the API shows it (JSON text), and its revision (the ETag)."""
    rows = sql.execute(
        "SELECT document, model_version FROM modelgov_model_state WHERE model = ?", (model,)
    )
    if not rows:
        return None
    document, revision = cipher.open(rows[0][0]), int(rows[0][1])
    if '"model_revision"' not in document:  # projected before the word: the number, first
        document = f'{{"model_revision": {revision}, {document.removeprefix("{")}'
    return document, revision


def model_version(sql: SqlRunner, model: str) -> int | None:
    """The model's version as projected; None when no such model is registered."""
    rows = sql.execute("SELECT model_version FROM modelgov_model_state WHERE model = ?", (model,))
    return int(rows[0][0]) if rows else None


def version_document(
    sql: SqlRunner, model: str, version: int, *, cipher: PersonalDataCipher
) -> str | None:
    rows = sql.execute(
        "SELECT document FROM modelgov_version_state WHERE model = ? AND version = ?",
        (model, version),
    )
    return cipher.open(rows[0][0]) if rows else None


def incidents(
    sql: SqlRunner, *, model: str | None = None, open_only: bool = False, kind: str | None = None
) -> list[tuple[str, Incident]]:
    """(model, incident): bias flags, then breaches, each in the order they were opened."""
    filters = [("model = ?", model), ("kind = ?", kind)]
    clauses = [clause for clause, value in filters if value is not None]
    clauses += ["closed_at IS NULL"] if open_only else []
    rows = sql.execute(
        "SELECT model, kind, incident_id, version, environment, opened_at, closed_at "
        f"FROM modelgov_incidents {'WHERE ' + ' AND '.join(clauses) if clauses else ''} "
        "ORDER BY model, CASE kind WHEN 'bias_flag' THEN 0 ELSE 1 END, position",
        tuple(value for _, value in filters if value is not None),
    )
    return [
        (name, Incident(kind=kind, incident_id=incident_id, version=int(version),
                        environment=environment, opened_at=datetime.fromisoformat(opened),
                        closed_at=datetime.fromisoformat(closed) if closed else None))
        for name, kind, incident_id, version, environment, opened, closed in rows
    ]  # fmt: skip


def compliance(
    sql: SqlRunner,
    *,
    now: datetime,
    last_observed: Mapping[str, Mapping[tuple[int, str], datetime]] | None = None,
    models: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """Per model, in name order, its findings as of `now` (`findings_as_of`): the standing ones as
    projected, overdue bias flags from the projected incidents and, given `last_observed` (model ->
    latest observation per version and environment), active versions without figures. Only the
    models `models` holds, if given."""
    if models is not None and not models:
        return []
    open_flags: dict[str, list[Incident]] = {}
    for name, incident in incidents(sql, open_only=True, kind="bias_flag"):
        open_flags.setdefault(name, []).append(incident)
    chosen = "" if models is None else f"WHERE model IN ({', '.join('?' for _ in models)}) "
    rows = sql.execute(
        "SELECT model, risk_tier, active, bias_flag_max_open_days, monitoring_window_hours, "
        f"standing_findings FROM modelgov_compliance {chosen}ORDER BY model",
        () if models is None else tuple(models),
    )
    entries = []
    for name, tier, active_json, max_days, window_hours, standing in rows:
        active = json.loads(active_json)
        findings = findings_as_of(
            json.loads(standing), active=active, open_flags=open_flags.get(name, []),
            max_open_days=int(max_days), window_hours=int(window_hours),
            last_observed=None if last_observed is None else last_observed.get(name, {}),
            now=now,
        )  # fmt: skip
        entries.append({"model": name, "risk_tier": tier, "active": active, "findings": findings})
    return entries


def admission(sql: SqlRunner, *, artifact_sha256: str, environment: str) -> dict[str, Any]:
    """May the artifact with this digest serve in `environment` now? (application/projections/
    admission.py keeps the answer for every active artifact; one indexed row read when it may.)
    Where models share the artifact, it may only if every one active there may: the server
    asking does not say which model it serves, so one denial denies (fails closed)."""
    rows = sql.execute(
        "SELECT model, version, allowed, reason FROM modelgov_admission "
        "WHERE artifact_sha256 = ? AND environment = ? ORDER BY allowed, model LIMIT 1",
        (artifact_sha256, environment),
    )
    if rows:
        model, version, allowed, reason = rows[0]
        if allowed:
            reason = f"version {version} of model {model!r} is active in {environment} and approved"
        return {"allowed": bool(allowed), "reason": reason, "model": model, "version": int(version)}
    known = sql.execute(
        "SELECT v.model, v.version, a.version FROM modelgov_versions v LEFT JOIN "
        "modelgov_catalog_active a ON a.model = v.model AND a.environment = ? "
        "WHERE v.artifact_sha256 = ? ORDER BY v.model, v.version DESC LIMIT 1",
        (environment, artifact_sha256),
    )
    if not known:
        return {
            "allowed": False, "model": None, "version": None,
            "reason": f"no registered version of any model has the artifact sha256 {artifact_sha256}",
        }  # fmt: skip
    model, version, active = known[0]
    serving = "nothing is" if active is None else f"version {active} is"
    return {
        "allowed": False, "model": model, "version": int(version),
        "reason": f"the artifact is version {version} of model {model!r}, which is not active in "
        f"{environment} ({serving})",
    }  # fmt: skip


def model_documents(
    sql: SqlRunner, *, cipher: PersonalDataCipher, names: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """Every model's current state as the API shows it (`model_document`), in name order; only
    the models `names` holds, if given (each document is decrypted and parsed: tens of KB)."""
    if names is None:
        rows = sql.execute("SELECT document FROM modelgov_model_state ORDER BY model")
    elif not names:
        return []
    else:
        marks = ", ".join("?" for _ in names)
        rows = sql.execute(
            f"SELECT document FROM modelgov_model_state WHERE model IN ({marks}) ORDER BY model",
            tuple(names),
        )
    return [json.loads(cipher.open(document)) for (document,) in rows]


def catalog_owners(sql: SqlRunner, *, cipher: PersonalDataCipher) -> list[str]:
    """The catalog's owners, each once, in order (sealed deterministically: one row per owner)."""
    rows = sql.execute("SELECT DISTINCT owner FROM modelgov_catalog")
    return sorted({cipher.open(owner) for (owner,) in rows})
