"""A problem type has one title, whichever layer refuses (RFC 9457: the title belongs to the type)."""

import importlib
import json
import pkgutil
from collections import defaultdict

import application
import domain
import infrastructure
from domain.errors import CodedError, RoleNotAllowedError
from infrastructure.api.problems import problem_for
from infrastructure.errors import RoleForbiddenError


def _every_coded_error() -> set[type[CodedError]]:
    for package in (domain, application, infrastructure):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(module.name)
    found: set[type[CodedError]] = set()
    pending = [CodedError]
    while pending:
        for subclass in pending.pop().__subclasses__():
            found.add(subclass)
            pending.append(subclass)
    return found


def test_each_problem_type_has_one_title() -> None:
    titles: dict[str, dict[str, str]] = defaultdict(dict)
    for error in _every_coded_error():
        first_line = (error.__doc__ or error.__name__).strip().splitlines()[0].rstrip(".")
        titles[error.code][error.__name__] = first_line
    assert len(titles) > 50, "the walk found too few error classes to mean anything"
    clashing = {code: names for code, names in titles.items() if len(set(names.values())) > 1}
    assert clashing == {}


def test_the_role_refusal_reads_the_same_from_the_route_and_from_the_domain() -> None:
    route = problem_for(RoleForbiddenError("viewer tokens may not record events"))
    rule = problem_for(RoleNotAllowedError("viewer may not approve"))
    assert route.status_code == rule.status_code == 403
    route_body, rule_body = json.loads(route.body), json.loads(rule.body)
    assert route_body["type"] == rule_body["type"]
    assert (
        route_body["title"]
        == rule_body["title"]
        == ("The principal's role is not allowed to perform this action")
    )
