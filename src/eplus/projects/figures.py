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

    def __init__(self, call, figure):
        super().__init__(_("The call %(call)s has no %(figure)s in the programme data; the agency must complete "
                           "the call before this can be done.") % {"call": call, "figure": figure})
        self.figure = figure


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
