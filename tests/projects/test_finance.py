"""Payments, final grant and report deadlines (DOMAIN §7) with the 2026 figures from the reference data."""

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eplus.projects.finance import (
    FinalGrant,
    ReportDeadline,
    balance,
    decision_due,
    final_grant,
    final_grant_by_work_packages,
    first_prefinancing_due,
    further_prefinancing_allowed,
    is_overdue,
    payment_plan,
    reduction_for,
    reminder_dates,
    report_due_dates,
)

DATA = Path(__file__).resolve().parents[2] / "src" / "eplus" / "programme" / "data" / "calls-2026.json"


def _call(action):
    items = json.loads(DATA.read_text())["items"]
    return next(i for i in items if i["year"] == 2026 and i["action"] == action and i.get("round", 1) == 1)


KA210 = _call("KA210")
KA220 = _call("KA220")
BANDS = KA220["reduction_bands"]
THRESHOLD = KA220["payment_schedule"][1]["condition"]["min_previous_prefinancing_used_percent"]
DAYS = {"progress_days": KA220["progress_report_days"], "final_days": KA220["final_report_days"]}


def D(value):
    return Decimal(str(value))


def test_reference_data_has_the_documented_2026_figures():
    assert [(s["code"], s["percent"]) for s in KA220["payment_schedule"]] == [
        ("prefinancing", "40"), ("further-prefinancing", "40"), ("balance", "20")]
    assert [(s["code"], s["percent"]) for s in KA210["payment_schedule"]] == [("prefinancing", "80"), ("balance", "20")]
    assert KA210["reduction_bands"] == BANDS
    assert sorted((D(b["min_score"]), D(b["reduction_percent"])) for b in BANDS) == [
        (0, 75), (25, 50), (40, 25), (50, 0)]
    assert (KA220["first_prefinancing_days"], KA220["progress_report_days"], KA220["final_report_days"],
            KA220["final_report_decision_days"]) == (30, 30, 60, 60)


# --- payment plan -----------------------------------------------------------------------------

def test_ka220_250000_at_40_40_20():
    plan = payment_plan(D("250000"), KA220["payment_schedule"])
    assert [(i.code, i.amount) for i in plan] == [
        ("prefinancing", D("100000.00")), ("further-prefinancing", D("100000.00")), ("balance", D("50000.00"))]
    assert [i.at_most for i in plan] == [False, False, True]
    assert plan[1].due == "interim-report"
    assert plan[1].condition == {"min_previous_prefinancing_used_percent": "70"}
    assert plan[0].percent == 40


def test_ka210_60000_at_80_20():
    plan = payment_plan(D("60000"), KA210["payment_schedule"])
    assert [(i.code, i.amount, i.due) for i in plan] == [
        ("prefinancing", D("48000.00"), "signature"), ("balance", D("12000.00"), "final-report")]


def test_rounding_goes_to_the_last_instalment():
    schedule = [{"code": "a", "percent": "33.33"}, {"code": "b", "percent": "33.33"}, {"code": "c", "percent": "33.34"}]
    plan = payment_plan(D("100000.01"), schedule)
    assert [i.amount for i in plan] == [D("33330.00"), D("33330.00"), D("33340.01")]


def test_a_schedule_must_add_up_to_100():
    with pytest.raises(ValueError):
        payment_plan(D("60000"), [{"code": "prefinancing", "percent": "80"}])
    with pytest.raises(ValueError):
        payment_plan(D("60000"), [])


def test_money_is_never_a_float():
    with pytest.raises(TypeError):
        payment_plan(60000.0, KA210["payment_schedule"])
    with pytest.raises(TypeError):
        reduction_for(45.5, BANDS)


@given(
    st.integers(1, 1_000_000_00).map(lambda cents: Decimal(cents) / 100),
    st.lists(st.integers(1, 100), min_size=1, max_size=5),
)
def test_instalments_always_add_up_to_the_lump_sum(lump_sum, weights):
    # turn the weights into percentages with two decimals adding up to exactly 100
    total = sum(weights)
    percents = [(Decimal(w) * 100 / total).quantize(Decimal("0.01")) for w in weights[:-1]]
    percents.append(Decimal(100) - sum(percents, Decimal(0)))
    if percents[-1] < 0:
        return
    plan = payment_plan(lump_sum, [{"code": f"p{i}", "percent": p} for i, p in enumerate(percents)])
    assert sum(i.amount for i in plan) == lump_sum
    assert all(i.amount == i.amount.quantize(Decimal("0.01")) for i in plan)


