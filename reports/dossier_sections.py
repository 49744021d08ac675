"""The nine sections of Annex IV, each filled from a model report's document and the model it folded,
with the gaps it finds: `SECTIONS` in the Annex's order, each (key, title, fill)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from application.views import jsonable
from domain.gates import activation_gates_for
from domain.model import Model
from domain.policy import NO_OPEN_BIAS_FLAG
from domain.values import DIMENSIONS

Section = dict[str, Any]
Fill = Callable[[dict[str, Any], Model], Section]
# Where a card says how the model was made: extras under these names (a Hugging Face card's
# `library_name` and `pipeline_tag`, an MLflow version's tags).
METHOD_KEYS = ("method", "algorithm", "model_type", "architecture", "library_name", "pipeline_tag")
GATE_WORDS = {
    "data_scientist_release_approval": "a data scientist approved the release",
    "validation_evidence": "a passed validation (e.g. an A/B test) is recorded",
    "targets_on_all_dimensions": "targets on performance, accuracy, governance and cost",
    "targets_approved": "the current targets approved by a data scientist and a business owner",
    "compliance_signoff": "a compliance officer signed the version off",
    "distinct_approvers": "the release approved by enough distinct people",
    NO_OPEN_BIAS_FLAG: "no open bias flag on the version (always)",
}


def gap(finding: str, detail: str, severity: str = "medium") -> dict[str, str]:
    return {"finding": finding, "severity": severity, "detail": detail}


def _live(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The versions a reader must be able to account for: neither retired nor rejected."""
    return [v for v in report["versions"] if v["status"] not in ("retired", "rejected")]


def general_description(report: dict[str, Any], model: Model) -> Section:
    identity = report["model"]
    findings = [
        gap(f"no_{field}", f"no {field.replace('_', ' ')} recorded for the model")
        for field in ("description", "business_objective", "owner")
        if not identity[field]
    ]
    if not report["versions"]:
        findings.append(gap("no_version", "no version registered yet", "low"))
    versions = [
        {key: v[key] for key in ("number", "status", "registered_at", "registered_by",
                                 "environments_served")}
        | {"artifact_uri": v["card"]["artifact_uri"],
           "artifact_sha256": v["card"]["artifact_sha256"]}
        for v in report["versions"]
    ]  # fmt: skip
    return {"content": {"identity": identity, "versions": versions}, "findings": findings}


def method_of(card: dict[str, Any]) -> dict[str, Any]:
    return {key: card["extras"][key] for key in METHOD_KEYS if key in card["extras"]}


def development(report: dict[str, Any], model: Model) -> Section:
    findings = []
    for v in _live(report):
        card, n = v["card"], v["number"]
        for field, words in (
            ("training_data", "training data"),
            ("features", "features"),
            ("labels", "labels"),
            ("documentation_url", "documentation"),
        ):
            if not card[field]:
                findings.append(
                    gap(f"no_{field}", f"no {words} recorded on the card of version {n}")
                )
        if not method_of(card):
            findings.append(
                gap(
                    "no_method",
                    f"no method recorded on the card of version {n} (card extras: "
                    f"{', '.join(METHOD_KEYS)})",
                    "low",
                )
            )
        if not (v["provenance"]["pull_request"] or v["provenance"]["pipeline_run"]):
            findings.append(
                gap(
                    "no_build_provenance",
                    f"version {n} names no pull request or pipeline run (only its git commit)",
                    "low",
                )
            )
    versions = [
        {"number": v["number"], "status": v["status"], "method": method_of(v["card"]),
         "card": v["card"], "provenance": v["provenance"]}
        for v in report["versions"]
    ]  # fmt: skip
    return {"content": {"versions": versions}, "findings": findings}


def _responses_to(plan: dict[str, Any], dimension: str) -> list[dict[str, Any]]:
    return [r for r in plan.get("responses", []) if r.get("dimension") in (dimension, "*")]


def _notified_of_breaches(plan: dict[str, Any]) -> list[str]:
    return [
        route["url"]
        for route in plan.get("notifications", [])
        if {"BreachOpened", "*"} & set(route.get("events", []))
    ]


def monitoring(report: dict[str, Any], model: Model) -> Section:
    plan = jsonable(model.game_plan)
    in_force = [t for t in report["targets"] if t["in_force_until"] is None]
    by_dimension = {
        dimension: {
            "targets": [t for t in in_force if t["dimension"] == dimension],
            "responses": _responses_to(plan, dimension),
        }
        for dimension in DIMENSIONS
    }
    findings = []
    for dimension, part in by_dimension.items():
        if not part["targets"]:
            findings.append(gap("no_monitoring_plan", f"no monitoring plan recorded for "
                                f"{dimension}: no target on it", "high"))  # fmt: skip
        elif not part["responses"]:
            findings.append(gap("no_breach_response", f"the game plan sets no response to a "
                                f"breach of {dimension}", "low"))  # fmt: skip
    approvers = {decision.role for decision in model.target_approvals}
    for role in ("data_scientist", "business_owner"):
        if in_force and role not in approvers:
            findings.append(gap("targets_not_approved", f"targets revision "
                                f"{model.targets_revision} not approved by a {role}", "high"))  # fmt: skip
    if in_force and not _notified_of_breaches(plan):
        findings.append(
            gap("no_breach_notification", "the game plan tells nobody of a breach", "low")
        )
    content = {
        "targets_revision": model.targets_revision,
        "target_approvals": jsonable(model.target_approvals),
        "plan_by_dimension": by_dimension,
        "notified_of_breaches": _notified_of_breaches(plan),
        "game_plan": plan,
        "target_history": report["targets"],
    }
    return {"content": content, "findings": findings}


