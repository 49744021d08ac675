"""A model's game plan: who hears about its events, and what monitoring may do on its own.

    {"notifications": [{"url": "https://hooks.example/ml", "events": ["BreachOpened"],
                        "min_severity": "warning"}],
     "responses": [{"dimension": "accuracy", "environment": "production",
                    "min_severity": "critical", "action": "roll_back"}]}

A notification route sends every event named in `events` ("*" for all) at or above
`min_severity` to `url` (the webhook outbox applies the routes:
application/projections/outbox.py). A response acts on a breach of `dimension` ("*" for any) in
`environment` at or above `min_severity`: `roll_back` to the last good version (when there is
none: deactivate and page), or `deactivate` (and page).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from domain.errors import InvalidValueError
from domain.values import DIMENSIONS, SEVERITIES, require_choice, require_environment

ACTIONS = ("roll_back", "deactivate")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
MAX_ROUTES = 20
EMPTY_GAME_PLAN: Mapping[str, list[dict[str, Any]]] = {"notifications": [], "responses": []}


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


def checked_game_plan(data: object, *, event_names: tuple[str, ...]) -> dict[str, Any]:
    """A game plan from a client's description, every field checked, in a canonical shape."""
    if not isinstance(data, Mapping):
        raise InvalidValueError("game_plan", "must be an object with notifications and responses")
    unknown = set(data) - {"notifications", "responses"}
    if unknown:
        raise InvalidValueError("game_plan", f"unknown field(s): {', '.join(sorted(unknown))}")
    return {
        "notifications": [
            _checked_route(route, f"game_plan.notifications[{index}]", event_names)
            for index, route in enumerate(_entries(data, "notifications"))
        ],
        "responses": [
            _checked_response(response, f"game_plan.responses[{index}]")
            for index, response in enumerate(_entries(data, "responses"))
        ],
    }


def _entries(data: Mapping[str, Any], field: str) -> list[Any]:
    entries = data.get(field, [])
    if not isinstance(entries, list):
        raise InvalidValueError(f"game_plan.{field}", "must be a list")
    if len(entries) > MAX_ROUTES:
        raise InvalidValueError(f"game_plan.{field}", f"must have at most {MAX_ROUTES} entries")
    return entries


def _object(entry: object, field: str, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(entry, Mapping):
        raise InvalidValueError(field, "must be an object")
    unknown = set(entry) - allowed
    if unknown:
        raise InvalidValueError(field, f"unknown field(s): {', '.join(sorted(unknown))}")
    return entry


def _checked_route(route: object, field: str, event_names: tuple[str, ...]) -> dict[str, Any]:
    entry = _object(route, field, {"url", "events", "min_severity"})
    url = entry.get("url")
    if (
        not isinstance(url, str)
        or not url.startswith(("http://", "https://"))
        or len(url) > 2000
        or any(c.isspace() for c in url)
    ):
        raise InvalidValueError(f"{field}.url", f"must be an http(s) URL; got {url!r}")
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname or "", parts.port
    except ValueError as failure:  # an unclosed IPv6 bracket, a port out of range
        raise InvalidValueError(
            f"{field}.url", f"is not a usable URL ({failure}); got {url!r}"
        ) from None
    if url.startswith("http://") and host not in LOOPBACK_HOSTS:
        raise InvalidValueError(
            f"{field}.url",
            "must use https (payloads name people and their reasons); plain http is for "
            "receivers on this machine only (localhost, 127.0.0.1, ::1)",
        )
    events = entry.get("events", ["*"])
    if not isinstance(events, list) or not events:
        raise InvalidValueError(f"{field}.events", "must name at least one event, or '*'")
    for index, name in enumerate(events):
        require_choice(f"{field}.events[{index}]", name, ("*", *event_names))
    return {
        "url": url,
        "events": sorted(set(events)),
        "min_severity": require_choice(
            f"{field}.min_severity", entry.get("min_severity", "info"), SEVERITIES
        ),
    }


def _checked_response(response: object, field: str) -> dict[str, Any]:
    entry = _object(response, field, {"dimension", "environment", "min_severity", "action"})
    return {
        "dimension": require_choice(
            f"{field}.dimension", entry.get("dimension"), ("*", *DIMENSIONS)
        ),
        "environment": require_environment(f"{field}.environment", entry.get("environment")),
        "min_severity": require_choice(
            f"{field}.min_severity", entry.get("min_severity", "critical"), SEVERITIES
        ),
        "action": require_choice(f"{field}.action", entry.get("action"), ACTIONS),
    }


def response_for(
    game_plan: Mapping[str, Any], *, dimension: str, environment: str, severity: str
) -> str | None:
    """The action the plan takes on a breach like this one (the first matching response), if any."""
    for response in game_plan.get("responses", []):
        if (
            response["dimension"] in ("*", dimension)
            and response["environment"] == environment
            and severity_rank(severity) >= severity_rank(response["min_severity"])
        ):
            return str(response["action"])
    return None


def severity_of(event_name: str, *, role: str, target_severity: str | None = None) -> str:
    """How serious an event is, for routing: a breach as its target says, bias flags and pages
    critical, the policy's own deactivations and rollbacks a warning, the rest information."""
    if event_name == "BreachOpened" and target_severity in SEVERITIES:
        return str(target_severity)
    if event_name in ("BiasFlagRaised", "OnCallPaged"):
        return "critical"
    if event_name in ("VersionDeactivated", "RolledBack") and role == "policy":
        return "warning"
    return "info"
