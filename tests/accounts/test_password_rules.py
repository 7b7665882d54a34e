import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from eplus.accounts.models import User
from eplus.accounts.password_validation import EplusPasswordValidator, character_classes, password_problems


def codes(password, email="", **limits):
    return [code for code, _ in password_problems(password, email, **limits)]


def test_each_rule_separately():
    assert codes("Kalns-Upe-2026", "anna@x.example") == []
    assert codes("Ka-2026", "anna@x.example") == ["password_too_short"]
    assert codes("kalnsupekalns", "anna@x.example") == ["password_too_simple"]
    assert codes("Anna-Upe-2026", "anna@x.example") == ["password_contains_email_name"]
    assert codes("anna", "anna@x.example") == [
        "password_too_short", "password_too_simple", "password_contains_email_name"]


def test_limits_are_configurable():
    assert codes("Kalns-Upe-2026", min_length=16) == ["password_too_short"]
    assert codes("kalnsupe2026", min_classes=2) == []
    assert codes("kalnsupe2026", min_classes=3) == ["password_too_simple"]


def test_short_email_names_are_not_enforced():
    assert codes("Jo-Kalns-2026", "jo@x.example") == []


def test_validator_raises_one_error_per_rule():
    validator = EplusPasswordValidator(min_length=10, min_classes=3)
    with pytest.raises(ValidationError) as exc:
        validator.validate("anna", User(email="anna@x.example"))
    assert [e.code for e in exc.value.error_list] == [
        "password_too_short", "password_too_simple", "password_contains_email_name"]
    assert len(exc.value.messages) == 3
    validator.validate("Kalns-Upe-2026", User(email="anna@x.example"))
    assert "10" in validator.get_help_text()


@given(st.text(min_size=0, max_size=30))
def test_rules_match_their_definition(password):
    found = codes(password, "someone@x.example")
    assert ("password_too_short" in found) == (len(password) < 10)
    assert ("password_too_simple" in found) == (len(character_classes(password)) < 3)
    assert ("password_contains_email_name" in found) == ("someone" in password.lower())
