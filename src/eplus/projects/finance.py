"""Grant payments, final grant and report deadlines (DOMAIN §7), as plain Python: no models.

Every figure comes in as a parameter from the call's reference data
(``eplus.programme.services.call_rules(call)``: ``payments.schedule``,
``payments.first_prefinancing_days``, ``reports.progress_report_days``,
``reports.final_report_days``, ``reports.final_report_decision_days``, ``reports.reduction_bands``;
or the same keys of ``programme/data/calls-YYYY.json``, read through :mod:`eplus.projects.figures`).
The figures are required arguments: none has a default here. Money is Decimal euros
(``eplus.core.money``); floats are refused.

Public functions
----------------
``payment_plan(lump_sum, schedule) -> [Instalment]``
``first_prefinancing_due(signed_on, days) -> date``
``further_prefinancing_allowed(first_prefinancing, used, threshold_percent) -> (bool, reason)``
``reduction_for(score, bands) -> Decimal`` (percent)
``final_grant(lump_sum, score, bands) -> FinalGrant``
``final_grant_by_work_packages(wp_amounts, wp_scores, bands, management_wp=1) -> FinalGrant``
``balance(final_grant, paid) -> Balance``
``report_due_dates(end_date, period_ends=(), *, progress_days, final_days) -> [ReportDeadline]``
``decision_due(received_on, days) -> date`` / ``is_overdue(due, today) -> bool``
``reminder_dates(end_date, report_due, days_before=7) -> [Reminder]``
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from eplus.core.money import CENT, eur, format_eur, percent_of, split_exactly
from eplus.core.time import to_brussels

BALANCE = "balance"
PROGRESS = "progress"
FINAL = "final"
END_DATE = "end-date"
BEFORE_DEADLINE = "before-deadline"


def _decimal(value):
    """A percentage or score as a Decimal; floats are refused like money."""
    if isinstance(value, float):
        raise TypeError("percentages and scores are never floats; pass a string, an int or a Decimal")
    return Decimal(str(value).strip())


def _day(value):
    """A date; an aware datetime is read on the Brussels calendar."""
    if isinstance(value, datetime):
        return to_brussels(value).date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _pct(value):
    return format(_decimal(value).normalize(), "f")


# --- payments ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Instalment:
    code: str  # "prefinancing", "further-prefinancing", "balance"
    percent: Decimal
    amount: Decimal
    due: str  # "signature", "interim-report", "final-report" (from the schedule)
    condition: dict = field(default_factory=dict)
    at_most: bool = False  # the balance: the final grant may be lower, so this is a maximum


def payment_plan(lump_sum, schedule):
    """The instalments of ``lump_sum`` per ``schedule`` (``[{"code", "percent", "due", "condition"?}]``).

    Amounts are split with :func:`eplus.core.money.split_exactly`: they add up to the lump sum to the
    cent, rounding differences going to the last instalment. The last instalment is the balance and
    is only a maximum (``at_most``): it is recomputed from the final grant (:func:`balance`).
    KA220 250 000 at 40/40/20 -> 100 000 + 100 000 + at most 50 000.
    """
    if not schedule:
        raise ValueError("a payment schedule needs at least one instalment")
    percents = [_decimal(item["percent"]) for item in schedule]
    if any(p < 0 for p in percents) or sum(percents) != 100:
        raise ValueError(f"payment schedule percentages must be positive and add up to 100, not {sum(percents)}")
    amounts = split_exactly(lump_sum, percents)
    last = len(schedule) - 1
    return [
        Instalment(code=item.get("code", BALANCE if i == last else f"instalment-{i + 1}"), percent=percents[i],
                   amount=amounts[i], due=item.get("due", ""), condition=dict(item.get("condition") or {}),
                   at_most=(i == last and len(schedule) > 1))
        for i, item in enumerate(schedule)
    ]


def first_prefinancing_due(signed_on, days):
    """The last day for the first pre-financing payment: ``days`` calendar days after signature."""
    return _day(signed_on) + timedelta(days=int(days))


def further_prefinancing_allowed(first_prefinancing, used, threshold_percent):
    """``(allowed, reason)``: a further pre-financing needs at least ``threshold_percent`` % of the
    previous pre-financing used (as shown by the interim report). Exactly the threshold is enough.
    """
    first = eur(first_prefinancing)
    used = eur(used)
    needed = percent_of(first, _decimal(threshold_percent))
    share = (used / first * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if first else Decimal("0")
    values = {"used": format_eur(used), "first": format_eur(first), "share": _pct(share),
              "needed": format_eur(needed), "threshold": _pct(threshold_percent),
              "missing": format_eur(max(needed - used, Decimal("0.00")))}
    if used >= needed:
        return True, _("%(used)s of the first pre-financing of %(first)s has been used (%(share)s %%), "
                       "at least %(needed)s (%(threshold)s %%) is needed: the further pre-financing can be "
                       "paid.") % values
    return False, _("Only %(used)s of the first pre-financing of %(first)s has been used (%(share)s %%). "
                    "At least %(needed)s (%(threshold)s %%) must be used before a further pre-financing: "
                    "%(missing)s more.") % values


# --- final grant -------------------------------------------------------------------------------

def _bands(bands):
    parsed = sorted(((_decimal(b["min_score"]), _decimal(b["reduction_percent"])) for b in bands),
                    key=lambda band: band[0], reverse=True)
    if not parsed:
        raise ValueError("reduction bands are needed")
    return parsed


def reduction_for(score, bands):
    """The reduction in percent for a final-report ``score`` out of 100.

    ``bands``: ``[{"min_score", "reduction_percent"}]`` in any order; the band with the highest
    ``min_score`` not above the score applies (2026: >=50 none, 40-49.99 25 %, 25-39.99 50 %,
    below 25 75 %).
    """
    score = _decimal(score)
    if score < 0 or score > 100:
        raise ValueError(f"a final-report score is between 0 and 100, not {score}")
    for min_score, percent in _bands(bands):
        if score >= min_score:
            return percent
    raise ValueError(f"no reduction band covers the score {score}")


@dataclass(frozen=True)
class FinalGrant:
    lump_sum: Decimal
    reduction_percent: Decimal  # the whole grant's effective reduction, rounded to 0.01 %
    reduction: Decimal  # EUR
    amount: Decimal  # the final grant, EUR = lump_sum - reduction
    work_packages: dict = field(default_factory=dict)  # {wp number: WorkPackageGrant} (KA220 form)


@dataclass(frozen=True)
class WorkPackageGrant:
    number: int
    amount: Decimal  # as in the grant agreement
    score: Decimal | None  # None for the management WP (not scored)
    reduction_percent: Decimal
    final: Decimal


def final_grant(lump_sum, score, bands):
    """The final grant of a whole lump sum scored ``score`` out of 100 (KA210; the simple KA220 form).

    250 000 scored 45 -> 25 % reduction -> 187 500; 60 000 scored 42 -> 45 000.
    """
    lump_sum = eur(lump_sum)
    percent = reduction_for(score, bands)
    reduction = percent_of(lump_sum, percent)
    return FinalGrant(lump_sum=lump_sum, reduction_percent=percent, reduction=reduction,
                      amount=lump_sum - reduction)


def final_grant_by_work_packages(wp_amounts, wp_scores, bands, management_wp=1):
    """The final grant of a KA220-style lump sum whose work packages are scored one by one.

    ``wp_amounts``: ``{wp number: amount}`` (they make up the lump sum); ``wp_scores``: ``{wp number:
    score out of 100}`` for every WP except ``management_wp``. Each scored WP is reduced by its own
    band.

    The management WP (WP1) is not scored. Rule applied (our reading of the Erasmus+ lump-sum
    handbook for Cooperation partnerships: project management is paid in proportion to the
    implementation of the other work packages): WP1 is reduced by the same share as the other work
    packages together, i.e. by their amount-weighted average reduction, so that poor implementation
    of the content also reduces the management lump sum while good implementation leaves it whole.
    WP1's final amount is rounded half-up to the cent; the total is the sum of the WP finals.
    """
    amounts = {int(k): eur(v) for k, v in wp_amounts.items()}
    scores = {int(k): v for k, v in wp_scores.items()}
    management_wp = None if management_wp is None else int(management_wp)
    scored = [n for n in amounts if n != management_wp]
    missing = [n for n in scored if n not in scores]
    if missing:
        raise ValueError(f"work packages without a score: {missing}")
    unknown = [n for n in scores if n not in amounts]
    if unknown:
        raise ValueError(f"scores for unknown work packages: {unknown}")
    if management_wp is not None and management_wp in scores:
        raise ValueError(f"the management work package WP{management_wp} is not scored")
    packages = {}
    for number in sorted(scored):
        percent = reduction_for(scores[number], bands)
        final = amounts[number] - percent_of(amounts[number], percent)
        packages[number] = WorkPackageGrant(number=number, amount=amounts[number], score=_decimal(scores[number]),
                                            reduction_percent=percent, final=final)
    if management_wp is not None and management_wp in amounts:
        others_amount = sum((amounts[n] for n in scored), Decimal("0.00"))
        others_final = sum((packages[n].final for n in scored), Decimal("0.00"))
        wp1 = amounts[management_wp]
        if others_amount:
            final = (wp1 * others_final / others_amount).quantize(CENT, rounding=ROUND_HALF_UP)
            percent = ((others_amount - others_final) / others_amount * 100).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP)
        else:
            final, percent = wp1, Decimal("0")
        packages[management_wp] = WorkPackageGrant(number=management_wp, amount=wp1, score=None,
                                                   reduction_percent=percent, final=final)
    lump_sum = sum(amounts.values(), Decimal("0.00"))
    amount = sum((p.final for p in packages.values()), Decimal("0.00"))
    reduction = lump_sum - amount
    overall = (reduction / lump_sum * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if lump_sum else Decimal("0")
    return FinalGrant(lump_sum=lump_sum, reduction_percent=overall, reduction=reduction, amount=amount,
                      work_packages=dict(sorted(packages.items())))


@dataclass(frozen=True)
class Balance:
    final_grant: Decimal
    paid: Decimal
    amount: Decimal  # final_grant - paid: > 0 the balance to pay, < 0 a recovery

    @property
    def to_pay(self):
        return max(self.amount, Decimal("0.00"))

    @property
    def recovery(self):
        return max(-self.amount, Decimal("0.00"))

    @property
    def kind(self):
        """"payment", "recovery" or "none"."""
        if self.amount > 0:
            return "payment"
        if self.amount < 0:
            return "recovery"
        return "none"


def balance(final_grant, paid):
    """What is left to pay (or to recover) once the final grant is known.

    ``final_grant`` may be a :class:`FinalGrant` or an amount. KA210 60 000 scored 42 -> 45 000 final,
    48 000 already paid -> a recovery of 3 000. Always ``amount + paid == final_grant``.
    """
    final = eur(final_grant.amount if isinstance(final_grant, FinalGrant) else final_grant)
    paid = eur(paid)
    return Balance(final_grant=final, paid=paid, amount=final - paid)


# --- reports and deadlines ---------------------------------------------------------------------

@dataclass(frozen=True)
class ReportDeadline:
    kind: str  # "progress" or "final"
    period_end: date  # the end of the reporting period (the project end date for the final report)
    due: date


def report_due_dates(end_date, period_ends=(), *, progress_days, final_days):
    """Report deadlines: a progress/interim report ``progress_days`` after each reporting period's end
    (periods ending on or after the project end date are covered by the final report), and the final
    report ``final_days`` after the project end date. End 2026-08-31 -> final report due 2026-10-30.
    """
    end = _day(end_date)
    deadlines = [
        ReportDeadline(kind=PROGRESS, period_end=day, due=day + timedelta(days=int(progress_days)))
        for day in sorted({_day(d) for d in period_ends}) if day < end
    ]
    deadlines.append(ReportDeadline(kind=FINAL, period_end=end, due=end + timedelta(days=int(final_days))))
    return deadlines


def decision_due(received_on, days):
    """The agency's deadline to decide on a report: ``days`` calendar days after receipt."""
    return _day(received_on) + timedelta(days=int(days))


def is_overdue(due, today):
    """True from the day after ``due``: the due day itself is still on time."""
    return _day(today) > _day(due)


@dataclass(frozen=True)
class Reminder:
    on: date
    kind: str  # "end-date" or "before-deadline"
    deadline: date | None = None  # the report deadline it reminds of


def reminder_dates(end_date, report_due, days_before=7):
    """The days reminders are due: on the project end date and ``days_before`` days before each report
    deadline (``report_due``: one date, a list of dates or of :class:`ReportDeadline`). Sorted by day.
    The reminders themselves are sent by the sweep; this only computes the days.
    """
    if isinstance(report_due, (date, datetime, ReportDeadline, str)):
        report_due = [report_due]
    reminders = {(_day(end_date), END_DATE, None)}
    for item in report_due:
        due = item.due if isinstance(item, ReportDeadline) else _day(item)
        reminders.add((due - timedelta(days=int(days_before)), BEFORE_DEADLINE, due))
    return [Reminder(on=on, kind=kind, deadline=deadline)
            for on, kind, deadline in sorted(reminders, key=lambda r: (r[0], r[1], r[2] or date.min))]
