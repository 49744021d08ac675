"""Each lifecycle event told as one sentence a compliance officer reads: what happened, to which
version, where, against which target (the report's JSON keeps every field as recorded)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Details = Mapping[str, Any]

_COMPARED = {"<": "below", "<=": "at most", ">": "above", ">=": "at least"}
_RESOLVED = {
    "retrain": "the model is to be retrained",
    "change_features": "its features are to be changed",
    "change_technique": "its technique is to be changed",
    "accept_risk": "the risk is accepted",
}
_ACTIONS = {"roll_back": "roll back", "deactivate": "deactivate"}


def number(value: Any) -> str:
    """12000.0 as 12000, 0.78 as 0.78, money ("8450.00") as it was written."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def words(identifier: str) -> str:
    return identifier.replace("_", " ")


def window(text: str) -> str:
    kind, _, size = text.partition(":")
    if kind == "moving_average":
        return f"moving average of the last {size} observations"
    if kind == "moving_average_minutes":
        return f"moving average over {size} minutes"
    return "latest observation"


def bound(target: Details) -> str:
    """`at least 0.78`, `at most 12000 EUR`."""
    unit = f" {target['unit']}" if target.get("unit") else ""
    comparator = _COMPARED.get(target["comparator"], target["comparator"])
    return f"{comparator} {number(target['threshold'])}{unit}"


def _registered(d: Details) -> str:
    people = len(d.get("stakeholders") or [])
    return (
        f"Model {d['name']} registered in the {d['risk_tier']} risk tier, owned by {d['owner']}"
        f"; {people} stakeholder{'' if people == 1 else 's'} listed."
    )


def _policy_changed(d: Details) -> str:
    before, after = d["previous_policy"], d["policy"]
    old_gates, new_gates = before.get("required_gates", []), after.get("required_gates", [])
    tier = (
        f"Risk tier changed from {d['previous_risk_tier']} to {d['risk_tier']}"
        if d["previous_risk_tier"] != d["risk_tier"]
        else f"Policy of the {d['risk_tier']} risk tier changed"
    )
    parts = [tier]
    added = [g for g in new_gates if g not in old_gates]
    removed = [g for g in old_gates if g not in new_gates]
    if added:
        parts.append(f"gates now required: {', '.join(words(g) for g in added)}")
    if removed:
        parts.append(f"gates no longer required: {', '.join(words(g) for g in removed)}")
    for key, label in (
        ("min_distinct_approvers", "distinct approvers"),
        ("bias_flag_max_open_days", "days a bias flag may stay open"),
        ("observation_retention_months", "months observations are kept"),
        ("log_retention_months", "months logs are kept"),
        ("documentation_retention_years", "years documentation is kept"),
    ):
        # (A policy recorded before policies stated retention has none to compare.)
        if None not in (before.get(key), after.get(key)) and before.get(key) != after.get(key):
            parts.append(f"{label} {before.get(key)} → {after.get(key)}")
    return "; ".join(parts) + "."


def _version_registered(d: Details) -> str:
    card = d["card"]
    commit = (card.get("provenance") or {}).get("git_commit")
    built = f", built from commit {commit}" if commit else ""
    return (
        f"Version {d['version']} registered: artifact {card['artifact_uri']} "
        f"(SHA-256 {card['artifact_sha256'][:12]}…){built}."
    )


def _validation_recorded(d: Details) -> str:
    against = f" against version {d['compared_to']}" if d.get("compared_to") is not None else ""
    metrics = ", ".join(f"{k} {number(v)}" for k, v in sorted(d["metrics"].items()))
    result = "passed" if d["passed"] else "FAILED"
    return (
        f"Validation ({words(d['kind'])}) of version {d['version']} on {d['dataset']}{against}: "
        f"{metrics or 'no metrics'}; {result}."
    )


def _target_set(d: Details) -> str:
    previous = d.get("previous")
    how = f"{window(d['window'])}, {d['severity']}"
    if d.get("min_duration_seconds"):
        how += f", only after {d['min_duration_seconds']} s beyond it"
    if d.get("hysteresis"):
        how += f", clears {number(d['hysteresis'])} inside it"
    change = f"changed from {bound(previous)} to {bound(d)}" if previous else f"set to {bound(d)}"
    return (
        f"Target for {d['dimension']} ({d['metric']}) {change} ({how}); "
        f"targets revision {d['revision']}."
    )


def _activated(d: Details) -> str:
    gates = d.get("gates_checked") or []
    met = f", with every gate met: {', '.join(words(g) for g in gates)}" if gates else ""
    return f"Version {d['version']} activated in {d['environment']}{met}."


def _breach_opened(d: Details) -> str:
    target = d["target"]
    return (
        f"Breach {d['breach_id']} opened: {d['metric']} was {number(d['observed_value'])} for "
        f"version {d['version']} in {d['environment']}, against the {d['dimension']} target of "
        f"{bound(target)} ({target['severity']})."
    )


def _bias_flag_raised(d: Details) -> str:
    return (
        f"Bias flag {d['flag_id']} raised on version {d['version']}: {words(d['metric'])} for "
        f"{words(d['attribute'])} is {number(d['value'])}, beyond the threshold "
        f"{number(d['threshold'])}."
    )


