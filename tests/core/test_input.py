"""No input may hold control characters or lone surrogates (eplus.core.input): what is refused, what passes."""

import pytest

from eplus.core.input import first_forbidden, forbidden_character, parse_id


@pytest.mark.parametrize("text, found", [("a\x00b", "U+0000"), ("\x08", "U+0008"), ("x\x0b", "U+000B"),
                                          ("\x1f", "U+001F"), ("\x7f", "U+007F"), ("\ud800", "U+D800")])
def test_control_characters_and_lone_surrogates_are_found(text, found):
    assert forbidden_character(text) == found


@pytest.mark.parametrize("text", ["tab\tline\nreturn\r", "Rīga ‮RTL‬ \ufeffBOM", "😀", ""])
def test_text_tabs_line_breaks_and_other_unicode_pass(text):
    assert forbidden_character(text) is None


def test_json_is_searched_through_keys_values_and_lists():
    assert first_forbidden([("body", {"items": [{"amount": "1", "title": "ok"}, {"title": "bad\x00"}]})]) == (
        "title", "U+0000")
    assert first_forbidden([("body", {"bad\x01key": 1})]) == ("bad\x01key", "U+0001")
    assert first_forbidden([("q", "fine"), ("page", ["1", "2"]), ("n", 5), ("none", None)]) is None


@pytest.mark.parametrize("value, parsed", [("12", 12), (" 7 ", 7), ("0", 0), ("9" * 18, int("9" * 18)),
                                           ("9" * 19, None), ("²³", None), ("-1", None), ("1e3", None),
                                           ("", None), (None, None), ("12; DROP", None), (12, None)])
def test_a_posted_id_is_an_ascii_number_in_bigint_range_or_none(value, parsed):
    assert parse_id(value) == parsed
