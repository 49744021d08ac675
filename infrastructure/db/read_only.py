"""The library's PostgreSQL persistence with read-only sessions, for the read commands (verify,
history, reports...): the server itself refuses any write, whatever the code above tries."""

from __future__ import annotations

from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import Environment, EnvType

READ_ONLY_OPTION = "-c default_transaction_read_only=on"


class ReadOnlyPostgresFactory(PostgresFactory):
    """PostgresFactory whose connection pool opens only read-only sessions."""

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        # The pool connects on first use, after this: every session it opens is read-only.
        pool_kwargs = self.datastore.pool.kwargs
        assert isinstance(pool_kwargs, dict)
        pool_kwargs["options"] = READ_ONLY_OPTION
