import pytest
from django.core.exceptions import ValidationError

from eplus.organisations import validators as v


@pytest.mark.parametrize("value,country,expected", [
    ("LV40003245752", "LV", "LV40003245752"),
    ("40003245752", "LV", "LV40003245752"),  # prefix added
    ("lv 4000 324 5752", "LV", "LV40003245752"),
    ("LT100001919017", "LT", "LT100001919017"),
    ("EE100931558", "EE", "EE100931558"),
    ("DE136695976", "DE", "DE136695976"),
    ("", "LV", ""),
])
def test_valid_vat_numbers(value, country, expected):
    assert v.validate_vat_number(value, country) == expected


@pytest.mark.parametrize("value,country", [
    ("LV12345678901", "LV"),  # checksum fails
    ("LV4000324575", "LV"),  # one digit short
    ("LT100001919018", "LT"),
    ("EE100931559", "EE"),
    ("DE136695977", "DE"),
    ("DE13669597", "DE"),
    ("LT100001919017", "LV"),  # another country's number
])
def test_invalid_vat_numbers(value, country):
    with pytest.raises(ValidationError) as exc:
        v.validate_vat_number(value, country)
    assert exc.value.messages[0]  # a message for the user


def test_vat_message_names_the_problem():
    with pytest.raises(ValidationError) as exc:
        v.validate_vat_number("LV40003245753", "LV")
    assert "check digit" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        v.validate_vat_number("LV12345678901", "LV")
    assert "typing mistake" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        v.validate_vat_number("LT100001919017", "LV")
    assert "LV" in exc.value.messages[0]


def test_vat_without_stdnum_module_only_checks_shape():
    assert v.validate_vat_number("RS 123-456", "RS") == "RS123456"
    with pytest.raises(ValidationError):
        v.validate_vat_number("<script>", "RS")


@pytest.mark.parametrize("value,country,expected", [
    ("40003245752", "LV", "40003245752"),
    ("4000 3245 752", "LV", "40003245752"),
    ("10137319", "EE", "10137319"),
    ("12345", "LT", "12345"),  # no stdnum module for Lithuanian company codes: shape only
    ("HRB 12345", "DE", "HRB12345"),
])
def test_valid_registration_numbers(value, country, expected):
    assert v.validate_registration_number(value, country) == expected


@pytest.mark.parametrize("value,country", [
    ("40003245753", "LV"),  # checksum
    ("4000324575", "LV"),  # length
    ("10137318", "EE"),
    ("1013731", "EE"),
    ("", "LV"),
    ("ab$%", "LT"),
])
def test_invalid_registration_numbers(value, country):
    with pytest.raises(ValidationError):
        v.validate_registration_number(value, country)


@pytest.mark.parametrize("value,country,expected", [
    ("LV-1050", "LV", "LV-1050"),
    ("lv-1050", "LV", "LV-1050"),
    ("1050", "LV", "LV-1050"),
    ("LV 1050", "LV", "LV-1050"),
    ("LT-01100", "LT", "LT-01100"),
    ("10111", "EE", "10111"),
    ("10115", "DE", "10115"),
    ("SW1A 1AA", "GB", "SW1A 1AA"),  # unknown country: shape only
])
def test_valid_postcodes(value, country, expected):
    assert v.validate_postcode(value, country) == expected


@pytest.mark.parametrize("value,country", [
    ("LV-123", "LV"), ("LV-12345", "LV"), ("LT-1234", "LT"), ("1011", "EE"), ("101155", "DE"), ("", "LV"),
    ("LV-ABCD", "LV"),
])
def test_invalid_postcodes(value, country):
    with pytest.raises(ValidationError) as exc:
        v.validate_postcode(value, country)
    if value:
        assert "for example" in exc.value.messages[0]


@pytest.mark.parametrize("value,expected", [
    ("https://www.example.org", "https://www.example.org"),
    ("www.example.org", "https://www.example.org"),
    ("http://example.lv/path?x=1", "http://example.lv/path?x=1"),
    ("", ""),
])
def test_valid_websites(value, expected):
    assert v.validate_website(value) == expected


@pytest.mark.parametrize("value", ["not a url", "ftp://example.org", "https://", "javascript:alert(1)", "http://exa mple.org"])
def test_invalid_websites(value):
    with pytest.raises(ValidationError):
        v.validate_website(value)


from hypothesis import given, settings as hsettings, strategies as st  # noqa: E402


@hsettings(max_examples=200, deadline=None)
@given(text=st.text(max_size=30), country=st.sampled_from(["LV", "LT", "EE", "DE", "NO", "RS", "GR", ""]))
def test_validators_only_ever_raise_validation_errors(text, country):
    for check in (v.validate_vat_number, v.validate_registration_number, v.validate_postcode):
        try:
            check(text, country)
        except ValidationError as exc:
            assert exc.messages
    try:
        v.validate_website(text)
    except ValidationError as exc:
        assert exc.messages