def test_first_prefinancing_within_30_days_of_signature():
    assert first_prefinancing_due(date(2026, 8, 14), days=KA220["first_prefinancing_days"]) == date(2026, 9, 13)
    assert first_prefinancing_due(date(2026, 12, 15), KA220["first_prefinancing_days"]) == date(2027, 1, 14)
    # an aware instant is read on the Brussels calendar: 23:30 UTC on 14 Aug is already 15 Aug there
    assert first_prefinancing_due(datetime(2026, 8, 14, 23, 30, tzinfo=timezone.utc), KA220["first_prefinancing_days"]) == date(2026, 9, 14)


# --- further pre-financing --------------------------------------------------------------------

def test_75000_of_100000_used_allows_the_further_prefinancing():
    allowed, reason = further_prefinancing_allowed(D("100000"), D("75000"), threshold_percent=70)
    assert allowed and "75" in reason


def test_60000_of_100000_is_refused_saying_70000_is_needed():
    allowed, reason = further_prefinancing_allowed(D("100000"), D("60000"), threshold_percent=70)
    assert not allowed
    assert "70\u202f000.00 EUR" in reason  # how much is needed
    assert "10\u202f000.00 EUR more" in reason  # and how much is missing


def test_exactly_70000_is_enough_and_a_cent_less_is_not():
    assert further_prefinancing_allowed(D("100000"), D("70000"), THRESHOLD)[0]
    assert not further_prefinancing_allowed(D("100000"), D("69999.99"), THRESHOLD)[0]


def test_every_figure_is_a_required_argument():
    with pytest.raises(TypeError):
        further_prefinancing_allowed(D("100000"), D("70000"))
    with pytest.raises(TypeError):
        first_prefinancing_due(date(2026, 8, 14))
    with pytest.raises(TypeError):
        report_due_dates(date(2026, 8, 31), final_days=60)
    with pytest.raises(TypeError):
        decision_due(date(2026, 10, 20))


def test_the_threshold_is_a_parameter():
    assert not further_prefinancing_allowed(D("100000"), D("75000"), threshold_percent="80")[0]


# --- reductions and the final grant -----------------------------------------------------------

@pytest.mark.parametrize("score, percent", [
    ("100", 0), ("50", 0), ("49.99", 25), ("40", 25), ("39.99", 50), ("25", 50), ("24.99", 75), ("0", 75),
])
def test_reduction_bands_boundaries(score, percent):
    assert reduction_for(D(score), BANDS) == percent


def test_bands_in_any_order_and_scores_out_of_range():
    assert reduction_for(D("45"), list(reversed(BANDS))) == 25
    with pytest.raises(ValueError):
        reduction_for(D("100.5"), BANDS)
    with pytest.raises(ValueError):
        reduction_for(D("-1"), BANDS)
    with pytest.raises(ValueError):
        reduction_for(D("10"), [{"min_score": "50", "reduction_percent": "0"}])


def test_final_score_45_on_250000_gives_187500():
    result = final_grant(D("250000"), D("45"), BANDS)
    assert isinstance(result, FinalGrant)
    assert result.reduction_percent == 25
    assert result.reduction == D("62500.00")
    assert result.amount == D("187500.00")


def test_ka210_60000_scored_42_is_45000_and_with_48000_paid_3000_is_recovered():
    result = final_grant(D("60000"), D("42"), BANDS)
    assert result.amount == D("45000.00")
    paid = payment_plan(D("60000"), KA210["payment_schedule"])[0].amount
    assert paid == D("48000.00")
    outcome = balance(result, paid)
    assert outcome.amount == D("-3000.00")
    assert outcome.kind == "recovery" and outcome.recovery == D("3000.00") and outcome.to_pay == 0


def test_a_good_final_report_pays_the_balance():
    outcome = balance(final_grant(D("250000"), D("80"), BANDS), D("200000"))
    assert outcome.kind == "payment" and outcome.to_pay == D("50000.00") and outcome.recovery == 0
    assert balance(D("48000"), D("48000")).kind == "none"


def test_work_packages_each_reduced_by_their_band_and_wp1_by_their_weighted_average():
    amounts = {1: D("50000"), 2: D("100000"), 3: D("100000")}
    result = final_grant_by_work_packages(amounts, {2: D("80"), 3: D("45")}, BANDS, management_wp=1)
    wp = result.work_packages
    assert wp[2].final == D("100000.00") and wp[2].reduction_percent == 0
    assert wp[3].final == D("75000.00") and wp[3].reduction_percent == 25
    # WP2 + WP3: 175 000 of 200 000 -> WP1 keeps 87.5 %: 43 750
    assert wp[1].score is None and wp[1].final == D("43750.00") and wp[1].reduction_percent == D("12.50")
    assert result.amount == D("218750.00") and result.lump_sum == D("250000.00")
    assert result.reduction == D("31250.00") and result.reduction_percent == D("12.50")


