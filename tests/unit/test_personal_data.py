"""Sealing personal values in read models: deterministic, keyed by the data key, never misread."""

from __future__ import annotations

import pytest

from application.projections.personal import Personal
from infrastructure.db.personal_data import PersonalDataCipher
from infrastructure.errors import ReadModelUnreadableError
from tests.conftest import TEST_KEY

OTHER_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="


def test_the_same_value_seals_to_the_same_text_and_opens_to_the_value() -> None:
    cipher = PersonalDataCipher(TEST_KEY)
    sealed = cipher.seal("ann.lee@bank.example")
    assert sealed == PersonalDataCipher(TEST_KEY).seal("ann.lee@bank.example")
    assert "ann.lee" not in sealed and sealed != cipher.seal("ann.lee@bank.exampl")
    assert cipher.open(sealed) == "ann.lee@bank.example"
    assert cipher.open(cipher.seal("")) == ""


def test_only_personal_parameters_are_sealed() -> None:
    cipher = PersonalDataCipher(TEST_KEY)
    plain = ("churn", 3, None)
    assert cipher.seal_parameters(plain) is plain
    name, sealed, version = cipher.seal_parameters(("churn", Personal("Ann Lee"), 3))
    assert (name, cipher.open(sealed), version) == ("churn", "Ann Lee", 3)


def test_a_value_sealed_under_another_key_or_not_sealed_is_refused_with_what_to_do() -> None:
    sealed = PersonalDataCipher(OTHER_KEY).seal("Ann Lee")
    assert sealed != PersonalDataCipher(TEST_KEY).seal("Ann Lee")
    with pytest.raises(ReadModelUnreadableError, match=r"another data key.*projections rebuild"):
        PersonalDataCipher(TEST_KEY).open(sealed)
    with pytest.raises(ReadModelUnreadableError, match=r"plain text.*projections rebuild"):
        PersonalDataCipher(TEST_KEY).open("Ann Lee")
