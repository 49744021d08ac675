"""modelgov_client: the modelgov API from Python, a typed method for every command and query.

from modelgov_client import Client, ActivationRefused
with Client("https://modelgov.example", token=TOKEN) as modelgov:
    number = modelgov.register_version("loan-default", card=card).result
    try:
        modelgov.activate("loan-default", version=number, environment="production")
    except ActivationRefused as refusal:
        for gate in refusal.unmet_gates:
            print(gate.gate, gate.detail)
"""

from modelgov_client._client import Client, Retries
from modelgov_client._commands import OPERATIONS
from modelgov_client._errors import (
    ActivationRefused,
    BadRequest,
    Conflict,
    Forbidden,
    ModelgovError,
    NotFound,
    PreconditionFailed,
    ProblemError,
    RateLimited,
    Refused,
    ServerError,
    Unauthorized,
    UnmetGate,
    Unreachable,
)
from modelgov_client._operations import Operation, Parameter, Written

__all__ = [
    "OPERATIONS",
    "ActivationRefused",
    "BadRequest",
    "Client",
    "Conflict",
    "Forbidden",
    "ModelgovError",
    "NotFound",
    "Operation",
    "Parameter",
    "PreconditionFailed",
    "ProblemError",
    "RateLimited",
    "Refused",
    "Retries",
    "ServerError",
    "Unauthorized",
    "UnmetGate",
    "Unreachable",
    "Written",
]
