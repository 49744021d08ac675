"""A command's declared bounds (domain/fields.py markers) are the ones the domain holds it to."""

from __future__ import annotations

import pytest

from domain.errors import InvalidValueError
from domain.external_commands import RecordExternalAlias, RecordExternalTag
from domain.values import require_declared


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


def test_each_command_reads_its_own_declaration() -> None:
    alias = RecordExternalAlias(name="churn", source="mlflow", alias="a" * 256)
    with pytest.raises(InvalidValueError, match="alias: must be at most 255 characters"):
        require_declared(alias, "alias")
