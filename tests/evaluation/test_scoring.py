"""Scoring rules (DOMAIN §6) with the 2026 figures taken from the programme's reference data."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eplus.evaluation import scoring
from eplus.evaluation.scoring import (
    ConsolidationRequired,
    InvalidScores,
    award_settings,
    consolidated,
    is_fundable,
    needs_consolidation,
    validate_scores,
)

DATA = Path(__file__).resolve().parents[2] / "src" / "eplus" / "programme" / "data" / "calls-2026.json"


def _call(action):
    items = json.loads(DATA.read_text())["items"]
    return next(i for i in items if i["year"] == 2026 and i["action"] == action and i.get("round", 1) == 1)


KA210 = award_settings(_call("KA210"))
KA220 = award_settings(_call("KA220"))
# The consolidation gap of DOMAIN §6; a call states it as ``other_rules.consolidation_gap`` (scoring has no default).
GAP = {"gap": 30}


def D(value):
    return Decimal(str(value))


def test_reference_data_has_the_documented_2026_figures():
    assert scoring.criteria_maxima(KA210["criteria"]) == {
        "relevance": 30, "design": 30, "partnership": 20, "impact": 20}
    assert scoring.criteria_maxima(KA220["criteria"]) == {
        "relevance": 25, "design": 30, "partnership": 20, "impact": 25}
    assert KA210["total_threshold"] == 60 and KA220["criterion_share"] == D("0.5")


def test_award_settings_reads_the_call_rules_shape_too():
    award = {"criteria": [{"code": "relevance", "name_en": "R", "max_points": "25", "threshold": "12.5"}],
             "total_threshold": "60", "criterion_share": None, "criterion_threshold_share": "0.5"}
    settings = award_settings(award)
    assert settings["criteria"] == [{"code": "relevance", "max_points": "25"}]
    assert settings["total_threshold"] == 60 and settings["criterion_share"] == D("0.5")


def ka220(relevance=20, design=20, partnership=15, impact=20):
    return {"relevance": D(relevance), "design": D(design), "partnership": D(partnership), "impact": D(impact)}


def ka210(relevance=20, design=20, partnership=15, impact=15):
    return {"relevance": D(relevance), "design": D(design), "partnership": D(partnership), "impact": D(impact)}


# --- validation -------------------------------------------------------------------------------

def test_valid_scores_have_no_errors_and_halves_are_allowed():
    assert validate_scores(ka220(relevance="12.5"), KA220["criteria"]) == {}
    assert validate_scores({"relevance": "25", "design": 0, "partnership": "20.0", "impact": "0.5"},
                           KA220["criteria"]) == {}


def test_each_bad_score_gets_its_own_message():
    errors = validate_scores(
        {"relevance": D("26"), "design": D("-1"), "impact": D("12.25"), "budget": D("3")},
        KA220["criteria"])
    assert set(errors) == {"relevance", "design", "partnership", "impact", "budget"}
    assert "maximum of 25" in errors["relevance"]
    assert "negative" in errors["design"]
    assert "Give a score" in errors["partnership"]
    assert "steps of 0.5" in errors["impact"]
    assert "no award criterion" in errors["budget"]


def test_non_numbers_and_blanks_are_errors_not_crashes():
    errors = validate_scores(ka220() | {"design": "abc", "impact": "  "}, KA220["criteria"])
    assert "as a number" in errors["design"]
    assert "Give a score" in errors["impact"]


def test_the_step_is_configurable():
    assert validate_scores(ka220(relevance="12.25"), KA220["criteria"], step="0.25") == {}
    assert "relevance" in validate_scores(ka220(relevance="12.5"), KA220["criteria"], step=1)


def test_floats_are_refused():
    with pytest.raises(TypeError):
        validate_scores(ka220() | {"relevance": 12.5}, KA220["criteria"])


def test_is_fundable_raises_on_invalid_scores():
    with pytest.raises(InvalidScores) as excinfo:
        is_fundable(ka220(relevance=30), **KA220)
    assert set(excinfo.value.errors) == {"relevance"}


# --- fundability ------------------------------------------------------------------------------

def test_total_of_60_passes_and_59_5_fails():
    ok, reasons = is_fundable(ka220(15, 20, 10, 15), **KA220)
    assert ok and reasons == []
    ok, reasons = is_fundable(ka220(15, "19.5", 10, 15), **KA220)
    assert not ok
    assert len(reasons) == 1 and "59.5" in reasons[0] and "60" in reasons[0]


def test_ka220_relevance_12_5_of_25_passes_and_12_fails():
    assert is_fundable(ka220(relevance="12.5", design=25, partnership=15, impact=20), **KA220)[0]
    ok, reasons = is_fundable(ka220(relevance=12, design=25, partnership=15, impact=20), **KA220)
    assert not ok
    assert reasons == [reasons[0]] and "relevance" in reasons[0] and "12.5" in reasons[0]


def test_ka210_15_of_30_passes_and_14_5_fails():
    assert is_fundable(ka210(relevance=15, design=25, partnership=15, impact=15), **KA210)[0]
    ok, reasons = is_fundable(ka210(relevance="14.5", design=25, partnership=15, impact=15), **KA210)
    assert not ok and "relevance" in reasons[0] and "15" in reasons[0]


def test_every_failed_threshold_is_reported():
    ok, reasons = is_fundable(ka220(relevance=10, design=10, partnership=5, impact=10), **KA220)
    assert not ok
    assert len(reasons) == 5  # the total and all four criteria


def test_a_high_total_does_not_rescue_a_weak_criterion():
    ok, reasons = is_fundable(ka220(relevance=25, design=30, partnership="9.5", impact=25), **KA220)
    assert not ok and "partnership" in reasons[0]


def test_thresholds_are_parameters():
    assert is_fundable(ka220(15, 20, 10, 15), KA220["criteria"], total_threshold=50, criterion_share="0.4")[0]
    assert not is_fundable(ka220(15, 20, 10, 15), KA220["criteria"], total_threshold=61, criterion_share="0.5")[0]
    assert not is_fundable(ka220(15, 20, 10, 15), KA220["criteria"], total_threshold=60, criterion_share="0.6")[0]


# --- consolidation ----------------------------------------------------------------------------

def test_a_gap_of_30_triggers_consolidation_and_29_5_does_not():
    a = ka220(25, 30, 20, 25)  # 100
    b = ka220("12.5", 15, 10, "12.5")  # 50 -> gap 50
    assert needs_consolidation(a, b, KA220["criteria"], gap=30, total_threshold=60, criterion_share="0.5")[0]
    a = ka220(25, 30, 20, 25)  # 100
    b = ka220(20, 20, 15, 15)  # 70 -> gap 30
    needed, reason = needs_consolidation(a, b, **KA220, gap=30)
    assert needed and "30" in reason
    b = ka220("20.5", 20, 15, 15)  # 70.5 -> gap 29.5, both fundable
    assert needs_consolidation(a, b, **KA220, gap=30) == (False, "")


def test_the_gap_is_configurable():
    a, b = ka220(25, 30, 20, 25), ka220(20, 25, 20, 20)  # 100 and 85
    assert not needs_consolidation(a, b, **KA220, gap=30)[0]
    assert needs_consolidation(a, b, **KA220, gap=15)[0]
    assert not needs_consolidation(a, b, **KA220, gap="15.5")[0]


def test_a_call_without_a_gap_consolidates_only_on_a_disagreement_about_fundability():
    a, b = ka220(25, 30, 20, 25), ka220(15, 20, 10, 15)  # 100 and 60: both fundable, 40 points apart
    assert needs_consolidation(a, b, **KA220, gap=None) == (False, "")
    assert consolidated(a, b, **KA220, gap=None).total == D("80")
    assert needs_consolidation(a, ka220(15, "19.5", 10, 15), **KA220, gap=None)[0]


def test_scoring_has_no_default_figures():
    with pytest.raises(TypeError):
        is_fundable(ka220(), KA220["criteria"])
    with pytest.raises(TypeError):
        needs_consolidation(ka220(), ka220(), **KA220)


def test_one_fundable_and_one_not_triggers_consolidation_even_with_a_small_gap():
    a = ka220(15, 20, 10, 15)  # 60, fundable
    b = ka220(15, "19.5", 10, 15)  # 59.5, not fundable
    needed, reason = needs_consolidation(a, b, **KA220, **GAP)
    assert needed and "fundable" in reason


def test_two_non_fundable_whose_average_would_be_fundable_need_consolidation():
    a = ka220(relevance=10, design=25, partnership=15, impact=20)  # 70, relevance too low
    b = ka220(relevance=20, design=25, partnership=15, impact=10)  # 70, impact too low
    assert not is_fundable(a, **KA220)[0] and not is_fundable(b, **KA220)[0]
    needed, reason = needs_consolidation(a, b, **KA220, **GAP)
    assert needed and "average" in reason
    # both non-fundable on the same weakness: the average is not fundable either, no consolidation
    c = ka220(relevance=11, design=25, partnership=15, impact=20)
    assert needs_consolidation(a, c, **KA220, **GAP) == (False, "")


def test_without_consolidation_the_average_per_criterion_rounded_to_half_points_decides():
    a = ka220(relevance=20, design=23, partnership=15, impact="17.5")
    b = ka220(relevance="20.5", design=24, partnership=16, impact=18)
    result = consolidated(a, b, **KA220, **GAP)
    assert result.method == scoring.AVERAGE
    # 20.25 -> 20.5 ; 23.5 ; 15.5 ; 17.75 -> 18
    assert result.scores == {"relevance": D("20.5"), "design": D("23.5"), "partnership": D("15.5"),
                             "impact": D("18")}
    assert result.total == D("77.5") and result.fundable and result.reasons == ()


def test_the_average_of_two_non_fundable_assessments_is_not_fundable():
    a = ka220(15, 20, 10, "14.5")  # 59.5
    b = ka220(15, 20, 10, 14)  # 59
    result = consolidated(a, b, **KA220, **GAP)
    assert result.total == D("59.5") and not result.fundable and "59.5" in result.reasons[0]


def test_consolidation_needed_without_final_scores_raises():
    a, b = ka220(25, 30, 20, 25), ka220(15, 20, 10, 15)
    with pytest.raises(ConsolidationRequired) as excinfo:
        consolidated(a, b, **KA220, **GAP)
    assert "40" in excinfo.value.reason


def test_designated_final_scores_decide_when_consolidated():
    a, b = ka220(25, 30, 20, 25), ka220(15, 20, 10, 15)
    lead = ka220(12, 25, 15, 20)
    result = consolidated(a, b, final_scores=lead, **KA220, **GAP)
    assert result.method == scoring.CONSOLIDATED
    assert result.total == D("72") and not result.fundable and "relevance" in result.reasons[0]
    with pytest.raises(InvalidScores):
        consolidated(a, b, final_scores=ka220(relevance=26), **KA220, **GAP)


# --- properties -------------------------------------------------------------------------------

def _half_points(maximum):
    return st.integers(min_value=0, max_value=maximum * 2).map(lambda n: Decimal(n) / 2)


KA220_SCORES = st.fixed_dictionaries({
    "relevance": _half_points(25), "design": _half_points(30), "partnership": _half_points(20),
    "impact": _half_points(25)})


@given(KA220_SCORES)
def test_fundable_exactly_when_every_threshold_is_met(scores):
    ok, reasons = is_fundable(scores, **KA220)
    expected = (sum(scores.values()) >= 60 and scores["relevance"] >= D("12.5") and scores["design"] >= 15
                and scores["partnership"] >= 10 and scores["impact"] >= D("12.5"))
    assert ok == expected
    assert (reasons == []) == ok


@given(KA220_SCORES, KA220_SCORES)
def test_consolidation_is_symmetric_and_the_average_agrees_with_both_experts(a, b):
    needed, _reason = needs_consolidation(a, b, **KA220, **GAP)
    assert needs_consolidation(b, a, **KA220, **GAP)[0] == needed
    if not needed:
        result = consolidated(a, b, **KA220, **GAP)
        assert result.fundable == is_fundable(a, **KA220)[0] == is_fundable(b, **KA220)[0]
        assert result.total == sum(result.scores.values())
        for code, value in result.scores.items():
            assert min(a[code], b[code]) <= value <= max(a[code], b[code])
            assert value % D("0.5") == 0
