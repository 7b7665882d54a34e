"""Verdict semantics: what makes an application ineligible, what is only reported."""

from datetime import date, datetime, timezone
from decimal import Decimal

from eplus.programme.rules import Application, CallRules, WorkPackage, evaluate, rule_ids
from eplus.programme.rules.model import CountryInfo

from .calls import COUNTRIES, KA210_VET, KA220_VET, call, ka210_application, ka220_application, org
from .helpers import check, run

KA220 = call(KA220_VET)


def test_absent_inputs_are_reported_as_not_evaluated_and_do_not_block():
    verdict = run(Application(action="KA220-VET"), KA220)
    assert verdict.eligible is True
    assert verdict.checks and all(c.passed is None for c in verdict.checks)
    assert all(c.message for c in verdict.checks)


def test_one_failed_error_makes_it_ineligible_a_failed_warning_does_not():
    failing = run(ka220_application(duration_months=37), KA220)
    assert failing.eligible is False
    assert [c.rule for c in failing.errors] == ["duration.range"]
    wps = ka220_application().work_packages[:1] + tuple(WorkPackage(n, False, Decimal("40000")) for n in range(2, 7))
    warned = run(ka220_application(work_packages=wps), KA220)
    assert warned.eligible is True and [c.rule for c in warned.warnings] == ["wp.count-recommended"]


def test_check_order_follows_the_registry_and_only_rules_that_apply():
    ids = [c.rule for c in run(ka220_application(), KA220).checks]
    registry = rule_ids()
    assert ids == [r for r in registry if r in ids]
    assert "activities.sum" not in ids and "wp.sum" in ids
    assert "limits.applicant-once-per-round" not in ids  # KA220 has no such limit


def test_api_shape_and_field_hints():
    verdict = run(ka220_application(lump_sum=Decimal("1")), KA220)
    data = verdict.as_dict()
    assert data["eligible"] is False
    assert set(data["checks"][0]) == {"rule", "severity", "passed", "message", "source"}
    assert [c.rule for c in verdict.for_field("lump_sum")] == ["lump-sum.allowed"]
    assert {c.rule for c in verdict.for_section("work-packages")} >= {"wp.sum", "wp.management-cap"}


def test_countries_may_be_given_as_a_dict():
    countries = {c.code: c for c in COUNTRIES}
    assert evaluate(ka220_application(), KA220, countries, ()).as_dict() == \
        evaluate(ka220_application(), KA220, COUNTRIES, ()).as_dict()


def test_the_data_drives_the_rules():
    # a country's status comes from the reference data: if UA became associated it would count
    countries = [c for c in COUNTRIES if c.code != "UA"] + [CountryInfo("UA", "associated")]
    app = ka220_application(organisations=(
        org("A", "LV", "applicant", established_on=date(2001, 5, 4)), org("B", "LT"), org("C", "UA")))
    assert check(evaluate(app, KA220, countries), "composition.minimum").passed is True
    assert check(run(app, KA220), "composition.minimum").passed is False
    # a call with a lower minimum
    assert check(run(app, call(KA220_VET, min_countries=2, min_organisations=2)), "composition.minimum").passed


def test_from_dict_rejects_unknown_keys_and_accepts_typed_values():
    import pytest

    with pytest.raises(ValueError, match="lump_sums"):
        CallRules.from_dict({**KA210_VET, "lump_sums": ["1"]})
    rules = CallRules.from_dict(KA210_VET)
    assert rules.lump_sum_options == (Decimal("30000.00"), Decimal("60000.00"))
    assert rules.deadline.astimezone(timezone.utc) == datetime(2026, 3, 5, 11, tzinfo=timezone.utc)
    assert rules.action_type == "KA210-VET"
    assert CallRules.from_dict({**KA210_VET, "deadline": rules.deadline}) == rules


def test_messages_go_through_gettext_at_evaluation_time(monkeypatch):
    from eplus.programme.rules import checks_project

    monkeypatch.setattr(checks_project, "_", lambda text: "[lv] " + text)
    message = check(run(ka210_application(duration_months=40), call(KA210_VET)), "duration.range").message
    assert message == "[lv] The project must last between 6 and 24 months; you chose 40."


def test_roles_and_types_are_named_in_words():
    app = ka210_application(organisations=ka210_application().organisations + (org("C", "UA", "associated-partner"),))
    assert "as associated partner" in check(run(app, call(KA210_VET)), "composition.third-countries").message
