"""The public pre-check API's payload: every bad field named, never an exception."""

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eplus.programme.rules import evaluate, parse_request

from .calls import COUNTRIES, KA220_VET, call
from .helpers import check

EXAMPLE = {
    "action": "KA220-VET", "call_year": 2026, "round": 1, "lump_sum": "250000", "start_date": "2026-09-01",
    "duration_months": 24, "submitted_at": "2026-03-05T10:59:59Z",
    "organisations": [
        {"ref": "A", "country": "LV", "role": "applicant", "type": "school-authority", "established_on": "2001-05-04"},
        {"ref": "B", "country": "LT", "role": "partner"},
        {"ref": "C", "country": "UA", "role": "associated-partner"},
    ],
    "work_packages": [{"number": 1, "management": True, "amount": "50000"}, {"number": 2, "amount": "200000"}],
    "activities": [{"amount": "30000"}],
    "priorities": ["digital-transformation"], "topics": ["digital skills"],
}


def test_the_issue_example_parses_and_is_evaluated():
    app, errors = parse_request(EXAMPLE)
    assert errors == {}
    assert app.lump_sum == Decimal("250000.00") and app.start_date == date(2026, 9, 1)
    assert app.submitted_at == datetime(2026, 3, 5, 10, 59, 59, tzinfo=timezone.utc)
    assert [o.role for o in app.organisations] == ["applicant", "partner", "associated-partner"]
    assert app.work_packages[0].management is True and app.work_packages[1].management is False
    verdict = evaluate(app, call(KA220_VET), COUNTRIES)
    # LV + LT only: the associated partner from UA does not count
    assert verdict.eligible is False
    assert check(verdict, "composition.minimum").passed is False
    assert check(verdict, "deadline.on-time").passed is True
    assert check(verdict, "wp.management-cap").passed is True


def test_absent_fields_stay_absent():
    app, errors = parse_request({"action": "KA210-VET"})
    assert errors == {} and app.organisations is None and app.lump_sum is None and app.submitted_at is None


@pytest.mark.parametrize("patch, field", [
    ({"action": "ka220 vet"}, "action"),
    ({"action": None}, "action"),
    ({"lump_sum": "-1"}, "lump_sum"),
    ({"lump_sum": "lots"}, "lump_sum"),
    ({"lump_sum": "1.001"}, "lump_sum"),
    ({"lump_sum": True}, "lump_sum"),
    ({"lump_sum": "NaN"}, "lump_sum"),
    ({"lump_sum": 1e26}, "lump_sum"),
    ({"lump_sum": "1e-30"}, "lump_sum"),
    ({"start_date": "2026-02-30"}, "start_date"),
    ({"start_date": "01.09.2026"}, "start_date"),
    ({"submitted_at": "2026-03-05T10:59:59"}, "submitted_at"),
    ({"submitted_at": "yesterday"}, "submitted_at"),
    ({"duration_months": -3}, "duration_months"),
    ({"duration_months": "24"}, "duration_months"),
    ({"call_year": 26.5}, "call_year"),
    ({"round": 0}, "round"),
    ({"organisations": "A,B"}, "organisations"),
    ({"priorities": [1]}, "priorities"),
    ({"topics": "x"}, "topics"),
    ({"colour": "blue"}, "colour"),
    ({"work_packages": [{"number": 1, "amount": "-5"}]}, "work_packages[0].amount"),
    ({"work_packages": [{"number": 1, "management": "yes", "amount": "5"}]}, "work_packages[0].management"),
    ({"work_packages": [{"amount": "5"}]}, "work_packages[0].number"),
    ({"work_packages": [{"number": 1}, {"number": 1}]}, "work_packages[1].number"),
    ({"activities": [{"amount": "-0.01"}]}, "activities[0].amount"),
    ({"activities": [5]}, "activities[0]"),
])
def test_each_bad_field_is_named(patch, field):
    app, errors = parse_request({**EXAMPLE, **patch})
    assert app is None
    assert field in errors and errors[field]


def test_bad_organisations_are_named_one_by_one():
    orgs = [
        {"ref": "A", "country": "Latvia", "role": "applicant"},
        {"ref": "B", "country": "LT", "role": "coordinator", "type": "university"},
        {"ref": "A", "country": "EE", "role": "partner", "established_on": "2001/05/04", "oid": "12345"},
        {"country": "EE", "role": "partner", "size": 3},
        "D",
    ]
    app, errors = parse_request({**EXAMPLE, "organisations": orgs})
    assert app is None
    assert set(errors) == {
        "organisations[0].country", "organisations[1].role", "organisations[1].type",
        "organisations[2].established_on", "organisations[2].oid", "organisations[3].ref",
        "organisations[3].size", "organisations[4]",
    }
    dup, _ = parse_request({**EXAMPLE, "organisations": [orgs[0] | {"country": "LV"}, {"ref": "A", "country": "EE",
                                                                                        "role": "partner"}]})
    assert dup is None and "organisations[1].ref" in _


def test_known_actions_and_countries():
    _, errors = parse_request(EXAMPLE, known_actions={"KA210-VET"}, known_countries={c.code for c in COUNTRIES})
    assert list(errors) == ["action"] and "KA210-VET" in errors["action"]
    _, errors = parse_request({**EXAMPLE, "organisations": [{"ref": "A", "country": "QQ", "role": "applicant"}]},
                              known_countries={c.code for c in COUNTRIES})
    assert list(errors) == ["organisations[0].country"]


@pytest.mark.parametrize("written, amount", [("0.10", "0.10"), ("1E+2", "100.00"), ("-0", "0.00"), ("0.000", "0.00"),
                                             ("250 000", None), ("250000.000", "250000.00"), (250000, "250000.00")])
def test_amount_spellings(written, amount):
    app, errors = parse_request({"action": "KA210-VET", "lump_sum": written})
    if amount is None:
        assert "lump_sum" in errors
    else:
        assert errors == {} and str(app.lump_sum) == amount


def test_not_an_object():
    assert parse_request(["action"]) == (None, {"body": parse_request(None)[1]["body"]})


def test_json_float_amounts_keep_their_written_value():
    app, errors = parse_request({**EXAMPLE, "lump_sum": 250000.0, "work_packages": [{"number": 1, "amount": 0.1}]})
    assert errors == {} and app.lump_sum == Decimal("250000.00") and app.work_packages[0].amount == Decimal("0.10")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({}, optional={k: JSON for k in EXAMPLE}) | JSON)
def test_any_json_gives_an_application_or_named_errors_never_an_exception(payload):
    app, errors = parse_request(payload)
    assert (app is None) == bool(errors)
    if app is not None:
        evaluate(app, call(KA220_VET), COUNTRIES, ())  # and the engine takes whatever the parser accepts
