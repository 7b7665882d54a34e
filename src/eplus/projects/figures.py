"""The programme figures a project follows, read from its call (``programme`` models, filled from
``programme/data/calls-YYYY.json``): the payment schedule, the day counts of payments, reports and
decisions, the further pre-financing threshold and the reduction bands of the final report.

Nothing here has a default: a call without a figure the project needs is an explicit
:class:`MissingFigure` (the agency completes the call's data), never a value typed in code.
"""

from django.utils.translation import gettext as _

from .base import ProjectError

FURTHER_PREFINANCING = "further-prefinancing"


class MissingFigure(ProjectError):
    """The call's data lacks a figure the project needs."""

    def __init__(self, call, figure, *, invalid=""):
        """``invalid``: "" (the figure is missing), "number" (it is not a whole number) or "boolean" (it is not
        true or false)."""
        if invalid == "boolean":
            message = _("The call %(call)s has an invalid %(figure)s in the programme data (it must be true or "
                        "false); the agency must correct the call before this can be done.")
        elif invalid:
            message = _("The call %(call)s has an invalid %(figure)s in the programme data (it must be a whole "
                        "number); the agency must correct the call before this can be done.")
        else:
            message = _("The call %(call)s has no %(figure)s in the programme data; the agency must complete "
                        "the call before this can be done.")
        super().__init__(message % {"call": call, "figure": figure})
        self.figure = figure


def whole_number(call, value, label):
    """``value`` of the call's data as a whole number of zero or more (30, "30"); anything else ("thirty",
    "30 days", 30.5, true, a negative number) is a :class:`MissingFigure` naming the figure, never a 500."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MissingFigure(call, label, invalid="number")
    return value


def _required(call, name, label):
    value = getattr(call, name)
    if value in (None, "", []):
        raise MissingFigure(call, label)
    return value


def payment_schedule(call):
    return list(_required(call, "payment_schedule", _("payment schedule")))


def first_prefinancing_days(call):
    return _required(call, "first_prefinancing_days", _("payment period (days)"))


def progress_report_days(call):
    return _required(call, "progress_report_days", _("progress report period (days)"))


def final_report_days(call):
    return _required(call, "final_report_days", _("final report period (days)"))


def final_report_decision_days(call):
    return _required(call, "final_report_decision_days", _("decision period on the final report (days)"))


def reduction_bands(call):
    return list(_required(call, "reduction_bands", _("reduction bands of the final report")))


def further_prefinancing_threshold(call):
    """The share (percent) of the previous pre-financing that must be used before the further one."""
    for item in payment_schedule(call):
        if item.get("code") == FURTHER_PREFINANCING:
            threshold = (item.get("condition") or {}).get("min_previous_prefinancing_used_percent")
            if threshold not in (None, ""):
                return threshold
    raise MissingFigure(call, _("threshold of the further pre-financing"))


def _other_rule(call, key, label):
    """A figure of the call's ``other_rules`` (programme data), or :class:`MissingFigure`."""
    value = (call.other_rules or {}).get(key)
    if value in (None, ""):
        raise MissingFigure(call, label)
    return whole_number(call, value, label)


def termination_notice_days(call):
    """Days the agency's termination notice leaves the beneficiary for observations."""
    return _other_rule(call, "termination_notice_days", _("observation period of a termination notice (days)"))


def termination_final_report_days(call):
    """Days after a termination takes effect within which the final report is due."""
    return _other_rule(call, "termination_final_report_days", _("final report period after a termination (days)"))


def finding_answer_days(call):
    """Days the beneficiary has to answer a check's or audit's findings."""
    return _other_rule(call, "finding_answer_days", _("period to answer a finding (days)"))


def debit_note_payment_days(call):
    """Days from the notification of a debit note to its due date (``other_rules.debit_note_payment_days``)."""
    return _other_rule(call, "debit_note_payment_days", _("payment period of a debit note (days)"))


def recovery_reminder_days_before(call):
    """Days before a debit note's due date when the beneficiary is reminded of it."""
    return _other_rule(call, "recovery_reminder_days_before", _("reminder before the due date of a debit note (days)"))


def recovery_reminder_days_after(call):
    """Days after a debit note's due date when the beneficiary is reminded that it is overdue."""
    return _other_rule(call, "recovery_reminder_days_after", _("reminder after the due date of a debit note (days)"))


def final_report_claim_days(call):
    """Days from the notification of the final-report decision within which the beneficiary may file a claim
    on it; the version a claim opens is due the same number of days after the claim is accepted."""
    return _other_rule(call, "final_report_claim_days", _("claim period on the final-report decision (days)"))
