"""The call's own figures for the back office: award criteria and thresholds, the consolidation gap and
the tie-breaks, read from the call's reference data (``programme/data/calls-YYYY.json``), never typed here."""

from decimal import Decimal

from . import scoring, selection


def award(call):
    """Keyword arguments of the scoring functions from the call's reference data."""
    return scoring.award_settings({
        "award_criteria": call.award_criteria,
        "award_total_threshold": call.award_total_threshold,
        "award_criterion_threshold_share": call.award_criterion_threshold_share,
    })


def criteria(call):
    """[(code, English name, maximum)] of the call's award criteria."""
    return [(c["code"], c.get("name_en", c["code"]), Decimal(str(c["max_points"]))) for c in call.award_criteria]


def consolidation_gap(call):
    """The difference of the two experts' totals that calls for consolidation (``other_rules.consolidation_gap``
    of the call); ``None`` when the call sets none (then only a disagreement on fundability does)."""
    gap = (call.other_rules or {}).get("consolidation_gap")
    return None if gap is None else Decimal(str(gap))


def tie_breaks(call):
    return tuple((call.other_rules or {}).get("tie_breaks") or selection.DEFAULT_TIE_BREAKS)