def performance_metrics(report: dict[str, Any], model: Model) -> Section:
    validations = [
        {"version": v["number"], **validation}
        for v in report["versions"]
        for validation in v["validations"]
    ]
    findings = []
    for v in _live(report):
        if not v["validations"]:
            findings.append(gap("no_validation", f"no validation evidence recorded for version "
                                f"{v['number']}", "high"))  # fmt: skip
        elif not any(validation["passed"] for validation in v["validations"]):
            findings.append(gap("no_passed_validation", f"no passed validation recorded for "
                                f"version {v['number']}", "high"))  # fmt: skip
    validated = sorted({metric for val in validations for metric in val["metrics"]})
    monitored = sorted({t.metric for t in model.targets.values() if t.dimension == "accuracy"})
    if validated and monitored and not set(validated) & set(monitored):
        findings.append(gap(
            "validated_metrics_not_monitored", f"the metrics validated ({', '.join(validated)}) "
            f"are not those monitored for accuracy ({', '.join(monitored)})", "low",
        ))  # fmt: skip
    content = {
        "validations": validations,
        "validated_metrics": validated,
        "monitored_accuracy_metrics": monitored,
        "breaches_judged": len(report["breaches"]),
    }
    return {"content": content, "findings": findings}


def risk_management(report: dict[str, Any], model: Model) -> Section:
    gates = [
        {"version": v.number, "gates": {g: (u.detail if u else None)
                                        for g, u in activation_gates_for(model, v.number).items()}}
        for v in model.versions
        if not (v.retired or v.rejected)
    ]  # fmt: skip
    content = {
        "risk_tier": model.risk_tier,
        "policy": report["model"]["policy"],
        "gates_by_version": gates,
        "activations": report["activations"],
    }
    findings = [
        gap(f["finding"], f["detail"], f["severity"]) for f in report["compliance_findings"]
    ]
    return {"content": content, "findings": findings}


def changes(report: dict[str, Any], model: Model) -> Section:
    content = {
        "policy_changes": [e for e in report["timeline"] if e["event"] == "PolicyChanged"],
        "rollbacks": report["rollbacks"],
        "usage": report["usage"],
        "timeline": report["timeline"],
    }
    findings = [gap(f["finding"], f["detail"], "review") for f in report["review_findings"]]
    return {"content": content, "findings": findings}


def standards(report: dict[str, Any], model: Model) -> Section:
    policy = report["model"]["policy"]
    content = {
        "gates_required": [
            {"gate": gate, "means": GATE_WORDS.get(gate, gate)}
            for gate in [*policy["required_gates"], NO_OPEN_BIAS_FLAG]
        ],
        **{key: value for key, value in policy.items() if key != "required_gates"},
        "note": "the standard applied is the model's policy in the ledger; harmonised standards "
        "and common specifications are not recorded there",
    }
    return {"content": content, "findings": []}


def declaration(report: dict[str, Any], model: Model) -> Section:
    by_version = []
    findings = []
    for v in model.versions:
        served = sorted(v.environments_served)
        signoffs = [d.principal for d in v.compliance_signoffs]
        by_version.append({
            "version": v.number, "served_in": served,
            "release_approvals": [f"{d.principal} ({d.role})" for d in v.release_approvals],
            "compliance_signoffs": signoffs, "distinct_approvers": len(v.distinct_approvers),
        })  # fmt: skip
        if served and not signoffs:
            findings.append(gap("served_without_signoff", f"version {v.number} served in "
                                f"{', '.join(served)} with no compliance officer sign-off",
                                "high" if "production" in served else "medium"))  # fmt: skip
    content = {
        "approvals": report["approvals"],
        "by_version": by_version,
        "note": "the declaration itself is not recorded in the ledger; these approvals and "
        "sign-offs, with who gave them and when, are the record it rests on",
    }
    return {"content": content, "findings": findings}


def post_market(report: dict[str, Any], model: Model) -> Section:
    findings = [
        gap("open_breach", f"breach {b['breach_id']} of {b['metric']} on version {b['version']} "
            f"in {b['environment']} is open", "high")
        for b in report["breaches"] if b["open"]
    ] + [
        gap("open_bias_flag", f"bias flag {f['flag_id']} ({f['attribute']} {f['metric']}) on "
            f"version {f['version']} is open", "high")
        for f in report["bias_flags"] if f["open"]
    ]  # fmt: skip
    if report["model"]["active"] and not report["costs"]["reports"]:
        findings.append(
            gap("no_cost_report", "no cost report recorded while the model serves", "low")
        )
    findings += [
        gap("serious_incident_overdue", f"serious incident {i['incident_id']}'s report to the "
            f"authority was due {i['report_due_at']} and none is recorded", "critical")
        for i in report["serious_incidents"] if i["status"] == "overdue"
    ]  # fmt: skip
    content = {
        "breaches": report["breaches"],
        "bias_flags": report["bias_flags"],
        "serious_incidents": report["serious_incidents"],
        "costs": report["costs"],
    }
    return {"content": content, "findings": findings}


SECTIONS: tuple[tuple[str, str, Fill], ...] = (
    ("general_description", "General description of the AI system", general_description),
    ("development", "Elements of the system and its development", development),
    ("monitoring", "Monitoring, functioning and control", monitoring),
    ("performance_metrics", "Appropriateness of the performance metrics", performance_metrics),
    ("risk_management", "Risk management system", risk_management),
    ("changes", "Changes over the lifecycle", changes),
    ("standards", "Standards applied", standards),
    ("declaration", "EU declaration of conformity: approvals and sign-offs", declaration),
    ("post_market", "Post-market monitoring", post_market),
)
