"""When assessment may start: the call's deadline decides (DOMAIN §5, Programme Guide Part C: applications are
assessed as submitted by the deadline, and an applicant may change and resubmit until then).

A case — its formal check, experts and scores — waits for its call's deadline and for the late-submission
window of an incident report the agency accepted for that application. The selection of a call waits for
the deadline, for every such window of the call and agency to close and for every incident report of the
call and agency to be decided (an accepted one could still bring a late submission). Services call the
``require_*`` functions; pages use the ``*_open`` ones to say why a step is not offered yet.
"""

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from eplus.applications.models import IncidentReport, IncidentStatus
from eplus.applications.rules import late_window, open_late_windows
from eplus.core import time as clock

from .workflow import TransitionRefused


def case_wait_reason(case, now=None):
    """Why the case cannot be assessed yet (a message), or None when it can."""
    now = now or clock.now()
    call = case.call
    if now < call.deadline:
        return _("The call is open for submissions until %(deadline)s (Brussels time): the applicant may still "
                 "change and resubmit, so assessment starts after the deadline.") % {
            "deadline": clock.format_brussels(call.deadline)}
    window = late_window(case.application, now)
    if window is not None:
        return _("The applicant may submit until %(until)s (Brussels time) under an accepted technical-incident "
                 "report; assessment starts after that.") % {"until": clock.format_brussels(window.late_until)}
    return None


def selection_wait_reason(agency, call, now=None):
    """Why the selection of ``call`` in ``agency`` cannot run yet (a message), or None when it can."""
    now = now or clock.now()
    if now < call.deadline:
        return _("The call is open for submissions until %(deadline)s (Brussels time); the selection runs after "
                 "the deadline.") % {"deadline": clock.format_brussels(call.deadline)}
    window = open_late_windows(now, call=call, agency=agency).order_by("-late_until").first()
    if window is not None:
        return _("An applicant may submit until %(until)s (Brussels time) under an accepted technical-incident "
                 "report; the selection runs after that.") % {"until": clock.format_brussels(window.late_until)}
    if IncidentReport.objects.filter(call=call, agency=agency, status=IncidentStatus.REPORTED).exists():
        return _("A technical-incident report of this call is waiting for a decision; decide it before the "
                 "selection.")
    return None


def assessable(cases, now=None):
    """The cases of the queryset ``cases`` whose assessment may run now: the lists' form of
    :func:`case_wait_reason` (the call's deadline has passed and no accepted incident report still lets the
    applicant submit; cases are opened after the deadline, this keeps a list right meanwhile)."""
    now = now or clock.now()
    late = open_late_windows(now, application_id=OuterRef("application_id"))
    return cases.filter(call__deadline__lte=now).exclude(Exists(late))


def assessment_open(case, now=None):
    return case_wait_reason(case, now) is None


def require_assessment_open(case, now=None):
    reason = case_wait_reason(case, now)
    if reason:
        raise TransitionRefused(reason)


def require_selection_open(agency, call, now=None):
    reason = selection_wait_reason(agency, call, now)
    if reason:
        raise TransitionRefused(reason)
