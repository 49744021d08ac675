"""The roles, and what a token may do without recording a lifecycle event (`Access`, checked by the API).

The other half of the role matrix, which role may take which `Action` (what a command does to a
model, checked by the domain), stands with the commands in domain/commands.py (`PERMISSIONS`), so
that a new kind of command is declared, with who may send it, in one place. They are two enums
because only an `Action` reaches an aggregate: a read, a posted figure or a portfolio report
never does, so the API alone decides them.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

ROLES = (
    "data_scientist",
    "ml_engineer",
    "devops_engineer",
    "itops_engineer",
    "data_engineer",
    "business_owner",
    "compliance_officer",
    # Independent model validation (SR 26-2 / OCC 2026-13): records validation evidence, which
    # counts as independent where the validator neither registered nor developed the version.
    "validator",
    "auditor",
    "admin",
    # A bridge from another registry (MLflow): registers and records what happened there, never
    # decides (domain/commands.py: PERMISSIONS); a pipeline's token, not a person's.
    "integration",
    # A Prometheus server's token: reads the service's metrics (GET /metrics) and nothing else, no
    # model's data; a scrape token that leaks can change nothing and read no model.
    "metrics_scraper",
    "policy",  # the model's policy acting on its own (automated responses); never a person's token
)
# Every role that a person or a pipeline can hold a token for.
PEOPLE_AND_PIPELINES = frozenset(role for role in ROLES if role != "policy")
# Every role whose tokens read models: all but the metrics scraper's.
READERS = PEOPLE_AND_PIPELINES - {"metrics_scraper"}


class Access(StrEnum):
    """What a token may do that records no lifecycle event (the API checks these)."""

    READ = "read"  # models, histories, the event feed, one model's report
    POST_OBSERVATIONS = "post_observations"  # production figures, judged later by monitoring
    READ_REPORTS = "read_reports"  # the whole portfolio at once: its findings and its reports
    CHECK_ADMISSION = "check_admission"  # may this artifact serve here now (a model server asks)
    # A proof of governance with its events in clear text: names, e-mails, reasons in one file
    # meant to leave the system (the other roles get it redacted).
    EXPORT_PERSONAL_DATA = "export_personal_data"
    # The service's own counts and backlogs (GET /metrics): no model's data, only its operation.
    READ_METRICS = "read_metrics"


ACCESS: Mapping[Access, frozenset[str]] = {
    Access.READ: READERS,
    Access.POST_OBSERVATIONS: frozenset(
        {"devops_engineer", "itops_engineer", "ml_engineer", "data_engineer"}
    ),
    # One rule for the same data: the portfolio's findings (/v1/portfolio/compliance) and its
    # report (/v1/reports/portfolio) answer the same roles.
    Access.READ_REPORTS: frozenset({"auditor", "compliance_officer"}),
    # A model server's start-up hook or an admission webhook holds a token of any role that reads:
    # the answer (allowed or not, and which model and version) tells no more than READ does.
    Access.CHECK_ADMISSION: READERS,
    # Those who answer for an audit and may hand its evidence on; reading a history on screen is
    # READ, but a file with every decision-maker's name and reason is an export of personal data.
    Access.EXPORT_PERSONAL_DATA: frozenset({"auditor", "compliance_officer", "admin"}),
    # Those who run the service (DESIGN.md: workers, /metrics, logs, backups are the operators'
    # door), and a Prometheus server, with a metrics_scraper token of its own.
    Access.READ_METRICS: frozenset(
        {"devops_engineer", "itops_engineer", "admin", "metrics_scraper"}
    ),
}


def in_words(action: StrEnum) -> str:
    """`roll_back` as a person reads it in a refusal: `roll back`."""
    return action.value.replace("_", " ")
