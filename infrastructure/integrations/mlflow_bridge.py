"""How the MLflow bridge records: as the `integration` role, each fact once, whoever sends it.

Both doors (`modelgov mlflow import` and the webhook receiver) record through `Bridge`. A fact
that only adds (a version, a validation) is recorded with an Idempotency-Key derived from what it
is, under MLflow's own name (`mlflow:<MLflow model>:<version>:registered`): the key is answered in
the transaction that records the events (application/receipts.py), so an import killed between
two commands, run again, or racing a webhook records each fact once. A fact that states what is
so now (an alias, a tag) is recorded only when the model does not hold it already
(domain/external_steps.py). Which modelgov version an MLflow version became is in the version's
card (`extras.mlflow.name` and `.version`): in the events themselves, so it survives anything
that happens between two commands.

Two MLflow models can map to one modelgov name (`Credit Scorer` and `credit-scorer`). A modelgov
model belongs to the MLflow model whose versions it holds, or (before it holds any) whose
registration key was answered; any other MLflow model of that name, and any model registered in
modelgov itself, is refused by `owned_model` with a message naming the clash.
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
from domain.commands import Command
from domain.external_commands import RecordExternalAlias, RecordExternalTag
from domain.model import Model
from domain.values import Attribution
from infrastructure.api.idempotency import StoredResponse, open_idempotency
from infrastructure.errors import CommandFailedError, MlflowNameClashError

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

    def _request(self, key: str) -> Any:
        return self.idempotency.request(
            principal=PRINCIPAL,
            key=key[:200],
            request_hash=hashlib.sha256(key.encode()).hexdigest(),
            answer=lambda recorded: StoredResponse(
                status=201, body=json.dumps({"result": recorded.value}), etag=None
            ),
        )

    def answered(self, key: str) -> bool:
        """Whether the Idempotency-Key `key` was answered (its command recorded)."""
        return self.idempotency.answered(self._request(key)) is not None

    def record_once(self, command: Command[Any], *, key: str, by: Attribution) -> bool:
        """Record `command` under the Idempotency-Key `key`: False when the key was answered."""
        request = self._request(key)
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
    def imported_from(model: Model) -> str | None:
        """The MLflow model whose versions `model` holds (None when it holds none)."""
        for version in model.versions:
            name = version.card.get("extras", {}).get(SOURCE, {}).get("name")
            if isinstance(name, str):
                return name
        return None

    def owned_model(self, mlflow_name: str) -> Model | None:
        """The modelgov model the MLflow model `mlflow_name` was imported as (None: not yet);
        refused when its modelgov name is held by another MLflow model or by modelgov itself."""
        name = modelgov_name(mlflow_name)
        model = self.model(name)
        if model is None:
            return None
        owner = self.imported_from(model)
        if owner == mlflow_name or (
            owner is None and self.answered(f"mlflow:{mlflow_name}:registered")
        ):
            return model
        held_by = (
            f"the MLflow model {owner!r}" if owner is not None else "a model not imported from it"
        )
        raise MlflowNameClashError(
            f"MLflow model {mlflow_name!r} maps to the modelgov name {name!r}, which {held_by} "
            "holds already: rename one of them in MLflow"
        )

    @staticmethod
    def version_number(model: Model, mlflow_name: str, mlflow_version: str) -> int | None:
        """The modelgov version an MLflow version was imported as (from its card), if it was."""
        for version in model.versions:
            mlflow = version.card.get("extras", {}).get(SOURCE, {})
            if (mlflow.get("name"), mlflow.get("version")) == (mlflow_name, mlflow_version):
                return version.number
        return None

    def _imported(self, mlflow_name: str, mlflow_version: str | None) -> tuple[Model, int | None]:
        model = self.owned_model(mlflow_name)
        if model is None:
            raise CommandFailedError(f"the MLflow model {mlflow_name!r} was not imported")
        if mlflow_version is None:
            return model, None
        number = self.version_number(model, mlflow_name, mlflow_version)
        if number is None:
            raise CommandFailedError(
                f"MLflow version {mlflow_version} of {mlflow_name!r} was not imported into modelgov"
            )
        return model, number

    def record_alias(
        self, mlflow_name: str, alias: str, mlflow_version: str | None, *,
        at: datetime | None = None,
    ) -> bool:  # fmt: skip
        """Record that an MLflow alias now points at a version (None: it was deleted)."""
        model, number = self._imported(mlflow_name, mlflow_version)
        name = model.name
        fact = f"{mlflow_name}:alias:{alias}={mlflow_version or '-'}"
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
        mlflow_name: str,
        mlflow_version: str | None,
        key: str,
        value: str,
        *,
        at: datetime | None = None,
    ) -> bool:
        model, number = self._imported(mlflow_name, mlflow_version)
        fact = f"{mlflow_name}:{mlflow_version or 'model'}:tag:{key}"
        return self.record(
            RecordExternalTag(name=model.name, source=SOURCE, key=key, value=value, version=number),
            by=self.attribution(fact, at=at),
        )
