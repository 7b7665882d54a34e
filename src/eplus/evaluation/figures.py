"""The call's own figures for the back office: award criteria and thresholds, the consolidation gap and
the tie-breaks, read from the call's reference data (``programme/data/calls-YYYY.json``), never typed here."""

from decimal import Decimal

from django.utils.translation import gettext as _

from eplus.projects.figures import MissingFigure, whole_number

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


# --- the experts' assessment of a final report (issue 14, item 1; see ``final_reports``) -------------------

def _other_rule(call, key, label):
    """``other_rules[key]`` of the call; a call without it is a MissingFigure (the agency completes the data)."""
    value = (call.other_rules or {}).get(key)
    if value in (None, ""):
        raise MissingFigure(call, label)
    return value


def final_report_experts_max(call):
    """How many experts may assess one final report (``other_rules.final_report_experts_max``)."""
    label = _("number of experts on a final report")
    return whole_number(call, _other_rule(call, "final_report_experts_max", label), label)


def final_report_expert_days(call):
    """The experts' deadline, in calendar days from their assignment (``other_rules.final_report_expert_days``)."""
    label = _("experts' period for a final report (days)")
    return whole_number(call, _other_rule(call, "final_report_expert_days", label), label)


def final_report_excludes_application_experts(call):
    """Whether an expert who assessed the project's application may not assess its final report
    (``other_rules.final_report_expert_excludes_application_experts``)."""
    label = _("rule on the application's experts for the final report")
    value = _other_rule(call, "final_report_expert_excludes_application_experts", label)
    if not isinstance(value, bool):
        raise MissingFigure(call, label, invalid="boolean")
    return value
