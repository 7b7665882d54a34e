"""Every rule at its boundaries, with the 2026 figures of DOMAIN §4–5."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from eplus.programme.rules import Activity, WorkPackage

from .calls import (
    KA210_VET, KA210_VET_ROUND2, KA220_HED, KA220_VET, KA240_SCH, call, ka210_application, ka220_application,
    org, other,
)
from .helpers import check, passed, run

KA210 = call(KA210_VET)
KA220 = call(KA220_VET)


def wps(management, *others):
    return (WorkPackage(1, True, Decimal(management)),) + tuple(
        WorkPackage(i + 2, False, Decimal(a)) for i, a in enumerate(others))


def test_the_fixture_applications_are_eligible():
    for app, rules in ((ka210_application(), KA210), (ka220_application(), KA220)):
        verdict = run(app, rules, others=())
        assert verdict.eligible, [c for c in verdict.checks if c.passed is False]
        assert all(c.passed is True for c in verdict.checks if c.rule != "deadline.on-time")


# ---------------------------------------------------------------- lump sums


@pytest.mark.parametrize("amount, ok", [("30000", True), ("60000", True), ("45000", False),
                                        ("29999.99", False), ("60000.01", False), ("0", False)])
def test_ka210_lump_sum(amount, ok):
    app = ka210_application(lump_sum=Decimal(amount), activities=(Activity(Decimal(amount)),))
    assert passed(app, KA210, "lump-sum.allowed") is ok


@pytest.mark.parametrize("amount, ok", [("120000", True), ("250000", True), ("400000", True),
                                        ("200000", False), ("60000", False), ("400000.01", False)])
def test_ka220_lump_sum(amount, ok):
    assert passed(ka220_application(lump_sum=Decimal(amount)), KA220, "lump-sum.allowed") is ok


def test_lump_sum_message_tells_what_to_choose():
    result = check(run(ka220_application(lump_sum=Decimal("200000")), KA220), "lump-sum.allowed")
    assert result.message == ("The lump sum must be one of 120\u202f000, 250\u202f000 or 400\u202f000 EUR; "
                              "you chose 200\u202f000 EUR.")
    assert result.severity == "error" and result.source


def test_lump_sum_up_to_a_maximum():
    forward_looking = call(KA220_VET, lump_sum_options=[], lump_sum_max="800000")
    assert passed(ka220_application(lump_sum=Decimal("800000.00")), forward_looking, "lump-sum.allowed") is True
    assert passed(ka220_application(lump_sum=Decimal("800000.01")), forward_looking, "lump-sum.allowed") is False
    assert passed(ka220_application(lump_sum=Decimal("0.00")), forward_looking, "lump-sum.allowed") is False


# ---------------------------------------------------------------- durations (inclusive)


@pytest.mark.parametrize("months, ok", [(6, True), (24, True), (5, False), (25, False)])
def test_ka210_duration(months, ok):
    assert passed(ka210_application(duration_months=months), KA210, "duration.range") is ok


@pytest.mark.parametrize("months, ok", [(12, True), (36, True), (11, False), (37, False)])
def test_ka220_duration(months, ok):
    assert passed(ka220_application(duration_months=months), KA220, "duration.range") is ok


def test_ka240_duration_is_exactly_36_months():
    ka240 = call(KA240_SCH)
    assert passed(ka220_application(duration_months=36), ka240, "duration.range") is True
    result = check(run(ka220_application(duration_months=35), ka240), "duration.range")
    assert result.passed is False and "exactly 36 months" in result.message


# ---------------------------------------------------------------- composition


def test_ka220_third_country_partner_does_not_count_towards_the_minimum():
    app = ka220_application(organisations=(
        org("A", "LV", "applicant", established_on=date(2001, 5, 4)), org("B", "LT"), org("C", "UA")))
    verdict = run(app, KA220)
    assert check(verdict, "composition.minimum").passed is False
    assert "2 from 2 (Latvia and Lithuania)" in check(verdict, "composition.minimum").message
    assert check(verdict, "composition.third-countries").passed is True  # UA (region 2) may be a partner
    assert not verdict.eligible


def test_ka220_with_a_fourth_programme_country_and_a_region_2_partner_passes():
    app = ka220_application(organisations=(
        org("A", "LV", "applicant", established_on=date(2001, 5, 4)), org("B", "LT"), org("C", "EE"),
        org("D", "UA")))
    verdict = run(app, KA220)
    assert check(verdict, "composition.minimum").passed is True
    assert check(verdict, "composition.third-countries").passed is True


def test_belarus_never_takes_part():
    for role in ("partner", "associated-partner"):
        app = ka220_application(organisations=ka220_application().organisations + (org("D", "BY", role),))
        result = check(run(app, KA220), "composition.excluded-countries")
        assert result.passed is False and "Belarus" in result.message and "D (BY)" in result.message


def test_region_4_partner_is_not_allowed_in_ka220():
    app = ka220_application(organisations=ka220_application().organisations + (org("D", "RU"),))
    result = check(run(app, KA220), "composition.third-countries")
    assert result.passed is False and "region 4" in result.message


def test_third_country_cannot_be_the_applicant():
    app = ka220_application(organisations=(
        org("A", "UA", "applicant", established_on=date(2001, 5, 4)), org("B", "LT"), org("C", "EE"),
        org("D", "LV")))
    assert passed(app, KA220, "composition.third-countries") is False


def test_associated_partners_are_not_counted():
    app = ka220_application(organisations=(
        org("A", "LV", "applicant", established_on=date(2001, 5, 4)), org("B", "LT"),
        org("C", "EE", "associated-partner")))
    verdict = run(app, KA220)
    assert check(verdict, "composition.minimum").passed is False
    assert "associated partners" in check(verdict, "composition.minimum").message


def test_ka210_two_organisations_from_two_programme_countries_pass():
    assert passed(ka210_application(), KA210, "composition.minimum") is True
    one_country = ka210_application(organisations=(org("A", "LV", "applicant"), org("B", "LV")))
    assert passed(one_country, KA210, "composition.minimum") is False
    alone = ka210_application(organisations=(org("A", "LV", "applicant"),))
    assert passed(alone, KA210, "composition.minimum") is False


def test_associated_third_countries_are_programme_countries():
    app = ka210_application(organisations=(org("A", "LV", "applicant"), org("B", "TR")))
    assert passed(app, KA210, "composition.minimum") is True
    assert passed(app, KA210, "composition.third-countries") is True


def test_ka210_with_a_non_associated_third_country_fails():
    app = ka210_application(organisations=ka210_application().organisations + (org("C", "UA"),))
    result = check(run(app, KA210), "composition.third-countries")
    assert result.passed is False and "C from Ukraine" in result.message
    assert not run(app, KA210).eligible


def test_switzerland_and_the_uk_are_not_associated():
    app = ka220_application(organisations=ka220_application().organisations + (org("D", "CH"),))
    assert passed(app, KA220, "composition.third-countries") is False


def test_exactly_one_applicant():
    two = ka210_application(organisations=(org("A", "LV", "applicant"), org("B", "EE", "applicant")))
    none = ka210_application(organisations=(org("A", "LV"), org("B", "EE")))
    assert passed(two, KA210, "composition.one-applicant") is False
    assert passed(none, KA210, "composition.one-applicant") is False


def test_unknown_country_and_repeated_organisation():
    app = ka210_application(organisations=(org("A", "LV", "applicant", oid="E10000001"),
                                           org("B", "QQ", oid="E10000001")))
    verdict = run(app, KA210)
    assert check(verdict, "countries.known").passed is False
    assert check(verdict, "composition.distinct-organisations").passed is False


def test_applicant_goes_to_the_agency_of_its_country():
    app = ka210_application(organisations=(org("A", "EE", "applicant"), org("B", "LV")))
    result = check(run(app, KA210), "agency.applicant-country")
    assert result.passed is False and "LV01" in result.message


def test_associated_partners_can_be_switched_off():
    no_ap = call(KA210_VET, associated_partners_allowed=False)
    app = ka210_application(organisations=ka210_application().organisations + (org("C", "FI", "associated-partner"),))
    assert passed(app, no_ap, "associated-partners.allowed") is False
    assert passed(ka210_application(), no_ap, "associated-partners.allowed") is True


def _ka240_orgs(extra=()):
    return (
        org("A", "LV", "applicant", type="school-authority"), org("S1", "LV", type="school"),
        org("S2", "LV", type="school"),
        org("B", "EE", type="school-coordinating-body"), org("S3", "EE", type="school"),
        org("S4", "EE", type="school"),
    ) + tuple(extra)


def test_ka240_composition():
    ka240 = call(KA240_SCH)
    good = ka220_application(action="KA240", organisations=_ka240_orgs(), lump_sum=Decimal("400000"),
                             duration_months=36)
    verdict = run(good, ka240)
    for rule in ("composition.applicant-type", "composition.school-development", "composition.minimum"):
        assert check(verdict, rule).passed is True, check(verdict, rule).message
    one_school_short = ka220_application(organisations=_ka240_orgs()[:-1] + (org("X", "EE", type="ngo"),))
    assert passed(one_school_short, ka240, "composition.school-development") is False
    one_country = ka220_application(organisations=tuple(
        o if o.country == "LV" else org(o.ref, "LV", o.role, type=o.type) for o in _ka240_orgs()))
    assert passed(one_country, ka240, "composition.school-development") is False
    school_applies = ka220_application(organisations=(org("A", "LV", "applicant", type="school"),) + _ka240_orgs()[1:])
    assert passed(school_applies, ka240, "composition.applicant-type") is False
    untyped = ka220_application(organisations=(org("A", "LV", "applicant"),) + _ka240_orgs()[1:])
    assert passed(untyped, ka240, "composition.applicant-type") is None


# ---------------------------------------------------------------- start window


@pytest.mark.parametrize("start, ok", [(date(2026, 9, 1), True), (date(2026, 12, 31), True),
                                       (date(2026, 8, 31), False), (date(2027, 1, 1), False)])
def test_start_window_march_round(start, ok):
    assert passed(ka220_application(start_date=start), KA220, "start-window") is ok
    assert passed(ka210_application(start_date=start), KA210, "start-window") is ok


@pytest.mark.parametrize("start, ok", [(date(2027, 1, 1), True), (date(2027, 5, 31), True),
                                       (date(2026, 12, 31), False), (date(2027, 6, 1), False)])
def test_start_window_october_round(start, ok):
    assert passed(ka210_application(start_date=start), call(KA210_VET_ROUND2), "start-window") is ok


# ---------------------------------------------------------------- deadlines across daylight-saving time


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize("at, ok", [
    (utc(2026, 3, 5, 10, 59, 59), True),
    (utc(2026, 3, 5, 11, 0, 0), False),  # 12:00 CET: the deadline instant itself is late
    (datetime(2026, 3, 5, 12, 59, 59, tzinfo=timezone(timedelta(hours=2))), True),  # 12:59:59 Riga
    (datetime(2026, 3, 5, 13, 0, 0, tzinfo=timezone(timedelta(hours=2))), False),  # 13:00 Riga
])
def test_march_deadline(at, ok):
    assert passed(ka220_application(submitted_at=at), KA220, "deadline.on-time") is ok
    assert passed(ka210_application(submitted_at=at), KA210, "deadline.on-time") is ok


@pytest.mark.parametrize("at, ok", [(utc(2026, 10, 1, 9, 59, 59), True), (utc(2026, 10, 1, 10, 0, 0), False)])
def test_october_deadline_is_in_summer_time(at, ok):
    assert passed(ka210_application(submitted_at=at), call(KA210_VET_ROUND2), "deadline.on-time") is ok


def test_late_message_names_brussels_time():
    import dataclasses

    late = ka210_application(submitted_at=utc(2026, 3, 5, 11))
    result = check(run(late, dataclasses.replace(KA210, incident_report_hours=2)), "deadline.on-time")
    assert "5 Mar 2026, 12:00 CET" in result.message and "within 2 hours of the deadline" in result.message
    assert "screenshots" not in check(run(late, KA210), "deadline.on-time").message  # the call's data gives no hours


def test_ka240_deadline_april():
    ka240 = call(KA240_SCH)
    assert passed(ka220_application(submitted_at=utc(2026, 4, 9, 9, 59, 59)), ka240, "deadline.on-time") is True
    assert passed(ka220_application(submitted_at=utc(2026, 4, 9, 10)), ka240, "deadline.on-time") is False


# ---------------------------------------------------------------- coordinator established


@pytest.mark.parametrize("established, ok", [(date(2024, 3, 5), True), (date(2024, 3, 6), False),
                                             (date(2024, 3, 4), True)])
def test_coordinator_established_two_years_before_the_deadline(established, ok):
    orgs = (org("A", "LV", "applicant", established_on=established),) + ka220_application().organisations[1:]
    assert passed(ka220_application(organisations=orgs), KA220, "coordinator.established") is ok


def test_coordinator_rule_only_for_ka220_and_needs_the_date():
    assert all(c.rule != "coordinator.established" for c in run(ka210_application(), KA210).checks)
    orgs = (org("A", "LV", "applicant"),) + ka220_application().organisations[1:]
    assert passed(ka220_application(organisations=orgs), KA220, "coordinator.established") is None


# ---------------------------------------------------------------- work packages


def test_management_cap_is_exact_to_the_cent():
    ok = ka220_application(work_packages=wps("50000.00", "200000.00"))
    over = ka220_application(work_packages=wps("50000.01", "199999.99"))
    assert passed(ok, KA220, "wp.management-cap") is True
    result = check(run(over, KA220), "wp.management-cap")
    assert result.passed is False and "50\u202f000 EUR" in result.message and "50\u202f000.01 EUR" in result.message
    assert passed(over, KA220, "wp.sum") is True


def test_management_cap_of_120000():
    assert passed(ka220_application(lump_sum=Decimal("120000"), work_packages=wps("24000", "96000")),
                  KA220, "wp.management-cap") is True
    assert passed(ka220_application(lump_sum=Decimal("120000"), work_packages=wps("24000.01", "95999.99")),
                  KA220, "wp.management-cap") is False


def test_management_work_package_is_wp1_and_unique():
    no_mgmt = ka220_application(work_packages=(WorkPackage(1, False, Decimal("250000")),))
    two = ka220_application(work_packages=(WorkPackage(1, True, Decimal("1")), WorkPackage(2, True, Decimal("1"))))
    wp2 = ka220_application(work_packages=(WorkPackage(2, True, Decimal("1")), WorkPackage(1, False, Decimal("1"))))
    for app in (no_mgmt, two, wp2):
        assert passed(app, KA220, "wp.management") is False


@pytest.mark.parametrize("further, ok, warned", [(0, False, False), (1, True, False), (4, True, False),
                                                 (5, True, True), (10, True, True), (11, False, True)])
def test_work_package_count(further, ok, warned):
    share = Decimal("200000.00") / further if further else None
    others = [format(share.quantize(Decimal("0.01")), "f")] * further if further else []
    if further:
        others[-1] = str(Decimal("200000.00") - share.quantize(Decimal("0.01")) * (further - 1))
    app = ka220_application(work_packages=wps("50000", *others))
    verdict = run(app, KA220)
    assert check(verdict, "wp.count").passed is ok
    warning = check(verdict, "wp.count-recommended")
    assert warning.severity == "warning" and warning.passed is (not warned)
    if further:
        assert check(verdict, "wp.sum").passed is True
    if ok:
        assert verdict.eligible  # a warning never blocks


def test_work_package_sum_is_exact():
    assert passed(ka220_application(work_packages=wps("50000", "199999.99")), KA220, "wp.sum") is False
    assert passed(ka220_application(work_packages=wps("50000", "200000.01")), KA220, "wp.sum") is False
    result = check(run(ka220_application(work_packages=wps("50000", "199999.99")), KA220), "wp.sum")
    assert "0.01 EUR" in result.message


# ---------------------------------------------------------------- activities (KA210)


def test_activities_present_and_sum():
    assert passed(ka210_application(activities=()), KA210, "activities.present") is False
    assert passed(ka210_application(activities=()), KA210, "activities.sum") is None
    off = ka210_application(activities=(Activity(Decimal("59999.99")),))
    assert passed(off, KA210, "activities.sum") is False
    exact = ka210_application(activities=(Activity(Decimal("0.01")), Activity(Decimal("59999.99"))))
    assert passed(exact, KA210, "activities.sum") is True
    assert all(not c.rule.startswith("wp.") for c in run(exact, KA210).checks)


# ---------------------------------------------------------------- priorities and topics


def test_priorities_required_and_known():
    assert passed(ka210_application(priorities=()), KA210, "priorities.required") is False
    assert passed(ka210_application(priorities=("vet-innovation",)), KA210, "priorities.required") is True
    assert passed(ka210_application(priorities=("made-up",)), KA210, "priorities.known") is False
    assert passed(ka210_application(priorities=None), KA210, "priorities.required") is None


def test_at_most_three_topics():
    assert passed(ka220_application(topics=("a", "b", "c")), KA220, "topics.max") is True
    assert passed(ka220_application(topics=("a", "b", "c", "d")), KA220, "topics.max") is False
    assert all(c.rule != "topics.max" for c in run(ka210_application(), KA210).checks)


# ---------------------------------------------------------------- across applications of the same deadline

A, B, C = "E10000001", "E10000002", "E10000003"


def _fillers(n, start=20000000):
    return [f"E{start + i:08d}" for i in range(n)]


def test_sixth_ka210_involvement_fails_all_fields_together():
    sectors = ["VET", "SCH", "ADU", "YOU", "SCH"]
    others = [other([f, B], sector=sectors[i]) for i, f in enumerate(_fillers(5))]
    # B is already in 4 other KA210 applications: this one is its 5th — allowed
    assert passed(ka210_application(), KA210, "limits.involvement-cap", others[:4]) is True
    # … in 5 others (across fields): this one would be its 6th
    result = check(run(ka210_application(), KA210, others), "limits.involvement-cap")
    assert result.passed is False and "B (E10000002)" in result.message and "A (" not in result.message
    assert result.source == "seed 002, slide 'Maza mēroga partnerības'"  # the call's data names the source


def test_involvement_cap_ignores_withdrawn_other_deadlines_other_actions_and_itself():
    from eplus.core.time import brussels

    noise = [other([f, B], status="withdrawn") for f in _fillers(5)]
    noise += [other([f, B], deadline=brussels(2026, 10, 1)) for f in _fillers(5, 21000000)]
    noise += [other([f, B], action="KA220") for f in _fillers(5, 22000000)]
    noise += [other([A, B], id="self") for _ in range(5)]
    app = ka210_application(id="self")
    assert passed(app, KA210, "limits.involvement-cap", noise) is True


def test_eleventh_ka220_involvement_fails_but_hed_is_exempt():
    ten = [other([f, C], action="KA220") for f in _fillers(10)]
    nine = ten[:9]
    assert passed(ka220_application(), KA220, "limits.involvement-cap", nine) is True
    assert passed(ka220_application(), KA220, "limits.involvement-cap", ten) is False
    hed_others = [other([f, C], action="KA220", sector="HED") for f in _fillers(10)]
    assert passed(ka220_application(), KA220, "limits.involvement-cap", nine + hed_others) is True
    hed_verdict = run(ka220_application(action="KA220-HED"), call(KA220_HED), ten)
    assert all(c.rule != "limits.involvement-cap" for c in hed_verdict.checks)


def test_applicant_only_once_per_ka210_round():
    assert passed(ka210_application(), KA210, "limits.applicant-once-per-round", [other([B, A])]) is True
    twice = [other([A, "E10000009"], sector="SCH")]
    result = check(run(ka210_application(), KA210, twice), "limits.applicant-once-per-round")
    assert result.passed is False and "E10000001" in result.message
    withdrawn = [other([A, "E10000009"], status="withdrawn")]
    assert passed(ka210_application(), KA210, "limits.applicant-once-per-round", withdrawn) is True


def test_same_consortium_once_per_deadline_and_agency():
    elsewhere = [other([B, A], agency="EE01", sector="SCH")]  # same organisations, roles swapped
    result = check(run(ka210_application(), KA210, elsewhere), "consortium.once-per-deadline")
    assert result.passed is False and "EE01" in result.message
    bigger = [other([B, A, C], agency="EE01")]
    assert passed(ka210_application(), KA210, "consortium.once-per-deadline", bigger) is True
    own_earlier_version = [other([A, B], id="app-1")]
    assert passed(ka210_application(id="app-1"), KA210, "consortium.once-per-deadline", own_earlier_version) is True


def test_rules_across_applications_without_the_data_are_not_evaluated():
    verdict = run(ka210_application(), KA210, others=None)
    for rule in ("limits.applicant-once-per-round", "limits.involvement-cap", "consortium.once-per-deadline"):
        assert check(verdict, rule).passed is None
    no_oids = ka210_application(organisations=(org("A", "LV", "applicant"), org("B", "EE")))
    assert passed(no_oids, KA210, "consortium.once-per-deadline", others=()) is None
