"""A command's declared bounds (domain/fields.py markers) are the ones the domain holds it to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import pytest

from domain.declared import require_declared
from domain.errors import InvalidValueError
from domain.external_commands import RecordExternalAlias, RecordExternalTag
from domain.fields import Doc, Entries, Text


def _tag(**fields: object) -> RecordExternalTag:
    return RecordExternalTag(
        **{"name": "churn", "source": "mlflow", "key": "team", "value": "risk"} | fields
    )  # type: ignore[arg-type]


def test_the_fields_asked_for_come_back_in_order_when_they_hold() -> None:
    assert require_declared(_tag(), "source", "key", "value") == ("mlflow", "team", "risk")
    assert require_declared(_tag(value=""), "value") == ("",)  # Text(min=0): may be empty
    assert require_declared(_tag(key="k" * 250), "key") == ("k" * 250,)


@pytest.mark.parametrize(
    ("fields", "name", "message"),
    [
        ({"source": "sagemaker"}, "source", "source: must be one of mlflow; got 'sagemaker'"),
        ({"key": "k" * 251}, "key", "key: must be at most 250 characters"),
        ({"key": "   "}, "key", "key: must be a non-empty text"),
        ({"value": "v" * 5001}, "value", "value: must be a text of at most 5000 characters"),
        ({"value": 7}, "value", "value: must be a text of at most 5000 characters"),
    ],
)
def test_a_field_outside_its_declared_bounds_is_refused_by_name(
    fields: dict[str, object], name: str, message: str
) -> None:
    with pytest.raises(InvalidValueError) as refused:
        require_declared(_tag(**fields), name)
    assert (refused.value.field, str(refused.value)) == (name, message)


@dataclass(frozen=True, kw_only=True)
class _ShortKeyTag(RecordExternalTag):
    key: Annotated[str, Text(max=5, min=2)]
    note: Annotated[str | None, Text(max=10), Doc("said once")] = None
    plain: str = ""
    sized: Annotated[list[str], Entries(max=2)] = field(default_factory=list)


def test_each_class_is_held_to_its_own_declaration() -> None:
    six = "k" * 6
    base, short = _tag(key=six), _ShortKeyTag(name="churn", source="mlflow", key=six, value="v")
    assert require_declared(base, "key") == (six,)  # read first: a cache by field name would fail
    with pytest.raises(InvalidValueError, match="key: must be at most 5 characters"):
        require_declared(short, "key")
    assert require_declared(base, "key") == (six,)
    alias = RecordExternalAlias(name="churn", source="mlflow", alias="a" * 256)
    with pytest.raises(InvalidValueError, match="alias: must be at most 255 characters"):
        require_declared(alias, "alias")


def test_none_passes_only_where_the_type_allows_it_and_a_minimum_holds() -> None:
    tag = _ShortKeyTag(name="churn", source="mlflow", key="ab", value="v")
    assert require_declared(tag, "note") == (None,)
    with pytest.raises(InvalidValueError, match="key: must be a non-empty text"):
        require_declared(_ShortKeyTag(name="churn", source="mlflow", key=None, value="v"), "key")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="key: must be at least 2 characters"):
        require_declared(_ShortKeyTag(name="churn", source="mlflow", key="a", value="v"), "key")


def test_a_field_with_no_bound_or_one_not_held_here_is_a_programming_error() -> None:
    tag = _ShortKeyTag(name="churn", source="mlflow", key="ab", value="v")
    with pytest.raises(TypeError, match="plain declares no bounds"):
        require_declared(tag, "plain")
    with pytest.raises(TypeError, match="does not hold a field to Entries"):
        require_declared(tag, "sized")
