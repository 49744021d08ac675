"""What a store's database holds, and who may change it: the tables present, its schema version,
whether this role owns them, and the privileges granted to an application role that does not
(PostgreSQL).

Two-role set-up: an owner role creates the tables and their append-only triggers (`modelgov db
init`); the application's role gets only the privileges below. It cannot alter, drop or disable
anything, since it owns nothing; the triggers refuse what its privileges would still allow.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from infrastructure.db.append_only import event_tables
from infrastructure.db.sql import SqlRunner
from infrastructure.errors import CommandFailedError

READ_APPEND = ("SELECT", "INSERT")
# LOCK TABLE ... IN EXCLUSIVE MODE (the library, on events) and IN SHARE ROW EXCLUSIVE MODE
# (observations) need UPDATE, DELETE or TRUNCATE: UPDATE, which the triggers refuse row by row.
READ_APPEND_LOCK = ("SELECT", "INSERT", "UPDATE")
READ_WRITE = ("SELECT", "INSERT", "UPDATE", "DELETE")

# One row per migration applied (infrastructure/db/migrations.py); created by schema.py.
SCHEMA_VERSION_TABLE = "modelgov_schema_version"

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Layout:
    """The modelgov tables present, the schema version (0: no version table, a store made before
    schema versions or none yet), and whether this role may create and alter them (it owns the
    event store's tables, or there are none yet; always on SQLite)."""

    tables: frozenset[str]
    owned: bool
    events_table: str
    schema_version: int = 0

    @property
    def exists(self) -> bool:
        return self.events_table in self.tables


def inspect_layout(sql: SqlRunner) -> Layout:
    layout = _tables(sql)
    if SCHEMA_VERSION_TABLE not in layout.tables or not _may_read_version(sql):
        return layout
    [(version,)] = sql.execute(f"SELECT coalesce(max(version), 0) FROM {SCHEMA_VERSION_TABLE}")
    return dataclasses.replace(layout, schema_version=int(version))


def _may_read_version(sql: SqlRunner) -> bool:
    """False for an application role not granted the version table yet (its owner migrated the
    store without re-granting): it reads as version 0, and `modelgov db migrate` grants it."""
    if sql.database.kind == "sqlite":
        return True
    qualified = f"{sql.database.pg_schema}.{SCHEMA_VERSION_TABLE}"
    [(allowed,)] = sql.execute("SELECT has_table_privilege(?, 'SELECT')", (qualified,))
    return bool(allowed)


def _tables(sql: SqlRunner) -> Layout:
    database = sql.database
    events = event_tables(database.kind)[0]
    if database.kind == "sqlite":
        rows = sql.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return Layout(frozenset(str(name) for (name,) in rows), owned=True, events_table=events)
    # pg_has_role(owner, 'USAGE'): this role has the owner's privileges (is it, a member of it,
    # or a superuser), so it could ALTER, DROP or DISABLE TRIGGER on the table.
    rows = sql.execute(
        "SELECT c.relname, pg_has_role(c.relowner, 'USAGE') FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = ? AND c.relkind IN ('r', 'p') AND NOT c.relispartition",
        (database.pg_schema,),
    )
    owners = {str(name): bool(owned) for name, owned in rows}
    return Layout(frozenset(owners), owned=owners.get(events, True), events_table=events)


def privilege_warning(sql: SqlRunner) -> str | None:
    """Why this role is more powerful than an application should be, if it is (PostgreSQL)."""
    if sql.database.kind == "sqlite":
        return None
    [(role, superuser)] = sql.execute(
        "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
    )
    if superuser:
        why = f"the database role {role} is a superuser"
    elif inspect_layout(sql).owned:
        why = f"the database role {role} owns the ledger's tables"
    else:
        return None
    return (
        f"{why}: it can disable the append-only triggers and rewrite history unnoticed until "
        "`modelgov verify`; run the service as an application role (README: production, two roles)"
    )


def check_role_name(role: str) -> str:
    if not _ROLE_NAME.match(role):
        raise CommandFailedError(
            f"{role!r} is not a plain PostgreSQL role name (lower-case letters, digits and '_')"
        )
    return role


def check_application_role(sql: SqlRunner, role: str) -> None:
    """The role to grant to exists and is not powerful already: not a superuser, not the owner."""
    check_role_name(role)
    if not inspect_layout(sql).owned:
        raise CommandFailedError(
            f"the tables in schema {sql.database.pg_schema} belong to another role: run "
            "`modelgov db init` as their owner (--owner-url)"
        )
    rows = sql.execute(
        "SELECT r.rolsuper, r.rolname = current_user, pg_has_role(r.oid, current_user, 'USAGE') "
        "FROM pg_roles r WHERE r.rolname = ?",
        (role,),
    )
    if not rows:
        raise CommandFailedError(
            f"there is no role {role!r}: create it first (CREATE ROLE {role} LOGIN PASSWORD '...')"
        )
    superuser, is_owner, acts_as_owner = rows[0]
    if superuser or is_owner or acts_as_owner:
        raise CommandFailedError(
            f"role {role!r} is "
            + ("a superuser" if superuser else "the tables' owner, or a member of it")
            + ": it could disable the append-only triggers; give the service a role of its own"
        )


def grant_statements(
    *, schema: str, role: str, privileges: dict[str, tuple[str, ...]]
) -> list[str]:
    """Exactly `privileges` on each table for `role` (anything granted before is revoked), the
    schema's USAGE and its sequences' USAGE (nextval for serial keys); no CREATE, no ownership."""
    grantee = f'"{check_role_name(role)}"'
    statements = [f"GRANT USAGE ON SCHEMA {schema} TO {grantee}"]
    for table, allowed in privileges.items():
        statements += [
            f"REVOKE ALL ON {schema}.{table} FROM {grantee}",
            f"GRANT {', '.join(allowed)} ON {schema}.{table} TO {grantee}",
        ]
    statements.append(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {grantee}")
    return statements


def application_roles(sql: SqlRunner) -> list[str]:
    """Roles other than the owner that may write events: the application roles `db init` set up."""
    if sql.database.kind == "sqlite":
        return []
    events = event_tables("postgres")[0]
    rows = sql.execute(
        "SELECT DISTINCT a.grantee::regrole::text FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a "
        "WHERE n.nspname = ? AND c.relname = ? AND a.privilege_type = 'INSERT' "
        "AND a.grantee <> c.relowner AND a.grantee <> 0",
        (sql.database.pg_schema, events),
    )
    return sorted(str(name).strip('"') for (name,) in rows)
