"""Ranking and selection within the envelope (DOMAIN §6): LV01 VET 2026 KA220, 839 394 EUR."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eplus.evaluation.selection import (
    RESERVE,
    REJECTED,
    SELECTED,
    Candidate,
    SelectionError,
    apply_manual_change,
    rank,
    select,
)

ENVELOPE = Decimal("839394.00")  # Latvia 2026 VET, KA220 (seed 002)
T0 = datetime(2026, 3, 5, 9, 0, tzinfo=timezone.utc)


def cand(id, score, requested, fundable=True, relevance=20, impact=20, minutes=0, **extra):
    return Candidate(id=id, score=Decimal(str(score)), requested=Decimal(requested), fundable=fundable,
                     criteria={"relevance": Decimal(str(relevance)), "impact": Decimal(str(impact))},
                     submitted_at=T0 + timedelta(minutes=minutes), extra=extra)


def ids(group):
    return [c.id for c in group]


# --- ranking ----------------------------------------------------------------------------------

def test_rank_by_score_highest_first_fundable_before_non_fundable():
    candidates = [cand(1, 70, "120000"), cand(2, 90, "250000"), cand(3, 95, "400000", fundable=False),
                  cand(4, 80, "400000")]
    assert ids(rank(candidates)) == [2, 4, 1, 3]


def test_ties_are_broken_by_relevance_then_impact_then_submission_time_then_id():
    candidates = [
        cand(1, 80, "120000", relevance=20, impact=20, minutes=5),
        cand(2, 80, "120000", relevance=22, impact=18, minutes=9),  # best relevance
        cand(3, 80, "120000", relevance=20, impact=21, minutes=9),  # same relevance as 1, better impact
        cand(4, 80, "120000", relevance=20, impact=20, minutes=1),  # as 1 but submitted earlier
        cand(6, 80, "120000", relevance=20, impact=20, minutes=5),  # exactly as 1: the id decides
    ]
    assert ids(rank(candidates)) == [2, 3, 4, 1, 6]


def test_tie_breaks_are_configurable():
    candidates = [cand(1, 80, "250000", relevance=25, minutes=9), cand(2, 80, "120000", relevance=20, minutes=1)]
    assert ids(rank(candidates)) == [1, 2]
    assert ids(rank(candidates, tie_breaks=("submitted_at",))) == [2, 1]
    assert ids(rank(candidates, tie_breaks=("requested",))) == [2, 1]
    assert ids(rank(candidates, tie_breaks=("-requested",))) == [1, 2]
    assert ids(rank(candidates, tie_breaks=())) == [1, 2]  # id only
    with_extra = [cand(1, 80, "120000", newcomer=0), cand(2, 80, "120000", newcomer=1)]
    assert ids(rank(with_extra, tie_breaks=("newcomer",))) == [2, 1]
    assert ids(rank(with_extra, tie_breaks=("+newcomer",))) == [1, 2]


def test_unknown_tie_break_values_come_last():
    a = Candidate(id=1, score=Decimal(80), requested=Decimal("120000"), submitted_at=None)
    b = Candidate(id=2, score=Decimal(80), requested=Decimal("120000"), submitted_at=T0)
    assert ids(rank([a, b], tie_breaks=("submitted_at",))) == [2, 1]


def test_duplicate_ids_are_refused_and_floats_too():
    with pytest.raises(ValueError):
        rank([cand(1, 80, "120000"), cand(1, 70, "120000")])
    with pytest.raises(TypeError):
        Candidate(id=1, score=80.5, requested=Decimal("120000"))


# --- selection --------------------------------------------------------------------------------

def test_lv01_vet_ka220_three_fit_and_the_fourth_goes_to_the_reserve_list():
    ranked = rank([cand("A", 90, "400000"), cand("B", 85, "250000"), cand("C", 80, "120000"),
                   cand("D", 75, "120000"), cand("E", 70, "250000")])
    result = select(ranked, ENVELOPE)
    assert ids(result.selected) == ["A", "B", "C"]
    assert result.used == Decimal("770000.00")
    assert result.remaining == Decimal("69394.00")
    assert ids(result.reserve) == ["D", "E"]
    assert result.rejected == ()
    assert result.used + result.remaining == ENVELOPE


def test_without_skip_to_fit_selection_stops_at_the_first_that_does_not_fit():
    ranked = rank([cand("A", 90, "400000"), cand("B", 85, "250000"), cand("C", 80, "250000"),
                   cand("D", 75, "120000")])
    result = select(ranked, ENVELOPE)
    assert ids(result.selected) == ["A", "B"]
    assert result.remaining == Decimal("189394.00")
    assert ids(result.reserve) == ["C", "D"]


def test_with_skip_to_fit_the_next_one_that_fits_is_selected():
    ranked = rank([cand("A", 90, "400000"), cand("B", 85, "250000"), cand("C", 80, "250000"),
                   cand("D", 75, "120000"), cand("E", 70, "120000")])
    result = select(ranked, ENVELOPE, skip_to_fit=True)
    assert ids(result.selected) == ["A", "B", "D"]
    assert result.used == Decimal("770000.00") and result.remaining == Decimal("69394.00")
    assert ids(result.reserve) == ["C", "E"]


def test_non_fundable_are_rejected_even_when_money_remains():
    ranked = rank([cand("A", 90, "400000"), cand("X", 59, "120000", fundable=False),
                   cand("Y", 88, "120000", fundable=False)])
    result = select(ranked, ENVELOPE, skip_to_fit=True)
    assert ids(result.selected) == ["A"]
    assert ids(result.rejected) == ["Y", "X"]
    assert result.remaining == Decimal("439394.00")


def test_the_reserve_list_can_be_capped():
    ranked = rank([cand("A", 90, "400000"), cand("B", 85, "400000"), cand("C", 80, "400000"),
                   cand("D", 75, "250000"), cand("E", 70, "120000", fundable=False)])
    result = select(ranked, ENVELOPE, reserve_size=1)
    assert ids(result.selected) == ["A", "B"]
    assert ids(result.reserve) == ["C"]
    assert ids(result.rejected) == ["D", "E"]
    assert select(ranked, ENVELOPE, reserve_size=0).reserve == ()


def test_an_exact_fit_uses_the_whole_envelope():
    result = select(rank([cand(1, 90, "400000"), cand(2, 80, "400000")]), Decimal("800000"))
    assert result.remaining == 0 and len(result.selected) == 2


def test_outcomes_map_every_candidate():
    result = select(rank([cand(1, 90, "400000"), cand(2, 80, "400000"), cand(3, 50, "1", fundable=False)]),
                    Decimal("500000"))
    assert result.outcomes() == {1: SELECTED, 2: RESERVE, 3: REJECTED}
    assert result.outcome_of(2) == RESERVE


# --- manual changes ---------------------------------------------------------------------------

def _lv01():
    return select(rank([cand("A", 90, "400000"), cand("B", 85, "250000"), cand("C", 80, "120000"),
                        cand("D", 75, "120000"), cand("X", 50, "120000", fundable=False)]), ENVELOPE)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_manual_change_needs_a_reason(reason):
    with pytest.raises(SelectionError, match="reason"):
        apply_manual_change(_lv01(), "C", REJECTED, reason)


def test_a_manual_change_moves_the_candidate_and_records_it():
    before = _lv01()
    after, change = apply_manual_change(before, "C", REJECTED, "  Double funding found by the NA.  ")
    assert ids(after.selected) == ["A", "B"] and ids(after.rejected) == ["C", "X"]
    assert after.used == Decimal("650000.00") and after.remaining == Decimal("189394.00")
    assert change.reason == "Double funding found by the NA."
    assert (change.old_outcome, change.new_outcome) == (SELECTED, REJECTED)
    assert change.used_before == Decimal("770000.00") and change.used_after == Decimal("650000.00")
    assert after.changes == (change,)
    assert before.outcome_of("C") == SELECTED  # the original is untouched

    again, second = apply_manual_change(after, "D", SELECTED, "Next on the reserve list.")
    assert ids(again.selected) == ["A", "B", "D"] and again.changes == (change, second)


def test_a_manual_change_cannot_go_over_the_envelope_or_select_a_non_fundable_one():
    with pytest.raises(SelectionError, match="envelope"):
        apply_manual_change(_lv01(), "D", SELECTED, "The applicant asked.")
    with pytest.raises(SelectionError, match="not fundable"):
        apply_manual_change(_lv01(), "X", RESERVE, "Looks good.")
    with pytest.raises(SelectionError):
        apply_manual_change(_lv01(), "A", SELECTED, "Already selected.")
    with pytest.raises(SelectionError):
        apply_manual_change(_lv01(), "nobody", REJECTED, "Unknown.")
    with pytest.raises(SelectionError):
        apply_manual_change(_lv01(), "A", "maybe", "Unknown outcome.")


# --- properties -------------------------------------------------------------------------------

AMOUNTS = st.sampled_from([Decimal("120000"), Decimal("250000"), Decimal("400000")])
candidates_strategy = st.lists(
    st.builds(
        lambda score2, requested, fundable, rel2, imp2, minutes: (score2, requested, fundable, rel2, imp2, minutes),
        st.integers(0, 200), AMOUNTS, st.booleans(), st.integers(0, 50), st.integers(0, 50), st.integers(0, 5),
    ),
    max_size=15,
).map(lambda rows: [
    cand(i, Decimal(s) / 2, r, fundable=f, relevance=Decimal(rel) / 2, impact=Decimal(imp) / 2, minutes=m)
    for i, (s, r, f, rel, imp, m) in enumerate(rows)
])
envelopes = st.integers(0, 2_000_000_00).map(lambda cents: Decimal(cents) / 100)


@settings(max_examples=200)
@given(candidates_strategy, envelopes, st.booleans())
def test_selected_never_exceeds_the_envelope_and_the_sums_are_exact(candidates, envelope, skip):
    result = select(rank(candidates), envelope, skip_to_fit=skip)
    assert result.used <= envelope
    assert result.used == sum((c.requested for c in result.selected), Decimal("0"))
    assert result.used + result.remaining == envelope
    assert all(c.fundable for c in result.selected + result.reserve)
    assert sorted(ids(result.selected + result.reserve + result.rejected)) == sorted(ids(candidates))


@settings(max_examples=200)
@given(candidates_strategy, envelopes)
def test_without_skip_no_selected_candidate_ranks_below_a_non_selected_fundable_one(candidates, envelope):
    ranked = rank(candidates)
    result = select(ranked, envelope)
    position = {c.id: i for i, c in enumerate(ranked)}
    selected = {c.id for c in result.selected}
    fundable_not_selected = [position[c.id] for c in ranked if c.fundable and c.id not in selected]
    if fundable_not_selected and selected:
        assert max(position[i] for i in selected) < min(fundable_not_selected)
    # and with skip_to_fit, whatever is left in reserve did not fit what remained when its turn came
    skipped = select(ranked, envelope, skip_to_fit=True)
    assert all(c.requested > skipped.remaining for c in skipped.reserve)


@given(candidates_strategy, st.randoms(use_true_random=False))
def test_rank_does_not_depend_on_the_input_order(candidates, random):
    shuffled = list(candidates)
    random.shuffle(shuffled)
    assert ids(rank(shuffled)) == ids(rank(candidates))


@given(candidates_strategy, envelopes)
def test_non_fundable_are_always_rejected(candidates, envelope):
    result = select(rank(candidates), envelope, skip_to_fit=True)
    assert {c.id for c in result.rejected} == {c.id for c in candidates if not c.fundable}