def _cost_reported(d: Details) -> str:
    whose = f"version {d['version']}" if d.get("version") is not None else "the model as a whole"
    return (
        f"Cost of {d['amount']} {d['currency']} reported for {d['period']} by "
        f"{d['business_unit']} ({whose})."
    )


def _game_plan_changed(d: Details) -> str:
    plan = d["game_plan"]
    routes = [
        f"{route['url']} on {', '.join(route['events']) or 'no events'} "
        f"at {route['min_severity']} or above"
        for route in plan.get("notifications", [])
    ]
    responses = [
        f"{_ACTIONS.get(r['action'], words(r['action']))} on a {r['min_severity']} "
        f"{r['dimension']} breach in {r['environment']}"
        for r in plan.get("responses", [])
    ]
    return (
        f"Game plan changed: notifies {'; '.join(routes) or 'nobody'}; "
        f"automated responses: {'; '.join(responses) or 'none'}."
    )


def _alias_set(d: Details) -> str:
    where = f", which puts it in {d['environment']}" if d.get("environment") else ""
    before = (
        f" (it pointed at version {d['previous_version']} before)"
        if d.get("previous_version") is not None
        else ""
    )
    return (
        f"{d['source']} alias “{d['alias']}” set to version {d['version']} "
        f"({d['source']} version {d['external_version']}){where}{before}."
    )


def _tag_set(d: Details) -> str:
    on = f"version {d['version']}" if d.get("version") is not None else "the model"
    before = f" (was “{d['previous_value']}”)" if d.get("previous_value") is not None else ""
    return f"{d['source']} tag “{d['key']}” on {on} set to “{d['value']}”{before}."


def _incident_declared(d: Details) -> str:
    linked = [*d.get("breach_ids", []), *d.get("flag_ids", [])]
    on = f" on version {d['version']}" if d.get("version") is not None else ""
    return (
        f"Serious incident {d['incident_id']} ({words(d['severity_class'])}){on} declared, "
        f"known since {d['aware_at']}; its initial report is due by {d['report_due_at']}"
        + (f"; linked to {', '.join(linked)}" if linked else "")
        + "."
    )


SENTENCES: dict[str, Callable[[Details], str]] = {
    "Registered": _registered,
    "PolicyChanged": _policy_changed,
    "VersionRegistered": _version_registered,
    "ValidationRecorded": _validation_recorded,
    "TargetSet": _target_set,
    "TargetsApproved": lambda d: f"Targets revision {d['revision']} approved.",
    "ReleaseApproved": lambda d: f"Release of version {d['version']} approved.",
    "ReleaseRejected": lambda d: f"Release of version {d['version']} rejected.",
    "ComplianceSignedOff": lambda d: f"Compliance sign-off given for version {d['version']}.",
    "VersionActivated": _activated,
    "VersionDeactivated": lambda d: f"Version {d['version']} deactivated in {d['environment']}.",
    "RolledBack": lambda d: (
        f"{d['environment'].capitalize()} rolled back from version {d['from_version']} "
        f"to version {d['to_version']}."
    ),
    "VersionRetired": lambda d: f"Version {d['version']} retired.",
    "BreachOpened": _breach_opened,
    "BreachClosed": lambda d: (
        f"Breach {d['breach_id']} closed: back within target at {number(d['observed_value'])}."
    ),
    "BiasFlagRaised": _bias_flag_raised,
    "BiasFlagResolved": lambda d: (
        f"Bias flag {d['flag_id']} resolved: "
        f"{_RESOLVED.get(d['resolution'], words(d['resolution']))}."
    ),
    "CostReported": _cost_reported,
    "GamePlanChanged": _game_plan_changed,
    "OnCallPaged": lambda d: (
        f"On-call paged about breach {d['breach_id']} (version {d['version']} in "
        f"{d['environment']}): {d['message'].rstrip('.')}."
    ),
    "ExternalAliasSet": _alias_set,
    "ExternalAliasRemoved": lambda d: (
        f"{d['source']} alias “{d['alias']}” removed from version {d['version']} "
        f"({d['source']} version {d['external_version']})."
    ),
    "ExternalTagSet": _tag_set,
    "IncidentDeclared": _incident_declared,
    "IncidentReported": lambda d: (
        f"{words(d['kind']).capitalize()} report on serious incident {d['incident_id']} "
        f"submitted to {d['authority']} (reference {d['reference']})."
    ),
    "LegalHoldPlaced": lambda d: (
        f"Legal hold placed{' for ' + d['matter'] if d.get('matter') else ''}: "
        "no observation of the model is dropped until it is released."
    ),
    "LegalHoldReleased": lambda d: (
        f"Legal hold{' for ' + d['matter'] if d.get('matter') else ''} released."
    ),
}


def sentence(event: str, details: Details) -> str:
    """The event as a sentence; an event this module does not know yet lists its fields."""
    told = SENTENCES.get(event)
    if told is not None:
        return told(details)
    return "; ".join(f"{words(k)}: {details[k]}" for k in sorted(details)) + "."
