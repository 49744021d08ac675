"""The projections' tables, as created (infrastructure/db/schema.py lists them with every other).

Portable SQL: SQLite takes BIGINT and DOUBLE PRECISION as its INTEGER and REAL.
"""

from __future__ import annotations

from collections.abc import Iterable

from application.projections.admission import ADMISSION
from application.projections.outbox import OUTBOX, ROUTES

_TABLES: dict[str, list[str]] = {
    "modelgov_catalog": [
        """CREATE TABLE IF NOT EXISTS modelgov_catalog (
        model TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        risk_tier TEXT NOT NULL,
        versions INTEGER NOT NULL,
        open_breaches INTEGER NOT NULL,
        open_bias_flags INTEGER NOT NULL,
        model_version INTEGER NOT NULL,
        registered_at TEXT NOT NULL,
        last_changed_at TEXT NOT NULL)"""
    ],
    "modelgov_catalog_active": [
        """CREATE TABLE IF NOT EXISTS modelgov_catalog_active (
        model TEXT NOT NULL,
        environment TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (model, environment))"""
    ],
    "modelgov_versions": [
        """CREATE TABLE IF NOT EXISTS modelgov_versions (
        model TEXT NOT NULL,
        version INTEGER NOT NULL,
        status TEXT NOT NULL,
        artifact_uri TEXT NOT NULL,
        artifact_sha256 TEXT NOT NULL,
        git_commit TEXT NOT NULL,
        pull_request TEXT NOT NULL,
        pipeline_run TEXT NOT NULL,
        documentation_url TEXT NOT NULL,
        registered_by TEXT NOT NULL,
        registered_at TEXT NOT NULL,
        PRIMARY KEY (model, version))""",
        # The admission check's "is this artifact known at all?"
        "CREATE INDEX IF NOT EXISTS modelgov_versions_artifact ON modelgov_versions (artifact_sha256)",
    ],
    "modelgov_approvals": [
        """CREATE TABLE IF NOT EXISTS modelgov_approvals (
        model TEXT NOT NULL,
        version INTEGER,
        decision TEXT NOT NULL,
        principal TEXT NOT NULL,
        role TEXT NOT NULL,
        comment TEXT NOT NULL,
        effective_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        position BIGINT NOT NULL PRIMARY KEY)"""
    ],
    "modelgov_usage_windows": [
        """CREATE TABLE IF NOT EXISTS modelgov_usage_windows (
        model TEXT NOT NULL,
        version INTEGER NOT NULL,
        environment TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        started_by TEXT NOT NULL,
        ended_by TEXT,
        end_reason TEXT,
        PRIMARY KEY (model, environment, started_at, version))""",
        # The window a deactivation closes: found without reading the model's past ones.
        "CREATE INDEX IF NOT EXISTS modelgov_usage_windows_open ON modelgov_usage_windows "
        "(model, version, environment) WHERE ended_at IS NULL",
    ],
    "modelgov_target_history": [
        """CREATE TABLE IF NOT EXISTS modelgov_target_history (
        model TEXT NOT NULL,
        dimension TEXT NOT NULL,
        metric TEXT NOT NULL,
        revision INTEGER NOT NULL,
        comparator TEXT NOT NULL,
        threshold DOUBLE PRECISION NOT NULL,
        window_spec TEXT NOT NULL,
        severity TEXT NOT NULL,
        set_by TEXT NOT NULL,
        reason TEXT NOT NULL,
        in_force_from TEXT NOT NULL,
        in_force_until TEXT,
        PRIMARY KEY (model, dimension, metric, revision))""",
        # The target a new one replaces: found without reading every target set before it.
        "CREATE INDEX IF NOT EXISTS modelgov_target_history_in_force ON modelgov_target_history "
        "(model, dimension, metric) WHERE in_force_until IS NULL",
    ],
    "modelgov_model_state": [
        """CREATE TABLE IF NOT EXISTS modelgov_model_state (
        model TEXT PRIMARY KEY,
        model_version INTEGER NOT NULL,
        document TEXT NOT NULL)"""
    ],
    "modelgov_version_state": [
        """CREATE TABLE IF NOT EXISTS modelgov_version_state (
        model TEXT NOT NULL,
        version INTEGER NOT NULL,
        document TEXT NOT NULL,
        PRIMARY KEY (model, version))"""
    ],
    "modelgov_compliance": [
        """CREATE TABLE IF NOT EXISTS modelgov_compliance (
        model TEXT PRIMARY KEY,
        risk_tier TEXT NOT NULL,
        active TEXT NOT NULL,
        bias_flag_max_open_days INTEGER NOT NULL,
        monitoring_window_hours INTEGER NOT NULL,
        standing_findings TEXT NOT NULL)"""
    ],
    "modelgov_incidents": [
        """CREATE TABLE IF NOT EXISTS modelgov_incidents (
        model TEXT NOT NULL,
        kind TEXT NOT NULL,
        incident_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        environment TEXT,
        opened_at TEXT NOT NULL,
        closed_at TEXT,
        position BIGINT NOT NULL,
        PRIMARY KEY (model, kind, incident_id))"""
    ],
    "modelgov_queue_items": [
        # What the console lists page by page (application/queues.py: queue_items): a kind's
        # items across models in sort_key order; the item (personal: who registered) sealed.
        """CREATE TABLE IF NOT EXISTS modelgov_queue_items (
        model TEXT NOT NULL,
        kind TEXT NOT NULL,
        item_key TEXT NOT NULL,
        sort_key TEXT NOT NULL,
        item TEXT NOT NULL,
        PRIMARY KEY (model, kind, item_key))""",
        "CREATE INDEX IF NOT EXISTS modelgov_queue_items_order ON modelgov_queue_items "
        "(kind, sort_key)",
    ],
    ADMISSION: [
        f"""CREATE TABLE IF NOT EXISTS {ADMISSION} (
        artifact_sha256 TEXT NOT NULL,
        environment TEXT NOT NULL,
        model TEXT NOT NULL,
        version INTEGER NOT NULL,
        allowed INTEGER NOT NULL,
        reason TEXT NOT NULL,
        PRIMARY KEY (artifact_sha256, environment, model))""",
        f"CREATE INDEX IF NOT EXISTS {ADMISSION}_model ON {ADMISSION} (model)",
    ],
    ROUTES: [
        f"""CREATE TABLE IF NOT EXISTS {ROUTES} (
        model TEXT NOT NULL,
        route INTEGER NOT NULL,
        url TEXT NOT NULL,
        events TEXT NOT NULL,
        min_rank INTEGER NOT NULL,
        PRIMARY KEY (model, route))"""
    ],
    OUTBOX: [
        f"""CREATE TABLE IF NOT EXISTS {OUTBOX} (
        position BIGINT NOT NULL,
        url TEXT NOT NULL,
        event_id TEXT NOT NULL,
        model TEXT NOT NULL,
        event_type TEXT NOT NULL,
        severity TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at TEXT NOT NULL,
        delivered_at TEXT,
        last_error TEXT,
        PRIMARY KEY (position, url))""",
        f"CREATE INDEX IF NOT EXISTS {OUTBOX}_due ON {OUTBOX} (status, next_attempt_at)",
    ],
}

PROJECTION_TABLES = tuple(_TABLES)  # every projection's tables, the outbox's included


def create_statements(tables: Iterable[str]) -> list[str]:
    """The statements that create `tables` (with their indexes), idempotent."""
    return [statement for table in tables for statement in _TABLES[table]]