def test_work_packages_all_good_keep_the_whole_grant_and_all_at_45_match_the_simple_form():
    amounts = {1: D("50000"), 2: D("120000"), 3: D("80000")}
    assert final_grant_by_work_packages(amounts, {2: 90, 3: 50}, BANDS).amount == D("250000.00")
    assert final_grant_by_work_packages(amounts, {2: 45, 3: 45}, BANDS).amount == \
        final_grant(D("250000"), 45, BANDS).amount == D("187500.00")


def test_work_package_scores_must_match_the_work_packages():
    amounts = {1: D("50000"), 2: D("200000")}
    with pytest.raises(ValueError, match="without a score"):
        final_grant_by_work_packages(amounts, {}, BANDS)
    with pytest.raises(ValueError, match="not scored"):
        final_grant_by_work_packages(amounts, {1: 80, 2: 80}, BANDS)
    with pytest.raises(ValueError, match="unknown"):
        final_grant_by_work_packages(amounts, {2: 80, 3: 80}, BANDS)


@given(
    st.integers(0, 400_000_00).map(lambda c: Decimal(c) / 100),
    st.integers(0, 10000).map(lambda s: Decimal(s) / 100),
    st.integers(0, 400_000_00).map(lambda c: Decimal(c) / 100),
)
def test_balance_plus_paid_is_the_final_grant(lump_sum, score, paid):
    grant = final_grant(lump_sum, score, BANDS)
    assert grant.amount + grant.reduction == lump_sum
    outcome = balance(grant, paid)
    assert outcome.amount + paid == grant.amount
    assert outcome.to_pay - outcome.recovery == outcome.amount


@given(st.lists(st.integers(1, 200_000_00), min_size=2, max_size=6), st.data())
def test_work_package_finals_add_up_and_never_exceed_the_amounts(cents, data):
    amounts = {n + 1: Decimal(c) / 100 for n, c in enumerate(cents)}
    scores = {n: Decimal(data.draw(st.integers(0, 10000))) / 100 for n in amounts if n != 1}
    result = final_grant_by_work_packages(amounts, scores, BANDS)
    assert result.amount == sum(p.final for p in result.work_packages.values())
    assert result.amount + result.reduction == sum(amounts.values())
    assert all(0 <= p.final <= p.amount for p in result.work_packages.values())


# --- reports ----------------------------------------------------------------------------------

def test_final_report_due_60_days_after_the_end_date():
    deadlines = report_due_dates(date(2026, 8, 31), progress_days=KA220["progress_report_days"],
                                 final_days=KA220["final_report_days"])
    assert deadlines == [ReportDeadline(kind="final", period_end=date(2026, 8, 31), due=date(2026, 10, 30))]


def test_progress_reports_due_30_days_after_each_period():
    deadlines = report_due_dates(date(2028, 8, 31), period_ends=[date(2027, 8, 31), date(2026, 12, 31)],
                                 progress_days=KA220["progress_report_days"], final_days=KA220["final_report_days"])
    assert [(d.kind, d.due) for d in deadlines] == [
        ("progress", date(2027, 1, 30)), ("progress", date(2027, 9, 30)), ("final", date(2028, 10, 30))]
    # a period ending on the end date is covered by the final report
    assert [d.kind for d in report_due_dates(date(2027, 8, 31), [date(2027, 8, 31)], **DAYS)] == ["final"]


def test_agency_decision_within_60_days_of_receipt():
    due = decision_due(date(2026, 10, 20), days=KA220["final_report_decision_days"])
    assert due == date(2026, 12, 19)
    assert not is_overdue(due, date(2026, 12, 19))
    assert is_overdue(due, date(2026, 12, 20))


def test_reminders_on_the_end_date_and_a_week_before_each_deadline():
    deadlines = report_due_dates(date(2026, 8, 31), [date(2026, 2, 28)], **DAYS)
    reminders = reminder_dates(date(2026, 8, 31), deadlines)
    assert [(r.on, r.kind, r.deadline) for r in reminders] == [
        (date(2026, 3, 23), "before-deadline", date(2026, 3, 30)),
        (date(2026, 8, 31), "end-date", None),
        (date(2026, 10, 23), "before-deadline", date(2026, 10, 30)),
    ]
    assert [r.on for r in reminder_dates(date(2026, 8, 31), date(2026, 10, 30))] == [
        date(2026, 8, 31), date(2026, 10, 23)]
