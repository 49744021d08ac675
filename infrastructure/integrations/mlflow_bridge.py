"""How the MLflow bridge records: as the `integration` role, each fact once, whoever sends it.

Both doors (`modelgov mlflow import` and the webhook receiver) record through `Bridge`. A fact
that only adds (a version, a validation) is recorded with an Idempotency-Key derived from what it
is (`mlflow:<model>:<version>:registered`): the key is answered in the transaction that records
the events (application/receipts.py), so an import killed between two commands, run again, or
racing a webhook records each fact once. A fact that states what is so now (an alias, a tag) is
recorded only when the model does not hold it already (domain/external_steps.py). Which modelgov
version an MLflow version became is in the version's card (`extras.mlflow.version`): in the
events themselves, so it survives anything that happens between two commands.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from application.errors import (
    AnsweredBeforeError,
    ModelAlreadyRegisteredError,
    ModelNotFoundError,
)
from application.governance import Governance
from application.results import Recorded
from domain.commands import Command, RecordExternalAlias, RecordExternalTag
from domain.model import Model
from domain.values import Attribution
from infrastructure.api.idempotency import StoredResponse, open_idempotency
from infrastructure.errors import CommandFailedError

PRINCIPAL = "mlflow-bridge"
ROLE = "integration"
SOURCE = "mlflow"
# Which environment an MLflow alias says a version serves in (MODELGOV_MLFLOW_ALIAS_ENVIRONMENTS).
DEFAULT_ALIAS_ENVIRONMENTS = {
    "production": "production",
    "champion": "production",
    "staging": "staging",
    "challenger": "staging",
}
_NOT_IN_A_NAME = re.compile(r"[^a-z0-9._-]+")


def modelgov_name(mlflow_name: str) -> str:
    """The modelgov name for an MLflow registered model: lowercase, other characters as '-'."""
    name = _NOT_IN_A_NAME.sub("-", mlflow_name.lower()).strip("-._")[:63]
    if len(name) < 2:
        raise CommandFailedError(f"MLflow model {mlflow_name!r} has no usable modelgov name")
    return name


class Bridge:
    """Records MLflow's facts on modelgov models as the `integration` role."""

    def __init__(
        self, governance: Governance, *, alias_environments: Mapping[str, str] | None = None
    ) -> None:
        self.governance = governance
        self.idempotency = open_idempotency(governance)
        self.alias_environments = dict(
            DEFAULT_ALIAS_ENVIRONMENTS if alias_environments is None else alias_environments
        )

    def attribution(
        self, fact: str, *, at: datetime | None = None, reason: str = ""
    ) -> Attribution:
        """Who records `fact`; its correlation id names the fact (a hash when it is long)."""
        correlation = f"mlflow:{fact}"
        if len(correlation) > 200:
            correlation = f"mlflow:{hashlib.sha256(fact.encode()).hexdigest()}"
        now = datetime.now(UTC)
        return Attribution(
            principal=PRINCIPAL, role=ROLE, correlation_id=correlation,
            effective_at=min(at, now) if at else now, reason=reason,
        )  # fmt: skip

    def record_once(self, command: Command[Any], *, key: str, by: Attribution) -> bool:
        """Record `command` under the Idempotency-Key `key`: False when the key was answered."""
        request = self.idempotency.request(
            principal=PRINCIPAL,
            key=key[:200],
            request_hash=hashlib.sha256(key.encode()).hexdigest(),
            answer=lambda recorded: StoredResponse(
                status=201, body=json.dumps({"result": recorded.value}), etag=None
            ),
        )
        if self.idempotency.answered(request) is not None:
            return False
        try:
            self.governance.handle(command, by=by, request=request)
        except (AnsweredBeforeError, ModelAlreadyRegisteredError):
            return False  # another import or webhook recorded it first
        return True

    def record(self, command: Command[Any], *, by: Attribution) -> bool:
        """Record a command that records nothing when the model already holds its fact."""
        recorded: Recorded[Any] = self.governance.handle(command, by=by)
        return recorded.position is not None

    def model(self, name: str) -> Model | None:
        try:
            return self.governance.get_model(name)
        except ModelNotFoundError:
            return None

    @staticmethod
    def version_number(model: Model, mlflow_version: str) -> int | None:
        """The modelgov version an MLflow version was imported as (from its card), if it was."""
        for version in model.versions:
            if version.card.get("extras", {}).get("mlflow", {}).get("version") == mlflow_version:
                return version.number
        return None

    def record_alias(
        self, name: str, alias: str, mlflow_version: str | None, *, at: datetime | None = None
    ) -> bool:
        """Record that an MLflow alias now points at a version (None: it was deleted)."""
        model = self.model(name)
        if model is None:
            raise CommandFailedError(f"no model named {name!r} was imported from MLflow")
        number = None
        if mlflow_version is not None:
            number = self.version_number(model, mlflow_version)
            if number is None:
                raise CommandFailedError(
                    f"MLflow version {mlflow_version} of {name!r} was not imported into modelgov"
                )
        fact = f"{name}:alias:{alias}={mlflow_version or '-'}"
        return self.record(
            RecordExternalAlias(
                name=name, source=SOURCE, alias=alias, version=number,
                external_version=mlflow_version or "",
                environment=self.alias_environments.get(alias),
            ),
            by=self.attribution(fact, at=at),
        )  # fmt: skip

    def record_tag(
        self,
        name: str,
        mlflow_version: str | None,
        key: str,
        value: str,
        *,
        at: datetime | None = None,
    ) -> bool:
        model = self.model(name)
        if model is None:
            raise CommandFailedError(f"no model named {name!r} was imported from MLflow")
        number = None if mlflow_version is None else self.version_number(model, mlflow_version)
        if mlflow_version is not None and number is None:
            raise CommandFailedError(
                f"MLflow version {mlflow_version} of {name!r} was not imported into modelgov"
            )
        fact = f"{name}:{mlflow_version or 'model'}:tag:{key}"
        return self.record(
            RecordExternalTag(name=name, source=SOURCE, key=key, value=value, version=number),
            by=self.attribution(fact, at=at),
        )
