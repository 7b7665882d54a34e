"""Scoring rules of the quality assessment (DOMAIN §6), as plain Python: no models, no database.

Every figure comes in as a parameter, taken from the call's reference data
(``eplus.programme.services.call_rules(call)["award"]`` or the ``award_*`` keys of
``programme/data/calls-YYYY.json``); :func:`award_settings` turns that dict into the keyword
arguments of the functions below. No figure has a default here: ``total_threshold``,
``criterion_share`` and ``gap`` (``other_rules.consolidation_gap`` of the call, ``None`` when the call
sets no gap) are always passed by the caller.

Decisions (documented here so that the models and screens built on top agree):

* **Score granularity.** A criterion score is a number from 0 to the criterion's maximum in steps of
  half a point (12.5 is allowed, 12.25 is not): experts give whole or half points. The step is a
  parameter (``step``). Floats are refused (money and scores are Decimal); ints, Decimals and
  strings such as ``"12.5"`` are accepted.
* **Fundable** = total >= ``total_threshold`` AND every criterion >= ``max_points * criterion_share``
  (12.5 of 25, 15 of 30, 10 of 20).
* **Consolidation is needed** when the two experts' totals differ by ``gap`` points or more, when one
  expert finds the application fundable and the other does not, or (rare) when both find it not
  fundable but the average of their scores would be fundable: the outcome must then be decided by a
  person, not by arithmetic.
* **Consolidated score.** When consolidation was needed, the final scores are those the agency
  designates (the lead expert's consolidated scores or the third expert's scores), passed as
  ``final_scores``. Otherwise the final score is the average of the two experts, per criterion,
  rounded half-up to the nearest half point (12.25 -> 12.5, 12.75 -> 13): the total is the sum of the
  rounded criterion scores, so the criteria always add up to the total shown. Rounding up never
  turns a fundable pair of assessments into a non-fundable average (the thresholds are whole or half
  points), and the one case where it could make a non-fundable pair fundable is sent to
  consolidation (see above).

Public functions
----------------
``criteria_maxima(criteria) -> {code: Decimal}``
``award_settings(award) -> {"criteria", "total_threshold", "criterion_share"}``
``validate_scores(scores, criteria, step=0.5) -> {code: message}`` (empty when valid)
``total(scores) -> Decimal``
``is_fundable(scores, criteria, *, total_threshold, criterion_share) -> (bool, [reasons])``
``needs_consolidation(a, b, criteria, *, gap, total_threshold, criterion_share) -> (bool, reason)``
``average_scores(a, b, criteria, step=0.5) -> {code: Decimal}``
``consolidated(a, b, criteria, final_scores=None, *, gap, total_threshold, criterion_share) -> Consolidation``
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

# The scoring granularity decided above (whole or half points): a rule of this platform's forms, not a
# figure of the call, so it is no programme data.
DEFAULT_STEP = Decimal(1) / 2

AVERAGE = "average"
CONSOLIDATED = "consolidated"


class InvalidScores(ValueError):
    """Scores that cannot be assessed; ``errors`` maps each criterion code to what is wrong."""

    def __init__(self, errors):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{code}: {message}" for code, message in self.errors.items()))


class ConsolidationRequired(ValueError):
    """Two assessments disagree too much to be averaged; ``reason`` says why."""

    def __init__(self, reason):
        self.reason = reason
        super().__init__(reason)


def _number(value):
    """A Decimal from an int, a Decimal or a numeric string; None when it is not a number."""
    if isinstance(value, float):
        raise TypeError("scores are never floats; pass a string, an int or a Decimal")
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip()) if isinstance(value, str) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() else None


def _param(value):
    """A configuration figure (threshold, share, gap, step) as a Decimal; 0.5 and "0.5" alike."""
    return Decimal(str(value).strip())


def format_points(number):
    """12.5 -> '12.5', 30 -> '30' (no trailing zeros, never '3E+1') for labels and messages."""
    return format(Decimal(number).normalize(), "f")



def criteria_maxima(criteria):
    """``{code: max_points}`` from the reference data's criteria list or from a ``{code: max}`` mapping.

    Accepts ``[{"code": "relevance", "max_points": 30}, ...]`` (the JSON / ``call_rules`` shape,
    ``max_points`` as int or string) or ``{"relevance": 30, ...}``. Order is kept.
    """
    if isinstance(criteria, dict):
        items = criteria.items()
    else:
        items = [(item["code"], item["max_points"]) for item in criteria]
    maxima = {}
    for code, maximum in items:
        number = _number(maximum)
        if number is None or number <= 0:
            raise ValueError(f"criterion {code!r} has no positive maximum: {maximum!r}")
        maxima[code] = number
    if not maxima:
        raise ValueError("a call needs at least one award criterion")
    return maxima


def award_settings(award):
    """Keyword arguments for :func:`is_fundable` & co. from ``call_rules(call)["award"]``.

    Also accepts a call item of ``calls-YYYY.json`` (``award_criteria``, ``award_total_threshold``,
    ``award_criterion_threshold_share``).
    """
    if "award_criteria" in award:
        criteria = award["award_criteria"]
        total_threshold = award.get("award_total_threshold")
        share = award.get("award_criterion_threshold_share")
    else:
        criteria = award["criteria"]
        total_threshold = award.get("total_threshold")
        share = award.get("criterion_threshold_share")
    return {
        "criteria": [{"code": c["code"], "max_points": c["max_points"]} for c in criteria],
        "total_threshold": Decimal("0") if total_threshold is None else _param(total_threshold),
        "criterion_share": Decimal("0") if share is None else _param(share),
    }


def validate_scores(scores, criteria, step=DEFAULT_STEP):
    """What is wrong with ``scores`` (``{code: score}``), one message per criterion; ``{}`` when valid.

    Checks: every criterion scored, each score a number, not negative, not above the criterion's
    maximum, in steps of ``step`` (half points by default); no score for an unknown criterion.
    """
    maxima = criteria_maxima(criteria)
    step = _param(step)
    errors = {}
    for code, maximum in maxima.items():
        if code not in scores or scores[code] is None or (isinstance(scores[code], str) and not scores[code].strip()):
            errors[code] = _("Give a score for this criterion (0 to %(max)s points).") % {"max": format_points(maximum)}
            continue
        value = _number(scores[code])
        if value is None:
            errors[code] = _("Enter the score as a number, for example 12.5.")
        elif value < 0:
            errors[code] = _("The score cannot be negative; give 0 to %(max)s points.") % {
                "max": format_points(maximum)}
        elif value > maximum:
            errors[code] = _("The score cannot be above the maximum of %(max)s points for this criterion.") % {
                "max": format_points(maximum)}
        elif value % step != 0:
            errors[code] = _("Give the score in steps of %(step)s points, for example 12 or 12.5.") % {
                "step": format_points(step)}
    for code in scores:
        if code not in maxima:
            errors[code] = _("This call has no award criterion called %(code)s.") % {"code": code}
    return errors


def _clean(scores, criteria, step=DEFAULT_STEP):
    errors = validate_scores(scores, criteria, step)
    if errors:
        raise InvalidScores(errors)
    return {code: _number(scores[code]) for code in criteria_maxima(criteria)}


def total(scores):
    """The sum of the criterion scores, as a Decimal."""
    return sum((_number(v) for v in scores.values()), Decimal("0"))


def criterion_thresholds(criteria, criterion_share):
    """``{code: minimum score}`` = maximum x share (12.5 for a criterion out of 25 at 0.5)."""
    share = _param(criterion_share)
    return {code: maximum * share for code, maximum in criteria_maxima(criteria).items()}


def is_fundable(scores, criteria, *, total_threshold, criterion_share, step=DEFAULT_STEP):
    """``(fundable, reasons)``: fundable when total >= threshold and each criterion >= max x share.

    ``reasons`` lists every threshold that is not met (empty when fundable). Invalid scores raise
    :class:`InvalidScores` (validate first with :func:`validate_scores` to show the messages).
    """
    clean = _clean(scores, criteria, step)
    threshold = _param(total_threshold)
    maxima = criteria_maxima(criteria)
    reasons = []
    score = total(clean)
    if score < threshold:
        reasons.append(_("The total score %(total)s is below the threshold of %(threshold)s points.") % {
            "total": format_points(score), "threshold": format_points(threshold)})
    for code, minimum in criterion_thresholds(criteria, criterion_share).items():
        if clean[code] < minimum:
            reasons.append(_(
                "The score for %(code)s, %(score)s of %(max)s points, is below the minimum of %(min)s points."
            ) % {"code": code, "score": format_points(clean[code]), "max": format_points(maxima[code]),
                 "min": format_points(minimum)})
    return not reasons, reasons


def _round_to_step(value, step):
    return (value / step).quantize(Decimal("1"), rounding=ROUND_HALF_UP) * step


def average_scores(assessment_a, assessment_b, criteria, step=DEFAULT_STEP):
    """Per criterion, the average of the two experts rounded half-up to ``step`` (half points)."""
    step = _param(step)
    a = _clean(assessment_a, criteria, step)
    b = _clean(assessment_b, criteria, step)
    return {code: _round_to_step((a[code] + b[code]) / 2, step) for code in a}


def needs_consolidation(assessment_a, assessment_b, criteria, *, gap, total_threshold, criterion_share,
                        step=DEFAULT_STEP):
    """``(needed, reason)`` for two independent assessments of the same application.

    Needed when the totals differ by ``gap`` points or more (a gap of 30: 30 triggers, 29.5 does not;
    ``gap=None``: the call sets no gap), when one assessment is fundable and the other is not, or when
    both are not fundable but their average would be. ``reason`` is an empty string when no
    consolidation is needed.
    """
    settings = {"total_threshold": total_threshold, "criterion_share": criterion_share, "step": step}
    a_total = total(_clean(assessment_a, criteria, step))
    b_total = total(_clean(assessment_b, criteria, step))
    difference = abs(a_total - b_total)
    if gap is not None and difference >= _param(gap):
        return True, _("The two experts' totals differ by %(diff)s points (%(a)s and %(b)s); "
                       "a difference of %(gap)s points or more needs consolidation.") % {
            "diff": format_points(difference), "a": format_points(a_total), "b": format_points(b_total),
            "gap": format_points(_param(gap))}
    a_fundable, _a = is_fundable(assessment_a, criteria, **settings)
    b_fundable, _b = is_fundable(assessment_b, criteria, **settings)
    if a_fundable != b_fundable:
        return True, _("One expert finds the application fundable and the other does not; "
                       "the assessments need consolidation.")
    if not a_fundable:
        average_fundable, _r = is_fundable(average_scores(assessment_a, assessment_b, criteria, step),
                                           criteria, **settings)
        if average_fundable:
            return True, _("Neither expert finds the application fundable but the average of their scores "
                           "would be; the assessments need consolidation.")
    return False, ""


@dataclass(frozen=True)
class Consolidation:
    """The score that decides fundability and ranking."""

    scores: dict
    total: Decimal
    fundable: bool
    reasons: tuple = field(default_factory=tuple)  # why it is not fundable (empty when fundable)
    method: str = AVERAGE  # "average" of the two experts, or "consolidated" (designated final scores)


def consolidated(assessment_a, assessment_b, criteria, final_scores=None, *, gap, total_threshold,
                 criterion_share, step=DEFAULT_STEP):
    """The final :class:`Consolidation` of two expert assessments.

    * ``final_scores`` given (the lead expert's consolidated scores or the third expert's scores):
      they decide, ``method="consolidated"``; they are validated like any assessment.
    * otherwise, when :func:`needs_consolidation` says so, raises :class:`ConsolidationRequired`;
    * otherwise the per-criterion average rounded half-up to half points, ``method="average"``.
    """
    settings = {"total_threshold": total_threshold, "criterion_share": criterion_share, "step": step}
    if final_scores is not None:
        scores = _clean(final_scores, criteria, step)
        method = CONSOLIDATED
    else:
        needed, reason = needs_consolidation(assessment_a, assessment_b, criteria, gap=gap, **settings)
        if needed:
            raise ConsolidationRequired(reason)
        scores = average_scores(assessment_a, assessment_b, criteria, step)
        method = AVERAGE
    fundable, reasons = is_fundable(scores, criteria, **settings)
    return Consolidation(scores=scores, total=total(scores), fundable=fundable, reasons=tuple(reasons),
                         method=method)
