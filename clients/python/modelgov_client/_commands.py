"""Every command and query of the modelgov API as a typed method (generated: do not edit).

Written by `python -m infrastructure.api.client_codegen` from the server's route table; a test
fails when the server gains a route this file lacks. `OPERATIONS` is the same table as data.
"""

# ruff: noqa: E501

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from modelgov_client._operations import Operation, Parameter, Written

OPERATIONS: dict[str, Operation] = {
    'register_model': Operation(
        name='register_model',
        method='POST',
        path='/v1/models',
        doc='Register a model under a unique name, with its risk tier and stakeholders.',
        path_parameters=(),
        query=(),
        body=(
            Parameter(name='effective_at', wire='effective_at', annotation='datetime | str', kind='instant', required=False, choices=(), doc='When it happened in the world (default: now). May be backdated.'),
            Parameter(name='reason', wire='reason', annotation='str', kind='str', required=False, choices=(), doc='Why; required for decisions.'),
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='description', wire='description', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='owner', wire='owner', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='business_objective', wire='business_objective', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='risk_tier', wire='risk_tier', annotation="Literal['low', 'medium', 'high', 'regulated']", kind='choice', required=True, choices=('low', 'medium', 'high', 'regulated'), doc=''),
            Parameter(name='stakeholders', wire='stakeholders', annotation='list[Any]', kind='json', required=False, choices=(), doc=''),
        ),
    ),
    'change_policy': Operation(
        name='change_policy',
        method='POST',
        path='/v1/models/{name}/policy',
        doc="Change the model's risk tier and policy (gates may be added to the tier's, never dropped).",
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(
            Parameter(name='effective_at', wire='effective_at', annotation='datetime | str', kind='instant', required=False, choices=(), doc='When it happened in the world (default: now). May be backdated.'),
            Parameter(name='reason', wire='reason', annotation='str', kind='str', required=False, choices=(), doc='Why; required for decisions.'),
            Parameter(name='risk_tier', wire='risk_tier', annotation="Literal['low', 'medium', 'high', 'regulated']", kind='choice', required=True, choices=('low', 'medium', 'high', 'regulated'), doc=''),
            Parameter(name='policy', wire='policy', annotation='dict[str, Any]', kind='json', required=False, choices=(), doc="Omit for the tier's default policy."),
        ),
    ),
    'register_version': Operation(
        name='register_version',
        method='POST',
        path='/v1/models/{name}/versions',
        doc='Register a new version with its model card; `result` is the new version number.',
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(
            Parameter(name='effective_at', wire='effective_at', annotation='datetime | str', kind='instant', required=False, choices=(), doc='When it happened in the world (default: now). May be backdated.'),
            Parameter(name='reason', wire='reason', annotation='str', kind='str', required=False, choices=(), doc='Why; required for decisions.'),
            Parameter(name='card', wire='card', annotation='dict[str, Any]', kind='json', required=True, choices=(), doc=''),
        ),
    ),
    'record_validation': Operation(
        name='record_validation',
        method='POST',
        path='/v1/models/{name}/versions/{number}/validations',
        doc='Record validation evidence for the version, e.g. an A/B test against another version.',
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='number', wire='number', annotation='int', kind='int', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(
            Parameter(name='effective_at', wire='effective_at', annotation='datetime | str', kind='instant', required=False, choices=(), doc='When it happened in the world (default: now). May be backdated.'),
            Parameter(name='reason', wire='reason', annotation='str', kind='str', required=False, choices=(), doc='Why; required for decisions.'),
            Parameter(name='kind', wire='kind', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='dataset', wire='dataset', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='metrics', wire='metrics', annotation='dict[str, Any]', kind='json', required=True, choices=(), doc=''),
            Parameter(name='passed', wire='passed', annotation='bool', kind='bool', required=True, choices=(), doc=''),
            Parameter(name='compared_to', wire='compared_to', annotation='int', kind='int', required=False, choices=(), doc=''),
            Parameter(name='parameters', wire='parameters', annotation='dict[str, Any]', kind='json', required=False, choices=(), doc=''),
        ),
    ),
    'approve_release': Operation(
        name='approve_release',
        method='POST',
        path='/v1/models/{name}/versions/{number}/approvals',
        doc="Approve the version's release (not by the person who registered it); `reason` is the comment.",
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='number', wire='number', annotation='int', kind='int', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(
            Parameter(name='effective_at', wire='effective_at', annotation='datetime | str', kind='instant', required=False, choices=(), doc='When it happened in the world (default: now). May be backdated.'),
            Parameter(name='reason', wire='reason', annotation='str', kind='str', required=False, choices=(), doc='Why; required for decisions.'),
        ),
    ),
    'reject_release': Operation(
        name='reject_release',
        method='POST',
        path='/v1/models/{name}/versions/{number}/rejections',
        doc="Reject the version's release, with a reason; a rejected version is never activated.",
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='number', wire='number', annotation='int', kind='int', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(
            Parameter(name='effective_at', wire='effective_at', annotation='datetime | str', kind='instant', required=False, choices=(), doc='When it happened in the world (default: now). May be backdated.'),
            Parameter(name='reason', wire='reason', annotation='str', kind='str', required=False, choices=(), doc='Why; required for decisions.'),
        ),
    ),
    'sign_off': Operation(
        name='sign_off',
        method='POST',
        path='/v1/models/{name}/versions/{number}/signoffs',
        doc="A compliance officer's sign-off on the version.",
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='number', wire='number', annotation='int', kind='int', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(
            Parameter(name='effective_at', wire='effective_at', annotation='datetime | str', kind='instant', required=False, choices=(), doc='When it happened in the world (default: now). May be backdated.'),
            Parameter(name='reason', wire='reason', annotation='str', kind='str', required=False, choices=(), doc='Why; required for decisions.'),
        ),
    ),
    'retire_version': Operation(
        name='retire_version',
        method='POST',
        path='/v1/models/{name}/versions/{number}/retirement',
        doc='Retire the version for good, with a reason; it must not be active anywhere.',
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='number', wire='number', annotation='int', kind='int', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(
            Parameter(name='effective_at', wire='effective_at', annotation='datetime | str', kind='instant', required=False, choices=(), doc='When it happened in the world (default: now). May be backdated.'),
            Parameter(name='reason', wire='reason', annotation='str', kind='str', required=False, choices=(), doc='Why; required for decisions.'),
        ),
    ),
    'set_target': Operation(
        name='set_target',
        method='POST',
        path='/v1/models/{name}/targets',
        doc='Set or change a target on a dimension; approvals of the targets are withdrawn. `result`: revision.',
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(
            Parameter(name='effective_at', wire='effective_at', annotation='datetime | str', kind='instant', required=False, choices=(), doc='When it happened in the world (default: now). May be backdated.'),
            Parameter(name='reason', wire='reason', annotation='str', kind='str', required=False, choices=(), doc='Why; required for decisions.'),
            Parameter(name='dimension', wire='dimension', annotation="Literal['performance', 'accuracy', 'governance', 'cost']", kind='choice', required=True, choices=('performance', 'accuracy', 'governance', 'cost'), doc=''),
            Parameter(name='metric', wire='metric', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='comparator', wire='comparator', annotation="Literal['<', '<=', '>', '>=']", kind='choice', required=True, choices=('<', '<=', '>', '>='), doc=''),
            Parameter(name='threshold', wire='threshold', annotation='float', kind='float', required=True, choices=(), doc=''),
            Parameter(name='window', wire='window', annotation='str', kind='str', required=False, choices=(), doc=''),
            Parameter(name='severity', wire='severity', annotation="Literal['info', 'warning', 'critical']", kind='choice', required=False, choices=('info', 'warning', 'critical'), doc=''),
            Parameter(name='unit', wire='unit', annotation='str', kind='str', required=False, choices=(), doc=''),
            Parameter(name='hysteresis', wire='hysteresis', annotation='float', kind='float', required=False, choices=(), doc='A breach closes only once the value is back inside by this margin.'),
            Parameter(name='min_duration_seconds', wire='min_duration_seconds', annotation='int', kind='int', required=False, choices=(), doc='A crossing opens a breach only once it has lasted this long.'),
        ),
    ),
    'approve_targets': Operation(
        name='approve_targets',
        method='POST',
        path='/v1/models/{name}/targets/approvals',
        doc='Approve the targets at the revision reviewed (a data scientist and a business owner).',
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(
            Parameter(name='effective_at', wire='effective_at', annotation='datetime | str', kind='instant', required=False, choices=(), doc='When it happened in the world (default: now). May be backdated.'),
            Parameter(name='reason', wire='reason', annotation='str', kind='str', required=False, choices=(), doc='Why; required for decisions.'),
            Parameter(name='revision', wire='revision', annotation='int', kind='int', required=True, choices=(), doc='The targets revision that was reviewed.'),
        ),
    ),
    'activate': Operation(
        name='activate',
        method='POST',
        path='/v1/models/{name}/activations',
        doc='Activate a version in an environment; 409 lists every unmet gate. Supersedes the active one.',
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(
            Parameter(name='effective_at', wire='effective_at', annotation='datetime | str', kind='instant', required=False, choices=(), doc='When it happened in the world (default: now). May be backdated.'),
            Parameter(name='reason', wire='reason', annotation='str', kind='str', required=False, choices=(), doc='Why; required for decisions.'),
            Parameter(name='version', wire='version', annotation='int', kind='int', required=True, choices=(), doc=''),
            Parameter(name='environment', wire='environment', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
    ),
    'deactivate': Operation(
        name='deactivate',
        method='POST',
        path='/v1/models/{name}/deactivations',
        doc='Deactivate the version active in an environment, with a reason.',
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(
            Parameter(name='effective_at', wire='effective_at', annotation='datetime | str', kind='instant', required=False, choices=(), doc='When it happened in the world (default: now). May be backdated.'),
            Parameter(name='reason', wire='reason', annotation='str', kind='str', required=False, choices=(), doc='Why; required for decisions.'),
            Parameter(name='version', wire='version', annotation='int', kind='int', required=True, choices=(), doc=''),
            Parameter(name='environment', wire='environment', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
    ),
    'roll_back': Operation(
        name='roll_back',
        method='POST',
        path='/v1/models/{name}/rollbacks',
        doc='Roll an environment back to a version that served there, is approved and has no open bias flag.',
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(
            Parameter(name='effective_at', wire='effective_at', annotation='datetime | str', kind='instant', required=False, choices=(), doc='When it happened in the world (default: now). May be backdated.'),
            Parameter(name='reason', wire='reason', annotation='str', kind='str', required=False, choices=(), doc='Why; required for decisions.'),
            Parameter(name='environment', wire='environment', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='to_version', wire='to_version', annotation='int', kind='int', required=True, choices=(), doc=''),
        ),
    ),
    'open_breach': Operation(
        name='open_breach',
        method='POST',
        path='/v1/models/{name}/breaches',
        doc='Open a breach: a value that fails the target in force. `result` is the breach id.',
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(
            Parameter(name='effective_at', wire='effective_at', annotation='datetime | str', kind='instant', required=False, choices=(), doc='When it happened in the world (default: now). May be backdated.'),
            Parameter(name='reason', wire='reason', annotation='str', kind='str', required=False, choices=(), doc='Why; required for decisions.'),
            Parameter(name='version', wire='version', annotation='int', kind='int', required=True, choices=(), doc=''),
            Parameter(name='environment', wire='environment', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='dimension', wire='dimension', annotation="Literal['performance', 'accuracy', 'governance', 'cost']", kind='choice', required=True, choices=('performance', 'accuracy', 'governance', 'cost'), doc=''),
            Parameter(name='metric', wire='metric', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='observed_value', wire='observed_value', annotation='float', kind='float', required=True, choices=(), doc=''),
        ),
    ),
    'close_breach': Operation(
        name='close_breach',
        method='POST',
        path='/v1/models/{name}/breaches/{breach_id}/closure',
        doc='Close a breach with a value that meets the target again.',
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='breach_id', wire='breach_id', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(
            Parameter(name='effective_at', wire='effective_at', annotation='datetime | str', kind='instant', required=False, choices=(), doc='When it happened in the world (default: now). May be backdated.'),
            Parameter(name='reason', wire='reason', annotation='str', kind='str', required=False, choices=(), doc='Why; required for decisions.'),
            Parameter(name='observed_value', wire='observed_value', annotation='float', kind='float', required=True, choices=(), doc=''),
        ),
    ),
    'raise_bias_flag': Operation(
        name='raise_bias_flag',
        method='POST',
        path='/v1/models/{name}/bias-flags',
        doc='Raise a bias flag on a version; it blocks activation until resolved. `result` is the flag id.',
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(
            Parameter(name='effective_at', wire='effective_at', annotation='datetime | str', kind='instant', required=False, choices=(), doc='When it happened in the world (default: now). May be backdated.'),
            Parameter(name='reason', wire='reason', annotation='str', kind='str', required=False, choices=(), doc='Why; required for decisions.'),
            Parameter(name='version', wire='version', annotation='int', kind='int', required=True, choices=(), doc=''),
            Parameter(name='attribute', wire='attribute', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='metric', wire='metric', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='value', wire='value', annotation='float', kind='float', required=True, choices=(), doc=''),
            Parameter(name='threshold', wire='threshold', annotation='float', kind='float', required=True, choices=(), doc=''),
        ),
    ),
    'resolve_bias_flag': Operation(
        name='resolve_bias_flag',
        method='POST',
        path='/v1/models/{name}/bias-flags/{flag_id}/resolution',
        doc='Resolve a bias flag once, with a decision and a justification.',
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='flag_id', wire='flag_id', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(
            Parameter(name='effective_at', wire='effective_at', annotation='datetime | str', kind='instant', required=False, choices=(), doc='When it happened in the world (default: now). May be backdated.'),
            Parameter(name='resolution', wire='resolution', annotation="Literal['retrain', 'change_features', 'change_technique', 'accept_risk']", kind='choice', required=True, choices=('retrain', 'change_features', 'change_technique', 'accept_risk'), doc=''),
            Parameter(name='justification', wire='justification', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
    ),
    'report_cost': Operation(
        name='report_cost',
        method='POST',
        path='/v1/models/{name}/costs',
        doc="Report a month's cost for a business unit (and optionally a version).",
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(
            Parameter(name='effective_at', wire='effective_at', annotation='datetime | str', kind='instant', required=False, choices=(), doc='When it happened in the world (default: now). May be backdated.'),
            Parameter(name='reason', wire='reason', annotation='str', kind='str', required=False, choices=(), doc='Why; required for decisions.'),
            Parameter(name='period', wire='period', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='amount', wire='amount', annotation='Decimal | str', kind='decimal', required=True, choices=(), doc=''),
            Parameter(name='currency', wire='currency', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='business_unit', wire='business_unit', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='version', wire='version', annotation='int', kind='int', required=False, choices=(), doc=''),
        ),
    ),
    'change_game_plan': Operation(
        name='change_game_plan',
        method='POST',
        path='/v1/models/{name}/game-plan',
        doc='Replace the game plan: notification routes and automated responses to breaches; a route to a non-public host is refused unless MODELGOV_WEBHOOK_ALLOW_HOSTS names it.',
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(
            Parameter(name='effective_at', wire='effective_at', annotation='datetime | str', kind='instant', required=False, choices=(), doc='When it happened in the world (default: now). May be backdated.'),
            Parameter(name='reason', wire='reason', annotation='str', kind='str', required=False, choices=(), doc='Why; required for decisions.'),
            Parameter(name='game_plan', wire='game_plan', annotation='dict[str, Any]', kind='json', required=True, choices=(), doc=''),
        ),
    ),
    'list_models': Operation(
        name='list_models',
        method='GET',
        path='/v1/models',
        doc='List registered models from the catalog projection, filtered, a page at a time.',
        path_parameters=(),
        query=(
            Parameter(name='risk_tier', wire='risk_tier', annotation="Literal['low', 'medium', 'high', 'regulated']", kind='choice', required=False, choices=('low', 'medium', 'high', 'regulated'), doc=''),
            Parameter(name='owner', wire='owner', annotation='str', kind='str', required=False, choices=(), doc=''),
            Parameter(name='status', wire='status', annotation="Literal['draft', 'inactive', 'active']", kind='choice', required=False, choices=('draft', 'inactive', 'active'), doc=''),
            Parameter(name='limit', wire='limit', annotation='int', kind='int', required=False, choices=(), doc='Items per page (at most 100).'),
            Parameter(name='cursor', wire='cursor', annotation='str', kind='str', required=False, choices=(), doc='The `next_cursor` of the previous page (opaque); absent for the first page. One this list did not give is 422 `invalid_cursor`.'),
        ),
        body=(),
    ),
    'get_model': Operation(
        name='get_model',
        method='GET',
        path='/v1/models/{name}',
        doc="A model's current state: versions and their gate status, targets, open findings; ETag = revision.",
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(),
    ),
    'list_versions': Operation(
        name='list_versions',
        method='GET',
        path='/v1/models/{name}/versions',
        doc="The model's versions in number order: status, where each is active, and its card's summary.",
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(
            Parameter(name='limit', wire='limit', annotation='int', kind='int', required=False, choices=(), doc='Items per page (at most 100).'),
            Parameter(name='cursor', wire='cursor', annotation='str', kind='str', required=False, choices=(), doc='The `next_cursor` of the previous page (opaque); absent for the first page. One this list did not give is 422 `invalid_cursor`.'),
        ),
        body=(),
    ),
    'get_version': Operation(
        name='get_version',
        method='GET',
        path='/v1/models/{name}/versions/{number}',
        doc='One version: its model card, evidence, decisions, where it served, and its gate status.',
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='number', wire='number', annotation='int', kind='int', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(),
    ),
    'version_gate': Operation(
        name='version_gate',
        method='GET',
        path='/v1/models/{name}/versions/{number}/gate',
        doc="May the version be activated in the environment now? Every reason an activation would be refused (the policy's environments, a retired or rejected version, each unmet gate), judged by the rules an activation applies to the model as it stands; for a deploy job (`modelgov gate`).",
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
            Parameter(name='number', wire='number', annotation='int', kind='int', required=True, choices=(), doc=''),
        ),
        query=(
            Parameter(name='environment', wire='environment', annotation='str', kind='str', required=True, choices=(), doc='Where it would be activated.'),
        ),
        body=(),
    ),
    'post_metrics': Operation(
        name='post_metrics',
        method='POST',
        path='/v1/models/{name}/metrics',
        doc='Post a batch of production figures (up to 10,000), judged against the targets in force. Stored at once, judged moments later by the evaluator: breaches open and close, and bias flags are raised from per-group figures, as lifecycle events attributed to the policy. A bad entry refuses the whole batch (422, naming the entry); nothing is stored then.',
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(
            Parameter(name='observations', wire='observations', annotation='list[Any]', kind='json', required=True, choices=(), doc=''),
        ),
    ),
    'read_game_plan': Operation(
        name='read_game_plan',
        method='GET',
        path='/v1/models/{name}/game-plan',
        doc='The game plan in force.',
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(),
    ),
    'read_costs': Operation(
        name='read_costs',
        method='GET',
        path='/v1/models/{name}/costs',
        doc="Showback: cost per month and business unit, with the month's total and budget.",
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(),
    ),
    'read_deliveries': Operation(
        name='read_deliveries',
        method='GET',
        path='/v1/models/{name}/webhook-deliveries',
        doc="The model's webhook deliveries, newest first, a page at a time: status, attempts and, for the roles that may change the game plan, how the last attempt failed (refused, timeout, TLS, HTTP 500, ...). The others do not get `last_error`: per URL, it would tell them which hosts and ports answer.",
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(
            Parameter(name='limit', wire='limit', annotation='int', kind='int', required=False, choices=(), doc='Items per page (at most 500).'),
            Parameter(name='cursor', wire='cursor', annotation='str', kind='str', required=False, choices=(), doc='The `next_cursor` of the previous page (opaque); absent for the first page. One this list did not give is 422 `invalid_cursor`.'),
        ),
        body=(),
    ),
    'model_events': Operation(
        name='model_events',
        method='GET',
        path='/v1/models/{name}/events',
        doc="The model's lifecycle events in order, a page at a time: who, in which role, why, when.",
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(
            Parameter(name='limit', wire='limit', annotation='int', kind='int', required=False, choices=(), doc='Items per page (at most 500).'),
            Parameter(name='cursor', wire='cursor', annotation='str', kind='str', required=False, choices=(), doc='The `next_cursor` of the previous page (opaque); absent for the first page. One this list did not give is 422 `invalid_cursor`.'),
        ),
        body=(),
    ),
    'model_state_at': Operation(
        name='model_state_at',
        method='GET',
        path='/v1/models/{name}/state',
        doc='Replay the model: as of a revision, as effective at a time, or as known at a time.',
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(
            Parameter(name='revision', wire='revision', annotation='int', kind='int', required=False, choices=(), doc='After the N-th event.'),
            Parameter(name='at', wire='at', annotation='datetime | str', kind='instant', required=False, choices=(), doc='As effective in the world at this time (with a zone).'),
            Parameter(name='known_at', wire='known_at', annotation='datetime | str', kind='instant', required=False, choices=(), doc='As recorded by this time (with a zone).'),
        ),
        body=(),
    ),
    'event_feed': Operation(
        name='event_feed',
        method='GET',
        path='/v1/events',
        doc="Every model's events in commit order, for integrations. Page with `next_cursor` (null at the end of the log); poll for newer events later with `resume_cursor`. A filtered page may hold fewer than `limit` events (a page looks at 5,000 positions at most): only a null `next_cursor` means the end.",
        path_parameters=(),
        query=(
            Parameter(name='model', wire='model', annotation='str', kind='str', required=False, choices=(), doc="Only this model's."),
            Parameter(name='event', wire='event', annotation='list[Any]', kind='json', required=False, choices=(), doc='Only events of these types (e.g. VersionActivated).'),
            Parameter(name='limit', wire='limit', annotation='int', kind='int', required=False, choices=(), doc='Items per page (at most 500).'),
            Parameter(name='cursor', wire='cursor', annotation='str', kind='str', required=False, choices=(), doc='The `next_cursor` of the previous page (opaque); absent for the first page. One this list did not give is 422 `invalid_cursor`.'),
        ),
        body=(),
    ),
    'model_diff': Operation(
        name='model_diff',
        method='GET',
        path='/v1/models/{name}/diff',
        doc='What changed between two points (versions, targets, approvals, activations, flags, breaches).',
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(
            Parameter(name='from_', wire='from', annotation='str', kind='str', required=True, choices=(), doc='Revision number or ISO time.'),
            Parameter(name='to', wire='to', annotation='str', kind='str', required=False, choices=(), doc='Default: now.'),
        ),
        body=(),
    ),
    'latest_head': Operation(
        name='latest_head',
        method='GET',
        path='/v1/ledger/head',
        doc='The latest signed tree head; `signed_text` is exactly what the Ed25519 signature covers.',
        path_parameters=(),
        query=(),
        body=(),
    ),
    'inclusion': Operation(
        name='inclusion',
        method='GET',
        path='/v1/ledger/proofs/inclusion',
        doc='An inclusion proof for one event, by ledger position or by model and revision. `record` is the event as stored (state in base64, encrypted): hash it as the ledger does (see application/ledger/records.py) to check `leaf_hash` yourself; null if it is gone.',
        path_parameters=(),
        query=(
            Parameter(name='position', wire='position', annotation='int', kind='int', required=False, choices=(), doc=''),
            Parameter(name='model', wire='model', annotation='str', kind='str', required=False, choices=(), doc=''),
            Parameter(name='revision', wire='revision', annotation='int', kind='int', required=False, choices=(), doc="The model's revision (event number)."),
            Parameter(name='tree_size', wire='tree_size', annotation='int', kind='int', required=False, choices=(), doc='Default: the latest head.'),
        ),
        body=(),
    ),
    'consistency': Operation(
        name='consistency',
        method='GET',
        path='/v1/ledger/proofs/consistency',
        doc='A consistency proof: the log at size `from` is a prefix of the signed log at `to` (default latest).',
        path_parameters=(),
        query=(
            Parameter(name='old_size', wire='from', annotation='int', kind='int', required=True, choices=(), doc=''),
            Parameter(name='new_size', wire='to', annotation='int', kind='int', required=False, choices=(), doc=''),
        ),
        body=(),
    ),
    'public_keys': Operation(
        name='public_keys',
        method='GET',
        path='/v1/ledger/keys',
        doc='Every public key that ever signed a head, by key id (PEM).',
        path_parameters=(),
        query=(),
        body=(),
    ),
    'portfolio_compliance': Operation(
        name='portfolio_compliance',
        method='GET',
        path='/v1/portfolio/compliance',
        doc="Every model's open findings under its current policy, the worst models first (the roles that may read the portfolio report: the same data, one rule).",
        path_parameters=(),
        query=(),
        body=(),
    ),
    'model_exposure': Operation(
        name='model_exposure',
        method='GET',
        path='/v1/models/{name}/exposure',
        doc='For each bias flag and breach: how long its version served, per environment, while it was open.',
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(),
        body=(),
    ),
    'model_usage': Operation(
        name='model_usage',
        method='GET',
        path='/v1/models/{name}/usage',
        doc='Every interval a version served in an environment, in time order, with who began and ended it (`ended_at` null while it still serves).',
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(
            Parameter(name='limit', wire='limit', annotation='int', kind='int', required=False, choices=(), doc='Items per page (at most 500).'),
            Parameter(name='cursor', wire='cursor', annotation='str', kind='str', required=False, choices=(), doc='The `next_cursor` of the previous page (opaque); absent for the first page. One this list did not give is 422 `invalid_cursor`.'),
        ),
        body=(),
    ),
    'model_audit_report': Operation(
        name='model_audit_report',
        method='GET',
        path='/v1/reports/models/{name}',
        doc="A model's audit report: cards, approvals, gates, usage, targets, breaches, flags, costs, timeline.",
        path_parameters=(
            Parameter(name='name', wire='name', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        query=(
            Parameter(name='format', wire='format', annotation="Literal['html', 'pdf', 'json']", kind='choice', required=False, choices=('html', 'pdf', 'json'), doc='html, pdf or json.'),
            Parameter(name='as_of_head', wire='as_of_head', annotation='int', kind='int', required=False, choices=(), doc='Size of the signed tree head to build from (default: latest).'),
        ),
        body=(),
    ),
    'portfolio_compliance_report': Operation(
        name='portfolio_compliance_report',
        method='GET',
        path='/v1/reports/portfolio',
        doc="Every model's status, active versions, open findings and exposure, the worst first.",
        path_parameters=(),
        query=(
            Parameter(name='format', wire='format', annotation="Literal['html', 'pdf', 'json']", kind='choice', required=False, choices=('html', 'pdf', 'json'), doc='html, pdf or json.'),
            Parameter(name='as_of_head', wire='as_of_head', annotation='int', kind='int', required=False, choices=(), doc='Size of the signed tree head to build from (default: latest).'),
        ),
        body=(),
    ),
    'change_report': Operation(
        name='change_report',
        method='GET',
        path='/v1/reports/changes',
        doc='Every lifecycle event that took effect in the period, grouped by model, with its actors.',
        path_parameters=(),
        query=(
            Parameter(name='since', wire='since', annotation='datetime | str', kind='instant', required=True, choices=(), doc='Start of the period (included), with a zone.'),
            Parameter(name='until', wire='until', annotation='datetime | str', kind='instant', required=True, choices=(), doc='End of the period (excluded), with a zone.'),
            Parameter(name='format', wire='format', annotation="Literal['html', 'pdf', 'json']", kind='choice', required=False, choices=('html', 'pdf', 'json'), doc='html, pdf or json.'),
            Parameter(name='as_of_head', wire='as_of_head', annotation='int', kind='int', required=False, choices=(), doc='Size of the signed tree head to build from (default: latest).'),
        ),
        body=(),
    ),
    'admission_check': Operation(
        name='admission_check',
        method='GET',
        path='/v1/admission',
        doc="Allowed iff the artifact is the card's artifact of the version active in the environment now, and that version is approved (its approval gates met, not retired or rejected, no open bias flag). Denied with the reason otherwise: unknown artifact, not active there, or no longer approved. Always 200 when asked well: the answer is `allowed`.",
        path_parameters=(),
        query=(
            Parameter(name='artifact_sha256', wire='artifact_sha256', annotation='str', kind='str', required=True, choices=(), doc="The artifact's SHA-256 (64 hex digits)."),
            Parameter(name='environment', wire='environment', annotation='str', kind='str', required=True, choices=(), doc=''),
        ),
        body=(),
    ),
    'healthz': Operation(
        name='healthz',
        method='GET',
        path='/healthz',
        doc='The process is up.',
        path_parameters=(),
        query=(),
        body=(),
    ),
    'readyz': Operation(
        name='readyz',
        method='GET',
        path='/readyz',
        doc='200 when the event store answers a query and takes a small write, 503 otherwise; says how the ledger sealer is doing.',
        path_parameters=(),
        query=(),
        body=(),
    ),
}


class Operations:
    """The typed methods; `modelgov_client.Client` carries them out over HTTP."""

    def _read(self, operation: str, path: dict[str, Any], query: dict[str, Any]) -> Any:
        raise NotImplementedError

    def _pages(
        self, operation: str, path: dict[str, Any], query: dict[str, Any]
    ) -> Iterator[Any]:
        raise NotImplementedError

    def _write(
        self,
        operation: str,
        path: dict[str, Any],
        query: dict[str, Any],
        body: dict[str, Any],
        *,
        if_match: str | int | None,
        idempotency_key: str | None,
    ) -> Written:
        raise NotImplementedError

    def register_model(
        self,
        *,
        name: str,
        description: str,
        owner: str,
        business_objective: str,
        risk_tier: Literal['low', 'medium', 'high', 'regulated'],
        effective_at: datetime | str | None = None,
        reason: str | None = None,
        stakeholders: list[Any] | None = None,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
    ) -> Written:
        'Register a model under a unique name, with its risk tier and stakeholders.'
        return self._write('register_model', {}, {}, {'effective_at': effective_at, 'reason': reason, 'name': name, 'description': description, 'owner': owner, 'business_objective': business_objective, 'risk_tier': risk_tier, 'stakeholders': stakeholders}, if_match=if_match, idempotency_key=idempotency_key)

    def change_policy(
        self,
        name: str,
        *,
        risk_tier: Literal['low', 'medium', 'high', 'regulated'],
        effective_at: datetime | str | None = None,
        reason: str | None = None,
        policy: dict[str, Any] | None = None,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
    ) -> Written:
        "Change the model's risk tier and policy (gates may be added to the tier's, never dropped)."
        return self._write('change_policy', {'name': name}, {}, {'effective_at': effective_at, 'reason': reason, 'risk_tier': risk_tier, 'policy': policy}, if_match=if_match, idempotency_key=idempotency_key)

    def register_version(
        self,
        name: str,
        *,
        card: dict[str, Any],
        effective_at: datetime | str | None = None,
        reason: str | None = None,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
    ) -> Written:
        'Register a new version with its model card; `result` is the new version number.'
        return self._write('register_version', {'name': name}, {}, {'effective_at': effective_at, 'reason': reason, 'card': card}, if_match=if_match, idempotency_key=idempotency_key)

    def record_validation(
        self,
        name: str,
        number: int,
        *,
        kind: str,
        dataset: str,
        metrics: dict[str, Any],
        passed: bool,
        effective_at: datetime | str | None = None,
        reason: str | None = None,
        compared_to: int | None = None,
        parameters: dict[str, Any] | None = None,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
    ) -> Written:
        'Record validation evidence for the version, e.g. an A/B test against another version.'
        return self._write('record_validation', {'name': name, 'number': number}, {}, {'effective_at': effective_at, 'reason': reason, 'kind': kind, 'dataset': dataset, 'metrics': metrics, 'passed': passed, 'compared_to': compared_to, 'parameters': parameters}, if_match=if_match, idempotency_key=idempotency_key)

    def approve_release(
        self,
        name: str,
        number: int,
        *,
        effective_at: datetime | str | None = None,
        reason: str | None = None,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
    ) -> Written:
        "Approve the version's release (not by the person who registered it); `reason` is the comment."
        return self._write('approve_release', {'name': name, 'number': number}, {}, {'effective_at': effective_at, 'reason': reason}, if_match=if_match, idempotency_key=idempotency_key)

    def reject_release(
        self,
        name: str,
        number: int,
        *,
        effective_at: datetime | str | None = None,
        reason: str | None = None,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
    ) -> Written:
        "Reject the version's release, with a reason; a rejected version is never activated."
        return self._write('reject_release', {'name': name, 'number': number}, {}, {'effective_at': effective_at, 'reason': reason}, if_match=if_match, idempotency_key=idempotency_key)

    def sign_off(
        self,
        name: str,
        number: int,
        *,
        effective_at: datetime | str | None = None,
        reason: str | None = None,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
    ) -> Written:
        "A compliance officer's sign-off on the version."
        return self._write('sign_off', {'name': name, 'number': number}, {}, {'effective_at': effective_at, 'reason': reason}, if_match=if_match, idempotency_key=idempotency_key)

    def retire_version(
        self,
        name: str,
        number: int,
        *,
        effective_at: datetime | str | None = None,
        reason: str | None = None,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
    ) -> Written:
        'Retire the version for good, with a reason; it must not be active anywhere.'
        return self._write('retire_version', {'name': name, 'number': number}, {}, {'effective_at': effective_at, 'reason': reason}, if_match=if_match, idempotency_key=idempotency_key)

    def set_target(
        self,
        name: str,
        *,
        dimension: Literal['performance', 'accuracy', 'governance', 'cost'],
        metric: str,
        comparator: Literal['<', '<=', '>', '>='],
        threshold: float,
        effective_at: datetime | str | None = None,
        reason: str | None = None,
        window: str | None = None,
        severity: Literal['info', 'warning', 'critical'] | None = None,
        unit: str | None = None,
        hysteresis: float | None = None,
        min_duration_seconds: int | None = None,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
    ) -> Written:
        'Set or change a target on a dimension; approvals of the targets are withdrawn. `result`: revision.'
        return self._write('set_target', {'name': name}, {}, {'effective_at': effective_at, 'reason': reason, 'dimension': dimension, 'metric': metric, 'comparator': comparator, 'threshold': threshold, 'window': window, 'severity': severity, 'unit': unit, 'hysteresis': hysteresis, 'min_duration_seconds': min_duration_seconds}, if_match=if_match, idempotency_key=idempotency_key)

    def approve_targets(
        self,
        name: str,
        *,
        revision: int,
        effective_at: datetime | str | None = None,
        reason: str | None = None,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
    ) -> Written:
        'Approve the targets at the revision reviewed (a data scientist and a business owner).'
        return self._write('approve_targets', {'name': name}, {}, {'effective_at': effective_at, 'reason': reason, 'revision': revision}, if_match=if_match, idempotency_key=idempotency_key)

    def activate(
        self,
        name: str,
        *,
        version: int,
        environment: str,
        effective_at: datetime | str | None = None,
        reason: str | None = None,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
    ) -> Written:
        'Activate a version in an environment; 409 lists every unmet gate. Supersedes the active one.'
        return self._write('activate', {'name': name}, {}, {'effective_at': effective_at, 'reason': reason, 'version': version, 'environment': environment}, if_match=if_match, idempotency_key=idempotency_key)

    def deactivate(
        self,
        name: str,
        *,
        version: int,
        environment: str,
        effective_at: datetime | str | None = None,
        reason: str | None = None,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
    ) -> Written:
        'Deactivate the version active in an environment, with a reason.'
        return self._write('deactivate', {'name': name}, {}, {'effective_at': effective_at, 'reason': reason, 'version': version, 'environment': environment}, if_match=if_match, idempotency_key=idempotency_key)

    def roll_back(
        self,
        name: str,
        *,
        environment: str,
        to_version: int,
        effective_at: datetime | str | None = None,
        reason: str | None = None,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
    ) -> Written:
        'Roll an environment back to a version that served there, is approved and has no open bias flag.'
        return self._write('roll_back', {'name': name}, {}, {'effective_at': effective_at, 'reason': reason, 'environment': environment, 'to_version': to_version}, if_match=if_match, idempotency_key=idempotency_key)

    def open_breach(
        self,
        name: str,
        *,
        version: int,
        environment: str,
        dimension: Literal['performance', 'accuracy', 'governance', 'cost'],
        metric: str,
        observed_value: float,
        effective_at: datetime | str | None = None,
        reason: str | None = None,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
    ) -> Written:
        'Open a breach: a value that fails the target in force. `result` is the breach id.'
        return self._write('open_breach', {'name': name}, {}, {'effective_at': effective_at, 'reason': reason, 'version': version, 'environment': environment, 'dimension': dimension, 'metric': metric, 'observed_value': observed_value}, if_match=if_match, idempotency_key=idempotency_key)

    def close_breach(
        self,
        name: str,
        breach_id: str,
        *,
        observed_value: float,
        effective_at: datetime | str | None = None,
        reason: str | None = None,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
    ) -> Written:
        'Close a breach with a value that meets the target again.'
        return self._write('close_breach', {'name': name, 'breach_id': breach_id}, {}, {'effective_at': effective_at, 'reason': reason, 'observed_value': observed_value}, if_match=if_match, idempotency_key=idempotency_key)

    def raise_bias_flag(
        self,
        name: str,
        *,
        version: int,
        attribute: str,
        metric: str,
        value: float,
        threshold: float,
        effective_at: datetime | str | None = None,
        reason: str | None = None,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
    ) -> Written:
        'Raise a bias flag on a version; it blocks activation until resolved. `result` is the flag id.'
        return self._write('raise_bias_flag', {'name': name}, {}, {'effective_at': effective_at, 'reason': reason, 'version': version, 'attribute': attribute, 'metric': metric, 'value': value, 'threshold': threshold}, if_match=if_match, idempotency_key=idempotency_key)

    def resolve_bias_flag(
        self,
        name: str,
        flag_id: str,
        *,
        resolution: Literal['retrain', 'change_features', 'change_technique', 'accept_risk'],
        justification: str,
        effective_at: datetime | str | None = None,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
    ) -> Written:
        'Resolve a bias flag once, with a decision and a justification.'
        return self._write('resolve_bias_flag', {'name': name, 'flag_id': flag_id}, {}, {'effective_at': effective_at, 'resolution': resolution, 'justification': justification}, if_match=if_match, idempotency_key=idempotency_key)

    def report_cost(
        self,
        name: str,
        *,
        period: str,
        amount: Decimal | str,
        currency: str,
        business_unit: str,
        effective_at: datetime | str | None = None,
        reason: str | None = None,
        version: int | None = None,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
    ) -> Written:
        "Report a month's cost for a business unit (and optionally a version)."
        return self._write('report_cost', {'name': name}, {}, {'effective_at': effective_at, 'reason': reason, 'period': period, 'amount': amount, 'currency': currency, 'business_unit': business_unit, 'version': version}, if_match=if_match, idempotency_key=idempotency_key)

    def change_game_plan(
        self,
        name: str,
        *,
        game_plan: dict[str, Any],
        effective_at: datetime | str | None = None,
        reason: str | None = None,
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
    ) -> Written:
        'Replace the game plan: notification routes and automated responses to breaches; a route to a non-public host is refused unless MODELGOV_WEBHOOK_ALLOW_HOSTS names it.'
        return self._write('change_game_plan', {'name': name}, {}, {'effective_at': effective_at, 'reason': reason, 'game_plan': game_plan}, if_match=if_match, idempotency_key=idempotency_key)

    def list_models(
        self,
        *,
        risk_tier: Literal['low', 'medium', 'high', 'regulated'] | None = None,
        owner: str | None = None,
        status: Literal['draft', 'inactive', 'active'] | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Any:
        'List registered models from the catalog projection, filtered, a page at a time.'
        return self._read('list_models', {}, {'risk_tier': risk_tier, 'owner': owner, 'status': status, 'limit': limit, 'cursor': cursor})

    def iter_list_models(
        self,
        *,
        risk_tier: Literal['low', 'medium', 'high', 'regulated'] | None = None,
        owner: str | None = None,
        status: Literal['draft', 'inactive', 'active'] | None = None,
        limit: int | None = None,
    ) -> Iterator[Any]:
        'Every item of `list_models`, page after page.'
        return self._pages('list_models', {}, {'risk_tier': risk_tier, 'owner': owner, 'status': status, 'limit': limit})

    def get_model(
        self,
        name: str,
    ) -> Any:
        "A model's current state: versions and their gate status, targets, open findings; ETag = revision."
        return self._read('get_model', {'name': name}, {})

    def list_versions(
        self,
        name: str,
        *,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Any:
        "The model's versions in number order: status, where each is active, and its card's summary."
        return self._read('list_versions', {'name': name}, {'limit': limit, 'cursor': cursor})

    def iter_list_versions(
        self,
        name: str,
        *,
        limit: int | None = None,
    ) -> Iterator[Any]:
        'Every item of `list_versions`, page after page.'
        return self._pages('list_versions', {'name': name}, {'limit': limit})

    def get_version(
        self,
        name: str,
        number: int,
    ) -> Any:
        'One version: its model card, evidence, decisions, where it served, and its gate status.'
        return self._read('get_version', {'name': name, 'number': number}, {})

    def version_gate(
        self,
        name: str,
        number: int,
        *,
        environment: str,
    ) -> Any:
        "May the version be activated in the environment now? Every reason an activation would be refused (the policy's environments, a retired or rejected version, each unmet gate), judged by the rules an activation applies to the model as it stands; for a deploy job (`modelgov gate`)."
        return self._read('version_gate', {'name': name, 'number': number}, {'environment': environment})

    def post_metrics(
        self,
        name: str,
        *,
        observations: list[Any],
        if_match: str | int | None = None,
        idempotency_key: str | None = None,
    ) -> Written:
        'Post a batch of production figures (up to 10,000), judged against the targets in force. Stored at once, judged moments later by the evaluator: breaches open and close, and bias flags are raised from per-group figures, as lifecycle events attributed to the policy. A bad entry refuses the whole batch (422, naming the entry); nothing is stored then.'
        return self._write('post_metrics', {'name': name}, {}, {'observations': observations}, if_match=if_match, idempotency_key=idempotency_key)

    def read_game_plan(
        self,
        name: str,
    ) -> Any:
        'The game plan in force.'
        return self._read('read_game_plan', {'name': name}, {})

    def read_costs(
        self,
        name: str,
    ) -> Any:
        "Showback: cost per month and business unit, with the month's total and budget."
        return self._read('read_costs', {'name': name}, {})

    def read_deliveries(
        self,
        name: str,
        *,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Any:
        "The model's webhook deliveries, newest first, a page at a time: status, attempts and, for the roles that may change the game plan, how the last attempt failed (refused, timeout, TLS, HTTP 500, ...). The others do not get `last_error`: per URL, it would tell them which hosts and ports answer."
        return self._read('read_deliveries', {'name': name}, {'limit': limit, 'cursor': cursor})

    def iter_read_deliveries(
        self,
        name: str,
        *,
        limit: int | None = None,
    ) -> Iterator[Any]:
        'Every item of `read_deliveries`, page after page.'
        return self._pages('read_deliveries', {'name': name}, {'limit': limit})

    def model_events(
        self,
        name: str,
        *,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Any:
        "The model's lifecycle events in order, a page at a time: who, in which role, why, when."
        return self._read('model_events', {'name': name}, {'limit': limit, 'cursor': cursor})

    def iter_model_events(
        self,
        name: str,
        *,
        limit: int | None = None,
    ) -> Iterator[Any]:
        'Every item of `model_events`, page after page.'
        return self._pages('model_events', {'name': name}, {'limit': limit})

    def model_state_at(
        self,
        name: str,
        *,
        revision: int | None = None,
        at: datetime | str | None = None,
        known_at: datetime | str | None = None,
    ) -> Any:
        'Replay the model: as of a revision, as effective at a time, or as known at a time.'
        return self._read('model_state_at', {'name': name}, {'revision': revision, 'at': at, 'known_at': known_at})

    def event_feed(
        self,
        *,
        model: str | None = None,
        event: list[Any] | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Any:
        "Every model's events in commit order, for integrations. Page with `next_cursor` (null at the end of the log); poll for newer events later with `resume_cursor`. A filtered page may hold fewer than `limit` events (a page looks at 5,000 positions at most): only a null `next_cursor` means the end."
        return self._read('event_feed', {}, {'model': model, 'event': event, 'limit': limit, 'cursor': cursor})

    def iter_event_feed(
        self,
        *,
        model: str | None = None,
        event: list[Any] | None = None,
        limit: int | None = None,
    ) -> Iterator[Any]:
        'Every item of `event_feed`, page after page.'
        return self._pages('event_feed', {}, {'model': model, 'event': event, 'limit': limit})

    def model_diff(
        self,
        name: str,
        *,
        from_: str,
        to: str | None = None,
    ) -> Any:
        'What changed between two points (versions, targets, approvals, activations, flags, breaches).'
        return self._read('model_diff', {'name': name}, {'from': from_, 'to': to})

    def latest_head(
        self,
    ) -> Any:
        'The latest signed tree head; `signed_text` is exactly what the Ed25519 signature covers.'
        return self._read('latest_head', {}, {})

    def inclusion(
        self,
        *,
        position: int | None = None,
        model: str | None = None,
        revision: int | None = None,
        tree_size: int | None = None,
    ) -> Any:
        'An inclusion proof for one event, by ledger position or by model and revision. `record` is the event as stored (state in base64, encrypted): hash it as the ledger does (see application/ledger/records.py) to check `leaf_hash` yourself; null if it is gone.'
        return self._read('inclusion', {}, {'position': position, 'model': model, 'revision': revision, 'tree_size': tree_size})

    def consistency(
        self,
        *,
        old_size: int,
        new_size: int | None = None,
    ) -> Any:
        'A consistency proof: the log at size `from` is a prefix of the signed log at `to` (default latest).'
        return self._read('consistency', {}, {'from': old_size, 'to': new_size})

    def public_keys(
        self,
    ) -> Any:
        'Every public key that ever signed a head, by key id (PEM).'
        return self._read('public_keys', {}, {})

    def portfolio_compliance(
        self,
    ) -> Any:
        "Every model's open findings under its current policy, the worst models first (the roles that may read the portfolio report: the same data, one rule)."
        return self._read('portfolio_compliance', {}, {})

    def model_exposure(
        self,
        name: str,
    ) -> Any:
        'For each bias flag and breach: how long its version served, per environment, while it was open.'
        return self._read('model_exposure', {'name': name}, {})

    def model_usage(
        self,
        name: str,
        *,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Any:
        'Every interval a version served in an environment, in time order, with who began and ended it (`ended_at` null while it still serves).'
        return self._read('model_usage', {'name': name}, {'limit': limit, 'cursor': cursor})

    def iter_model_usage(
        self,
        name: str,
        *,
        limit: int | None = None,
    ) -> Iterator[Any]:
        'Every item of `model_usage`, page after page.'
        return self._pages('model_usage', {'name': name}, {'limit': limit})

    def model_audit_report(
        self,
        name: str,
        *,
        format: Literal['html', 'pdf', 'json'] | None = None,
        as_of_head: int | None = None,
    ) -> Any:
        "A model's audit report: cards, approvals, gates, usage, targets, breaches, flags, costs, timeline."
        return self._read('model_audit_report', {'name': name}, {'format': format, 'as_of_head': as_of_head})

    def portfolio_compliance_report(
        self,
        *,
        format: Literal['html', 'pdf', 'json'] | None = None,
        as_of_head: int | None = None,
    ) -> Any:
        "Every model's status, active versions, open findings and exposure, the worst first."
        return self._read('portfolio_compliance_report', {}, {'format': format, 'as_of_head': as_of_head})

    def change_report(
        self,
        *,
        since: datetime | str,
        until: datetime | str,
        format: Literal['html', 'pdf', 'json'] | None = None,
        as_of_head: int | None = None,
    ) -> Any:
        'Every lifecycle event that took effect in the period, grouped by model, with its actors.'
        return self._read('change_report', {}, {'since': since, 'until': until, 'format': format, 'as_of_head': as_of_head})

    def admission_check(
        self,
        *,
        artifact_sha256: str,
        environment: str,
    ) -> Any:
        "Allowed iff the artifact is the card's artifact of the version active in the environment now, and that version is approved (its approval gates met, not retired or rejected, no open bias flag). Denied with the reason otherwise: unknown artifact, not active there, or no longer approved. Always 200 when asked well: the answer is `allowed`."
        return self._read('admission_check', {}, {'artifact_sha256': artifact_sha256, 'environment': environment})

    def healthz(
        self,
    ) -> Any:
        'The process is up.'
        return self._read('healthz', {}, {})

    def readyz(
        self,
    ) -> Any:
        '200 when the event store answers a query and takes a small write, 503 otherwise; says how the ledger sealer is doing.'
        return self._read('readyz', {}, {})
